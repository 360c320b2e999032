// Lambda's log lines (START/END/REPORT exactly as Lambda writes them), the per-invocation tail,
// and the per-function log files under <state>/service/logs/<function>.log.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lambench::service {

struct report_metrics {
    double duration_ms = 0;
    int memory_size_mb = 0;
    std::uint64_t max_memory_used_mb = 0;
    std::optional<double> init_duration_ms;  // cold invocations only
    bool partial_model = false;              // cgroups incomplete: marked in the line
};

std::string format_ms(double ms);  // "9.54"
std::uint64_t billed_duration_ms(const report_metrics& m);  // ceil(Duration) (+ ceil(Init))
std::uint64_t bytes_to_mb_ceil(std::uint64_t bytes);

std::string start_line(const std::string& id);   // "START RequestId: <id> Version: $LATEST\n"
std::string end_line(const std::string& id);     // "END RequestId: <id>\n"
std::string report_line(const std::string& id, const report_metrics& m);  // with "\n"
std::string timeout_line(const std::string& id, double timeout_s);  // "<ISO8601> <id> Task timed out after 3.00 seconds\n"

// The last max_bytes of an invocation's log (what X-Amz-Log-Result carries, before base64).
std::string_view log_tail(std::string_view log, std::size_t max_bytes = 4096);

// Append-only log files, one per function. Each append is one write(2) so that concurrent
// invocations never interleave inside a block.
class log_store {
public:
    explicit log_store(std::filesystem::path dir);
    ~log_store();
    log_store(const log_store&) = delete;
    log_store& operator=(const log_store&) = delete;

    void append(const std::string& function, std::string_view text);
    std::filesystem::path file_for(const std::string& function) const;
    const std::filesystem::path& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
    std::map<std::string, int> fds_;
};

}  // namespace lambench::service
