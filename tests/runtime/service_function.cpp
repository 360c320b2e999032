// The function the service-backed client tests deploy through `lambench serve`. The Invoke API
// only accepts JSON payloads, so the behaviour is chosen by a JSON event:
//   {"op":"info"}            → every invocation field, _X_AMZN_TRACE_ID, remaining time, pid
//   {"op":"throw","message"} → throws std::runtime_error(message)
//   {"op":"size","n":N}      → a response of N bytes
//   anything else            → the payload echoed unchanged (not parsed: cheap for 6 MB events)
// RUNTIME_TEST_INIT (a function environment variable) selects an init failure:
//   "init_error" → lambench::runtime::init_error(); "throw" → an exception escapes main().
#include <unistd.h>

#include <cstdlib>
#include <lambench/runtime.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace lambench::runtime;

int main() {
    const char* init = std::getenv("RUNTIME_TEST_INIT");
    std::string_view init_mode = init != nullptr ? init : "";
    if (init_mode == "init_error") return init_error("database unreachable", "Custom.InitError");
    if (init_mode == "throw") throw std::logic_error("bad configuration");

    return run([](const invocation& inv) -> response {
        if (!std::string_view(inv.payload).starts_with(R"({"op":)"))
            return response::success(inv.payload);
        const auto event = nlohmann::json::parse(inv.payload);
        const std::string op = event.at("op");
        if (op == "info") {
            const char* trace = std::getenv("_X_AMZN_TRACE_ID");
            nlohmann::json j = {
                {"request_id", inv.request_id},
                {"invoked_function_arn", inv.invoked_function_arn},
                {"xray_trace_id", inv.xray_trace_id},
                {"client_context", inv.client_context},
                {"cognito_identity", inv.cognito_identity},
                {"remaining_ms", inv.remaining_time().count()},
                {"env_trace", trace != nullptr ? trace : "<unset>"},
                {"pid", ::getpid()},
            };
            return response::success(j.dump());
        }
        if (op == "throw") throw std::runtime_error(event.at("message").get<std::string>());
        if (op == "size")
            return response::success(std::string(event.at("n").get<std::size_t>(), 'x'),
                                     "application/octet-stream");
        return response::success(inv.payload);
    });
}
