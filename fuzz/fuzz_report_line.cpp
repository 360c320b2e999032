// REPORT-line parsing (src/driver/report_line.cpp): the fuzz input is a log tail as the driver
// gets it (X-Amz-Log-Result, base64-decoded), any bytes. Beyond "no crash" (UBSan included: a
// number too large for its field must not be converted blindly), a line written by the service's
// own formatter (service::report_line) with values taken from the input parses back to them.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "driver/report_line.hpp"
#include "fuzz_common.hpp"
#include "service/logs.hpp"

namespace drv = lambench::driver;
namespace svc = lambench::service;

namespace {

template <class T>
T take(std::string_view& s) {
    T v{};
    std::memcpy(&v, s.data(), std::min(sizeof v, s.size()));
    s.remove_prefix(std::min(sizeof v, s.size()));
    return v;
}

void round_trip(std::string_view input) {
    std::string_view s = input;
    svc::report_metrics m;
    // Values in the range the service produces: durations up to 900 s, memory 128-10240 MB.
    m.duration_ms = static_cast<double>(take<std::uint32_t>(s) % 90'000'000u) / 100.0;
    m.memory_size_mb = 128 + static_cast<int>(take<std::uint16_t>(s) % (10240 - 128 + 1));
    m.max_memory_used_mb = take<std::uint16_t>(s) % 10241u;
    const auto flags = take<std::uint8_t>(s);
    if (flags & 1)
        m.init_duration_ms = static_cast<double>(take<std::uint32_t>(s) % 1'000'000u) / 100.0;
    m.partial_model = (flags & 2) != 0;
    // Lambda's failure fields: "Status: timeout", or "Status: error" with an "Error Type".
    static constexpr const char* types[] = {"Runtime.ExitError", "Runtime.OutOfMemory",
                                            "Runtime.InvalidEntrypoint", "Runtime.InitError"};
    if (flags & 4) {
        m.status = "timeout";
    } else if (flags & 8) {
        m.status = "error";
        m.error_type = types[(flags >> 4) % 4];
    }
    std::string id = "c0ffee00-0000-4000-8000-" + std::to_string(take<std::uint32_t>(s));
    std::string prefix(
        s.substr(0, s.rfind('\n') == std::string_view::npos ? 0 : s.rfind('\n') + 1));
    std::string tail = prefix + svc::report_line(id, m);
    auto r = drv::parse_report_line(tail);
    if (!r) lambench_fuzz::violated("the service's own REPORT line does not parse", tail);
    auto near = [](double a, double b) { return std::fabs(a - b) < 0.006; };
    if (r->request_id != id || !near(r->duration_ms, m.duration_ms) ||
        r->memory_size_mb != m.memory_size_mb ||
        !near(r->max_memory_mb, static_cast<double>(m.max_memory_used_mb)) ||
        r->billed_ms != static_cast<double>(svc::billed_duration_ms(m)) ||
        r->init_ms.has_value() != m.init_duration_ms.has_value() ||
        (r->init_ms && !near(*r->init_ms, *m.init_duration_ms)) || r->status != m.status ||
        r->error_type != m.error_type)
        lambench_fuzz::violated("the service's own REPORT line parses to other values", tail);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    if (auto r = drv::parse_report_line(input)) {
        (void)r->request_id.size();
    }
    round_trip(input);
    return 0;
}
