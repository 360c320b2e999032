// What `lambench serve` is told: the [service] settings and the [[function]]s to pre-create,
// from a TOML file (toml++). Unknown keys are errors so that a typo does not silently change an
// experiment.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
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
    int ephemeral_mb = 512;  // EphemeralStorage.Size: the sandbox's /tmp
    std::map<std::string, std::string> environment;
    // VpcConfig: kept and returned as Lambda does; the local service has no VPC to attach to.
    std::vector<std::string> subnet_ids, security_group_ids;
    bool ipv6_allowed_for_dual_stack = false;
    // LoggingConfig: kept and returned as Lambda does (the JSON format is not applied to the
    // function's logs). The log levels exist only with the JSON format; an empty log_group is
    // Lambda's default, /aws/lambda/<name>.
    std::string log_format = "Text";
    std::string application_log_level, system_log_level;
    std::string log_group;
};

// Lambda's account concurrency (ConcurrentExecutions) and the part of it PutFunctionConcurrency
// must leave unreserved: reservations may add up to at most the difference.
inline constexpr int account_concurrency = 1000;
inline constexpr int min_unreserved_concurrency = 100;

// The temporary credentials a sandbox gets (Lambda passes the execution role's). Locally they
// are dummies unless configured ([service.credentials]).
struct sandbox_credentials {
    std::string access_key_id = "ASIALAMBENCHLOCAL000";
    std::string secret_access_key = "lambench/local/dummy/secret/access/key0";
    std::string session_token = "lambench-local-dummy-session-token";
};

enum class init_cpu_mode { full, proportional };

struct service_config {
    std::string listen = "127.0.0.1:9000";
    bool insecure = false;  // allow a non-loopback listen address without authentication
    // "none" or "sigv4": every Lambda API request must carry a valid SigV4 signature, made with a
    // key from credentials_file (an AWS credentials file) or, without one, the AWS credential
    // chain's key. Requests are scoped to `region`, service "lambda".
    std::string auth = "none";
    std::string credentials_file;
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
    // SIGTERM/SIGINT: invocations in flight get this long to finish before their sandboxes are
    // stopped (queued events are saved either way; a second signal stops at once).
    double shutdown_grace_s = 5;
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
    // Response streaming, with Lambda's documented limits: a streamed response may hold at most
    // stream_max_bytes (200 MiB; it was 20 MiB until 2025); its first stream_burst_bytes go at
    // full speed, the rest at most stream_rate bytes/s (0 = uncapped). The runtime is slowed
    // down by reading its stream no faster than that.
    std::uint64_t stream_max_bytes = 200ull * 1024 * 1024;
    std::uint64_t stream_burst_bytes = 6ull * 1024 * 1024;
    std::uint64_t stream_rate = 2ull * 1024 * 1024;
    // How long a created function stays Pending and an updated one InProgress, as Lambda applies
    // changes asynchronously (0 = at once). `serve --update-delay MS`.
    double update_delay_s = 0;
    // runtime name -> launcher command; placeholders {task_root} {handler} {runtime_dir};
    // without {handler}, the handler is appended as the last argument.
    std::map<std::string, std::string> launchers;
    sandbox_credentials credentials;
    // "auto": isolate sandboxes (mount namespace, own user, rlimits) when root; "off": never.
    std::string sandbox_isolation = "auto";
    std::vector<function_spec> functions;
};

// Throws std::runtime_error naming the file, key and problem.
service_config load_config(const std::filesystem::path& file);

// Validation shared by the config file and the REST API. Each returns an error message naming
// the field, or empty when the value is fine.
// `as_written`, when given, is the value as the client sent it, shown instead of `mb`/`s` (a JSON
// number beyond long long, such as 2^63, must be reported as sent, not as what it wrapped to).
std::string validate_memory(long long mb, std::string_view as_written = {});
std::string validate_timeout(long long s, std::string_view as_written = {});
std::string validate_function_name(const std::string& name);
// A name an environment can hold: not empty, no '=' and no NUL (execve's NAME=value strings).
std::string validate_environment_name(const std::string& name);
std::string validate_ephemeral_storage(long long mb);  // EphemeralStorage.Size, 512..10240 MB
// ReservedConcurrentExecutions: 0 .. account_concurrency - min_unreserved_concurrency.
std::string validate_reserved_concurrency(long long n, std::string_view as_written = {});
// Lambda's refusal of reserved environment variable names (AWS_REGION, LAMBDA_TASK_ROOT, ...),
// listing those used; empty when none is.
std::string validate_environment_keys(const std::map<std::string, std::string>& env);
bool is_provided_runtime(const std::string& runtime);

}  // namespace lambench::service
