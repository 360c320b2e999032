// The runtime client against the REAL Runtime API: a `lambench serve` child process, functions
// created through the Lambda REST API (CreateFunction with a zipped bootstrap), invoked through
// the Invoke API. The protocol corners the service never produces (chunked bodies, malformed
// answers) stay covered by runtime_client_test.cpp against the scripted test server.
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>

#include "common/base64.hpp"
#include "service_harness.hpp"
#include "support/http_client.hpp"
#include "support/report.hpp"
#include "support/serve.hpp"
#include "support/zip.hpp"

using namespace lambench::runtime::testing;
using namespace lambench::test_support;
using lambench::common::base64_encode;
using json = nlohmann::json;

namespace {

constexpr int timeout_s = 5;
// The Invoke API refuses a RequestResponse payload over 6291456 bytes; the Runtime API refuses
// a function response over 6 MiB (the same number).
constexpr std::size_t max_payload = 6291456;

std::string zipped_function_b64() {
    static const std::string b64 = base64_encode(zip_bootstrap(LAMBENCH_SERVICE_FUNCTION));
    return b64;
}

class RuntimeUnderService : public ::testing::Test {
  protected:
    static inline std::unique_ptr<serve_process> svc;

    static void SetUpTestSuite() {
        svc = std::make_unique<serve_process>(LAMBENCH_BIN);
        const std::string code = zipped_function_b64();
        for (auto [name, env] :
             {std::pair{"rt", R"({})"},
              std::pair{"rt-init-error", R"({"RUNTIME_TEST_INIT":"init_error"})"},
              std::pair{"rt-init-throw", R"({"RUNTIME_TEST_INIT":"throw"})"}}) {
            auto r = create_function(*svc, name, code, 256, timeout_s, env);
            ASSERT_EQ(r.status, 201) << name << ": " << r.body;
        }
    }
    static void TearDownTestSuite() { svc.reset(); }

    static json info(const std::vector<std::string>& headers = {}) {
        auto r = svc->invoke("rt", R"({"op":"info"})", headers);
        EXPECT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.header("x-amz-function-error"), "") << r.body;
        return json::parse(r.body);
    }
    static std::string log_tail(const http_result& r) {
        return decode_log_result(r.header("x-amz-log-result"));
    }
};

TEST_F(RuntimeUnderService, RoundTripPassesEveryInvocationFieldToTheHandler) {
    const std::string context = R"({"client":{"app_title":"lambench"},"custom":{"k":"v"}})";
    auto r =
        svc->invoke("rt", R"({"op":"info"})", {"X-Amz-Client-Context: " + base64_encode(context)});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("x-amz-function-error"), "");
    auto j = json::parse(r.body);

    EXPECT_EQ(j["request_id"], r.header("x-amzn-requestid"));
    auto cfg = json::parse(http("GET", svc->url() + "/2015-03-31/functions/rt/configuration").body);
    EXPECT_EQ(j["invoked_function_arn"], cfg["FunctionArn"]);
    const std::string trace = j["xray_trace_id"];
    EXPECT_TRUE(
        std::regex_match(trace, std::regex(R"(Root=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=[01])")))
        << trace;
    EXPECT_EQ(j["env_trace"], trace) << "_X_AMZN_TRACE_ID must follow Lambda-Runtime-Trace-Id";
    EXPECT_EQ(json::parse(j["client_context"].get<std::string>()), json::parse(context));
    EXPECT_EQ(j["cognito_identity"], "");
    const long long remaining = j["remaining_ms"];
    EXPECT_GT(remaining, 0);
    EXPECT_LE(remaining, timeout_s * 1000);
    EXPECT_NE(log_tail(r).find("REPORT RequestId: " + r.header("x-amzn-requestid")),
              std::string::npos);
}

TEST_F(RuntimeUnderService, EachWarmInvocationGetsItsOwnIdTraceAndContext) {
    auto first = info({"X-Amz-Client-Context: " + base64_encode(R"({"n":1})")});
    auto second = info();
    EXPECT_EQ(first["pid"], second["pid"]) << "the second invocation must reuse the warm sandbox";
    EXPECT_NE(first["request_id"], second["request_id"]);
    EXPECT_NE(first["xray_trace_id"], second["xray_trace_id"]);
    EXPECT_EQ(second["env_trace"], second["xray_trace_id"]);
    EXPECT_EQ(second["client_context"], "") << "a context must not leak into the next invocation";
}

