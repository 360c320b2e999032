// Lambda's REPORT log line, as found in the base64-decoded log tail of an invocation:
// REPORT RequestId: <id>\tDuration: 9.54 ms\tBilled Duration: 10 ms\tMemory Size: 256 MB\t
// Max Memory Used: 21 MB\tInit Duration: 12.31 ms   (Init Duration on cold invocations only)
// and, when the invocation failed, Lambda's "\tStatus: timeout" or "\tStatus: error\tError Type:
// Runtime.ExitError" (the local service also appends "\tLambench Resource Model: partial").
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lambench::driver {

struct report_metrics {
    std::string request_id;
    double duration_ms = 0, billed_ms = 0;
    int memory_size_mb = 0;
    double max_memory_mb = 0;
    std::optional<double> init_ms;
    std::string status;      // "" (success), "timeout", "error", ... as written
    std::string error_type;  // "Error Type" when present
};

// Parses the last REPORT line in a log tail. nullopt when there is none or when a required
// field (Duration, Billed Duration, Memory Size, Max Memory Used) is missing or malformed.
// Fields may be separated by tabs (Lambda) or spaces (some emulators).
std::optional<report_metrics> parse_report_line(std::string_view log_tail);

}  // namespace lambench::driver
