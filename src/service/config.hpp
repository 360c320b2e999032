// What `lambench serve` is told: the [service] settings and the [[function]]s to pre-create,
// from a TOML file (toml++). Unknown keys are errors so that a typo does not silently change an
// experiment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace lambench::service {

// One function's configuration (the Lambda control-plane fields we model).
struct function_spec {
    std::string name;
    std::string code;  // config file only: a directory (used in place) or a .zip
    std::string runtime = "provided.al2023";
    std::string handler = "bootstrap";
    std::string architecture = "x86_64";
    std::string role = "arn:aws:iam::000000000000:role/lambench";
    std::string description;
    int memory_mb = 128;
    int timeout_s = 3;
    std::map<std::string, std::string> environment;
};

enum class init_cpu_mode { full, proportional };

struct service_config {
    std::string listen = "127.0.0.1:9000";
    bool insecure = false;            // allow a non-loopback listen address (no authentication yet)
    std::filesystem::path state_dir;  // <state>; the service writes under <state>/service/
    std::string region = "us-east-1";
    init_cpu_mode init_cpu = init_cpu_mode::full;
    double idle_timeout_s = 600;    // idle sandboxes are reaped after this
    double init_timeout_s = 10;     // Lambda's init limit
    double freeze_delay_s = 0.001;  // an idle sandbox is frozen after this grace (0 = at once)
    // After a runtime's response, its caller waits at most this long for the runtime's next
    // /next (the end of the invocation) so that the log tail carries the REPORT (0 = never).
    double report_wait_s = 1.0;
    int concurrency = 10;            // per function; beyond it: 429
    std::size_t event_queue = 1000;  // per function; beyond it: 429
    double event_retry_delay_s = 1;  // Lambda waits ~1 min then ~2 min; locally shorter
    int event_max_retries = 2;
    // Client connections to the Lambda API (0 = no limit, except max_connections >= 1): the
    // header of a request must arrive within header_timeout; its body within body_timeout plus
    // 1 s per body_min_rate bytes; a keep-alive connection idle between requests is closed after
    // connection_idle_timeout; beyond max_connections open connections a new one gets 503.
    double header_timeout_s = 20;
    double body_timeout_s = 20;
    std::uint64_t body_min_rate = 64 * 1024;  // bytes/s
    double connection_idle_timeout_s = 120;
    std::size_t max_connections = 1024;
    std::uint64_t log_max_bytes = 10ull * 1024 * 1024;  // per function log file; one rotation kept
    // runtime name -> launcher command; placeholders {task_root} {handler} {runtime_dir};
    // without {handler}, the handler is appended as the last argument.
    std::map<std::string, std::string> launchers;
    std::vector<function_spec> functions;
};

// Throws std::runtime_error naming the file, key and problem.
service_config load_config(const std::filesystem::path& file);

// Validation shared by the config file and the REST API. Each returns an error message naming
// the field, or empty when the value is fine.
std::string validate_memory(long long mb);
std::string validate_timeout(long long s);
std::string validate_function_name(const std::string& name);
bool is_provided_runtime(const std::string& runtime);

}  // namespace lambench::service
