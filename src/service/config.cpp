#include "config.hpp"

#include <toml++/toml.h>

#include <cstdlib>
#include <regex>
#include <stdexcept>

namespace lambench::service {

namespace {
std::string shown(long long v, std::string_view as_written) {
    return as_written.empty() ? std::to_string(v) : std::string(as_written);
}
}  // namespace

std::string validate_memory(long long mb, std::string_view as_written) {
    if (mb < 128 || mb > 10240)
        return "MemorySize must be between 128 and 10240 MB, got " + shown(mb, as_written);
    return {};
}

std::string validate_reserved_concurrency(long long n, std::string_view as_written) {
    if (n < 0)
        return "ReservedConcurrentExecutions must be at least 0, got " + shown(n, as_written);
    if (n > account_concurrency - min_unreserved_concurrency)
        return "Specified ReservedConcurrentExecutions for function decreases account's "
               "UnreservedConcurrentExecution below its minimum value of [" +
               std::to_string(min_unreserved_concurrency) + "] (the account's limit is " +
               std::to_string(account_concurrency) + "), got " + shown(n, as_written);
    return {};
}

std::string validate_timeout(long long s, std::string_view as_written) {
    if (s < 1 || s > 900)
        return "Timeout must be between 1 and 900 seconds, got " + shown(s, as_written);
    return {};
}

std::string validate_environment_name(const std::string& name) {
    if (name.empty()) return "Environment.Variables: a variable name is empty";
    if (name.find('\0') != std::string::npos)
        return "Environment.Variables: variable name contains a NUL character";
    if (name.find('=') != std::string::npos)
        return "Environment.Variables: variable name '" + name + "' contains '='";
    return {};
}

std::string validate_function_name(const std::string& name) {
    static const std::regex re("[A-Za-z0-9_-]{1,64}");
    if (!std::regex_match(name, re))
        return "FunctionName must match [A-Za-z0-9_-]{1,64}, got '" + name + "'";
    return {};
}

std::string validate_ephemeral_storage(long long mb) {
    if (mb < 512 || mb > 10240)
        return "EphemeralStorage.Size must be between 512 and 10240 MB, got " + std::to_string(mb);
    return {};
}

std::string validate_environment_keys(const std::map<std::string, std::string>& env) {
    // Lambda's reserved keys: set by the platform, refused in a function's configuration.
    static const char* const reserved[] = {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "TZ",
    };
    std::string used;
    for (const auto& [k, v] : env)
        for (const char* r : reserved)
            if (k == r) used += (used.empty() ? "" : ", ") + k;
    if (used.empty()) return {};
    return "Lambda was unable to configure your environment variables because the environment "
           "variables you have provided contains reserved keys that are currently not supported "
           "for modification. Reserved keys used in this request: " +
           used;
}

bool is_provided_runtime(const std::string& runtime) {
    return runtime == "provided" || runtime == "provided.al2" || runtime == "provided.al2023";
}

namespace {

[[noreturn]] void fail(const std::filesystem::path& file, const toml::source_region& where,
                       const std::string& what) {
    throw std::runtime_error(file.string() + ":" + std::to_string(where.begin.line) + ": " + what);
}

template <class T>
T get(const std::filesystem::path& file, const toml::node& n, const std::string& key) {
    if (auto v = n.value<T>()) return *v;
    fail(file, n.source(), "'" + key + "' has the wrong type");
}

// A number of seconds: an integer or a float (`header_timeout = 1` and `= 0.5` both work).
double number(const std::filesystem::path& file, const toml::node& n, const std::string& key) {
    if (auto i = n.value_exact<std::int64_t>()) return static_cast<double>(*i);
    if (auto d = n.value_exact<double>()) return *d;
    fail(file, n.source(), "'" + key + "' must be a number");
}

void check_keys(const std::filesystem::path& file, const toml::table& t,
                std::initializer_list<std::string_view> allowed, const std::string& section) {
    for (auto&& [k, v] : t) {
        bool ok = false;
        for (auto a : allowed) ok = ok || a == k.str();
        if (!ok) fail(file, v.source(), "unknown key '" + std::string(k.str()) + "' in " + section);
    }
}

}  // namespace

service_config load_config(const std::filesystem::path& file) {
    toml::table root;
    try {
        root = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
        throw std::runtime_error(file.string() + ":" + std::to_string(e.source().begin.line) +
                                 ": " + std::string(e.description()));
    }
    service_config cfg;
    check_keys(file, root, {"service", "function"}, "the file");
    if (auto* svc = root["service"].as_table()) {
        check_keys(file, *svc,
                   {"listen",
                    "state_dir",
                    "region",
                    "idle_timeout",
                    "init_timeout",
                    "init_cpu",
                    "concurrency",
                    "event_queue",
                    "event_retry_delay",
                    "event_max_retries",
                    "freeze_delay_ms",
                    "launchers",
                    "log_max_bytes",
                    "header_timeout",
                    "body_timeout",
                    "body_min_rate",
                    "connection_idle_timeout",
                    "max_connections",
                    "credentials",
                    "sandbox_isolation",
                    "shutdown_grace",
                    "report_wait_ms",
                    "stream_max_bytes",
                    "stream_burst_bytes",
                    "stream_rate"},
                   "[service]");
        for (auto&& [k, v] : *svc) {
            std::string key(k.str());
            if (key == "listen")
                cfg.listen = get<std::string>(file, v, key);
            else if (key == "state_dir")
                cfg.state_dir = get<std::string>(file, v, key);
            else if (key == "region")
                cfg.region = get<std::string>(file, v, key);
            else if (key == "idle_timeout")
                cfg.idle_timeout_s = get<double>(file, v, key);
            else if (key == "init_timeout")
                cfg.init_timeout_s = get<double>(file, v, key);
            else if (key == "freeze_delay_ms") {
                double ms = get<double>(file, v, key);
                if (ms < 0 || ms > 10000)
                    fail(file, v.source(), "freeze_delay_ms must be 0..10000");
                cfg.freeze_delay_s = ms / 1000;
            } else if (key == "report_wait_ms") {
                double ms = get<double>(file, v, key);
                if (ms < 0 || ms > 10000) fail(file, v.source(), "report_wait_ms must be 0..10000");
                cfg.report_wait_s = ms / 1000;
            } else if (key == "stream_max_bytes" || key == "stream_burst_bytes" ||
                       key == "stream_rate") {
                auto b = get<std::int64_t>(file, v, key);
                if (b < 0 || (key == "stream_max_bytes" && b < 1))
                    fail(file, v.source(),
                         key + (key == "stream_max_bytes" ? " must be >= 1 byte"
                                                          : " must be >= 0 (0 = none)"));
                (key == "stream_max_bytes"     ? cfg.stream_max_bytes
                 : key == "stream_burst_bytes" ? cfg.stream_burst_bytes
                                               : cfg.stream_rate) = static_cast<std::uint64_t>(b);
            } else if (key == "log_max_bytes") {
                auto b = get<std::int64_t>(file, v, key);
                if (b < 4096) fail(file, v.source(), "log_max_bytes must be >= 4096");
                cfg.log_max_bytes = static_cast<std::uint64_t>(b);
            } else if (key == "header_timeout" || key == "body_timeout" ||
                       key == "connection_idle_timeout") {
                double t = number(file, v, key);
                if (!(t >= 0 && t <= 86400))
                    fail(file, v.source(), key + " must be 0..86400 seconds (0 = no limit)");
                (key == "header_timeout" ? cfg.header_timeout_s
                 : key == "body_timeout" ? cfg.body_timeout_s
                                         : cfg.connection_idle_timeout_s) = t;
            } else if (key == "shutdown_grace") {
                double t = number(file, v, key);
                if (!(t >= 0 && t <= 900))
                    fail(file, v.source(), "shutdown_grace must be 0..900 s");
                cfg.shutdown_grace_s = t;
            } else if (key == "body_min_rate") {
                auto r = get<std::int64_t>(file, v, key);
                if (r < 0) fail(file, v.source(), "body_min_rate must be >= 0 bytes/s");
                cfg.body_min_rate = static_cast<std::uint64_t>(r);
            } else if (key == "max_connections") {
                auto c = get<std::int64_t>(file, v, key);
                if (c < 1 || c > 1000000)
                    fail(file, v.source(), "max_connections must be 1..1000000");
                cfg.max_connections = static_cast<std::size_t>(c);
            } else if (key == "event_retry_delay")
                cfg.event_retry_delay_s = get<double>(file, v, key);
            else if (key == "event_max_retries")
                cfg.event_max_retries = static_cast<int>(get<std::int64_t>(file, v, key));
            else if (key == "concurrency") {
                auto c = get<std::int64_t>(file, v, key);
                if (c < 1 || c > 1000) fail(file, v.source(), "concurrency must be 1..1000");
                cfg.concurrency = static_cast<int>(c);
            } else if (key == "event_queue") {
                auto q = get<std::int64_t>(file, v, key);
                if (q < 0) fail(file, v.source(), "event_queue must be >= 0");
                cfg.event_queue = static_cast<std::size_t>(q);
            } else if (key == "init_cpu") {
                auto m = get<std::string>(file, v, key);
                if (m == "full")
                    cfg.init_cpu = init_cpu_mode::full;
                else if (m == "proportional")
                    cfg.init_cpu = init_cpu_mode::proportional;
                else
                    fail(file, v.source(), "init_cpu must be \"full\" or \"proportional\"");
            } else if (key == "launchers") {
                auto* lt = v.as_table();
                if (!lt) fail(file, v.source(), "launchers must be a table runtime = \"command\"");
                for (auto&& [rk, rv] : *lt)
                    cfg.launchers[std::string(rk.str())] = get<std::string>(file, rv, "launchers");
            } else if (key == "credentials") {
                auto* ct = v.as_table();
                if (!ct) fail(file, v.source(), "credentials must be a table");
                check_keys(file, *ct, {"access_key_id", "secret_access_key", "session_token"},
                           "[service.credentials]");
                for (auto&& [ck, cv] : *ct) {
                    std::string name(ck.str());
                    auto value = get<std::string>(file, cv, name);
                    (name == "access_key_id"       ? cfg.credentials.access_key_id
                     : name == "secret_access_key" ? cfg.credentials.secret_access_key
                                                   : cfg.credentials.session_token) = value;
                }
            } else if (key == "sandbox_isolation") {
                auto m = get<std::string>(file, v, key);
                if (m != "auto" && m != "off")
                    fail(file, v.source(), "sandbox_isolation must be \"auto\" or \"off\"");
                cfg.sandbox_isolation = m;
            }
        }
        if (cfg.idle_timeout_s <= 0) fail(file, svc->source(), "idle_timeout must be > 0");
        if (cfg.init_timeout_s <= 0) fail(file, svc->source(), "init_timeout must be > 0");
    }
    if (auto* fns = root["function"].as_array()) {
        for (auto& node : *fns) {
            auto* t = node.as_table();
            if (!t) fail(file, node.source(), "[[function]] must be a table");
            check_keys(file, *t,
                       {"name", "code", "runtime", "handler", "memory", "timeout", "environment",
                        "architecture", "role", "description", "ephemeral_storage"},
                       "[[function]]");
            function_spec f;
            for (auto&& [k, v] : *t) {
                std::string key(k.str());
                if (key == "name")
                    f.name = get<std::string>(file, v, key);
                else if (key == "code")
                    f.code = get<std::string>(file, v, key);
                else if (key == "runtime")
                    f.runtime = get<std::string>(file, v, key);
                else if (key == "handler")
                    f.handler = get<std::string>(file, v, key);
                else if (key == "architecture")
                    f.architecture = get<std::string>(file, v, key);
                else if (key == "role")
                    f.role = get<std::string>(file, v, key);
                else if (key == "description")
                    f.description = get<std::string>(file, v, key);
                else if (key == "memory") {
                    auto m = get<std::int64_t>(file, v, key);
                    if (auto e = validate_memory(m); !e.empty()) fail(file, v.source(), e);
                    f.memory_mb = static_cast<int>(m);
                } else if (key == "timeout") {
                    auto s = get<std::int64_t>(file, v, key);
                    if (auto e = validate_timeout(s); !e.empty()) fail(file, v.source(), e);
                    f.timeout_s = static_cast<int>(s);
                } else if (key == "ephemeral_storage") {
                    auto mb = get<std::int64_t>(file, v, key);
                    if (auto e = validate_ephemeral_storage(mb); !e.empty())
                        fail(file, v.source(), e);
                    f.ephemeral_mb = static_cast<int>(mb);
                } else if (key == "environment") {
                    auto* et = v.as_table();
                    if (!et) fail(file, v.source(), "environment must be a table");
                    for (auto&& [ek, ev] : *et) {
                        if (auto e = validate_environment_name(std::string(ek.str())); !e.empty())
                            fail(file, ev.source(), e);
                        if (auto s = ev.value<std::string>())
                            f.environment[std::string(ek.str())] = *s;
                        else if (auto i = ev.value<std::int64_t>())
                            f.environment[std::string(ek.str())] = std::to_string(*i);
                        else
                            fail(file, ev.source(), "environment values must be strings");
                    }
                }
            }
            if (auto e = validate_function_name(f.name); !e.empty()) fail(file, t->source(), e);
            if (auto e = validate_environment_keys(f.environment); !e.empty())
                fail(file, t->source(), e);
            if (f.code.empty()) fail(file, t->source(), "function '" + f.name + "' needs 'code'");
            std::filesystem::path code(f.code);
            if (code.is_relative()) f.code = (file.parent_path() / code).string();
            if (f.architecture != "x86_64" && f.architecture != "arm64")
                fail(file, t->source(), "architecture must be x86_64 or arm64");
            cfg.functions.push_back(std::move(f));
        }
    } else if (root.contains("function")) {
        fail(file, root["function"].node()->source(), "use [[function]] (an array of tables)");
    }
    return cfg;
}

}  // namespace lambench::service
