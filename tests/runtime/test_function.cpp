// The function the integration tests run: what it does is chosen by the event, so one process
// can exercise several behaviours in a row.
//   "info"        → JSON of every invocation field, the trace env var and remaining time
//   "throw:<m>"   → throws std::runtime_error(m)
//   "throw_int"   → throws an int (not a std::exception)
//   "fail:<m>"    → response::failure(m, "Custom.Error")
//   "size:<n>"    → a response of n bytes
//   "heap"        → bytes of heap in use (mallinfo2), to catch per-invocation leaks
//   "setenv_trace"→ the handler itself sets _X_AMZN_TRACE_ID (as some tracing code does)
//   anything else → the payload echoed
// argv[1] selects an init behaviour: "init_error" or "throw_before_run"; with
// RUNTIME_TEST_THROW_IN_GLOBAL=1 a global constructor throws before main().
#include <malloc.h>

#include <cstdlib>
#include <lambench/runtime.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

using namespace lambench::runtime;

namespace {
struct throws_when_asked {
    throws_when_asked() {
        const char* v = std::getenv("RUNTIME_TEST_THROW_IN_GLOBAL");
        if (v != nullptr && std::string_view(v) == "1")
            throw std::invalid_argument("global constructor failed");
    }
};
throws_when_asked global_object;
}  // namespace

int main(int argc, char** argv) {
    std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "init_error") return init_error("database unreachable", "Custom.InitError");
    if (mode == "throw_before_run") throw std::logic_error("bad configuration");

    return run([](const invocation& inv) -> response {
        std::string_view p = inv.payload;
        if (p == "info") {
            const char* trace = std::getenv("_X_AMZN_TRACE_ID");
            nlohmann::json j = {
                {"request_id", inv.request_id},
                {"invoked_function_arn", inv.invoked_function_arn},
                {"xray_trace_id", inv.xray_trace_id},
                {"client_context", inv.client_context},
                {"cognito_identity", inv.cognito_identity},
                {"deadline_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                    inv.deadline.time_since_epoch())
                                    .count()},
                {"remaining_ms", inv.remaining_time().count()},
                {"env_trace", trace ? trace : "<unset>"},
            };
            return response::success(j.dump());
        }
        if (p.starts_with("throw:")) throw std::runtime_error(std::string(p.substr(6)));
        if (p == "throw_int") throw 42;
        if (p == "heap") return response::success(std::to_string(mallinfo2().uordblks));
        if (p == "setenv_trace") {
            ::setenv("_X_AMZN_TRACE_ID", "set-by-handler", 1);
            return response::success("set");
        }
        if (p.starts_with("fail:"))
            return response::failure(std::string(p.substr(5)), "Custom.Error");
        if (p == "no_content_type") return response::success("raw", "");
        if (p.starts_with("size:"))
            return response::success(std::string(std::stoull(std::string(p.substr(5))), 'x'),
                                     "application/octet-stream");
        return response::success(inv.payload, "text/plain");
    });
}