TEST_F(RuntimeUnderService, HandlerExceptionIsAnUnhandledFunctionError) {
    auto r = svc->invoke("rt", R"({"op":"throw","message":"boom \"quoted\"\nline 2"})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    EXPECT_EQ(
        r.body,
        R"({"errorMessage":"boom \"quoted\"\nline 2","errorType":"std::runtime_error","stackTrace":[]})");
    // The loop goes on in the same process.
    EXPECT_EQ(svc->invoke("rt", R"({"after":"throw"})").body, R"({"after":"throw"})");
}

TEST_F(RuntimeUnderService, InitErrorIsWhatTheColdInvokeGets) {
    auto r = svc->invoke("rt-init-error", R"({})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    EXPECT_EQ(
        r.body,
        R"({"errorMessage":"database unreachable","errorType":"Custom.InitError","stackTrace":[]})");
    EXPECT_NE(log_tail(r).find("init error: Custom.InitError: database unreachable"),
              std::string::npos)
        << log_tail(r);
}

TEST_F(RuntimeUnderService, ExceptionEscapingMainIsAnInitError) {
    auto r = svc->invoke("rt-init-throw", R"({})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    EXPECT_EQ(
        r.body,
        R"({"errorMessage":"bad configuration","errorType":"std::logic_error","stackTrace":[]})");
}

TEST_F(RuntimeUnderService, PayloadJustUnderSixMegabytesIsEchoed) {
    // A JSON string: the Invoke API accepts only JSON, and 16 bytes under its limit.
    std::string payload(max_payload - 16, 'a');
    payload.front() = '"';
    payload.back() = '"';
    for (std::size_t i = 1; i + 1 < payload.size(); i += 4093) payload[i] = 'z';
    auto r = svc->invoke("rt", payload);
    ASSERT_EQ(r.status, 200) << r.body.substr(0, 300);
    EXPECT_EQ(r.header("x-amz-function-error"), "");
    EXPECT_EQ(r.body.size(), payload.size());
    EXPECT_TRUE(r.body == payload) << "the echoed payload differs";
}

TEST_F(RuntimeUnderService, OversizedResponseIsAFunctionErrorAndTheSandboxStaysWarm) {
    const auto pid = info()["pid"];
    auto r = svc->invoke("rt", R"({"op":"size","n":)" + std::to_string(max_payload + 1) + "}");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    auto err = json::parse(r.body);
    EXPECT_EQ(err["errorType"], "Function.ResponseSizeTooLarge") << r.body;
    // Whoever words it (the service on its 413, or the client's /error), the limit is named.
    EXPECT_NE(err["errorMessage"].get<std::string>().find("exceeded maximum allowed payload size"),
              std::string::npos)
        << r.body;

    auto after = info();
    EXPECT_EQ(after["pid"], pid) << "the oversized response must not cost the warm sandbox";
    // And the largest allowed response still goes through.
    auto max = svc->invoke("rt", R"({"op":"size","n":)" + std::to_string(max_payload) + "}");
    EXPECT_EQ(max.header("x-amz-function-error"), "") << max.body.substr(0, 200);
    EXPECT_EQ(max.body.size(), max_payload);
}

TEST(RuntimeServiceShutdown, StoppingTheServiceLeavesNoFunctionProcess) {
    auto svc = std::make_unique<serve_process>(LAMBENCH_BIN);
    ASSERT_EQ(create_function(*svc, "rt", zipped_function_b64(), 128, timeout_s).status, 201);
    auto r = svc->invoke("rt", R"({"op":"info"})");
    ASSERT_EQ(r.status, 200) << r.body;
    const pid_t pid = json::parse(r.body)["pid"].get<pid_t>();
    const auto state = svc->state_dir();
    ASSERT_EQ(processes_running_from(state), std::vector<pid_t>{pid})
        << "the warm (frozen) sandbox runs the unpacked bootstrap";

    EXPECT_EQ(svc->stop(), 0) << "SIGTERM must stop the service cleanly";
    // The function process may be reaped by init a moment after the service exits.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_NE(::kill(pid, 0), 0);
    EXPECT_EQ(errno, ESRCH);
    EXPECT_TRUE(processes_running_from(state).empty());
}

}  // namespace
