// The log tail an Invoke returns (X-Amz-Log-Result, base64) and the REPORT line in it.
#pragma once

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include "common/base64.hpp"

namespace lambench::test_support {

// The text of an X-Amz-Log-Result header (or a LogResult field); "" when there is none (or it
// is not base64).
inline std::string decode_log_result(std::string_view b64) {
    return common::base64_decode(b64, common::base64_mode::lenient).value_or("");
}

// The last "REPORT RequestId: ..." line of a log, without its newline; "" when there is none.
inline std::string report_line(const std::string& log) {
    auto pos = log.rfind("REPORT RequestId: ");
    if (pos == std::string::npos) return {};
    return log.substr(pos, log.find('\n', pos) - pos);
}

// That REPORT line split into its tab-separated "Name: value" fields, plus "line" = the whole
// line; empty when there is no REPORT line.
inline std::map<std::string, std::string> report_fields(const std::string& log) {
    std::map<std::string, std::string> out;
    if (log.rfind("REPORT RequestId: ") == std::string::npos) return out;
    const std::string line = report_line(log);
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) {
        auto colon = field.find(": ");
        if (colon != std::string::npos) out[field.substr(0, colon)] = field.substr(colon + 2);
    }
    out["line"] = line;
    return out;
}

// "12.34 ms" → 12.34 (the leading number of a field value).
inline double ms_value(const std::string& v) {
    return std::atof(v.c_str());
}

}  // namespace lambench::test_support
