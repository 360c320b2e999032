// Integration tests: a real `lambench serve` running real sandboxes (the test function in
// functions/testfn.cpp) in real cgroups, driven over real HTTP.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <atomic>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "harness.hpp"

using namespace lambench_test;
using json = nlohmann::json;

namespace {

const std::regex report_re(
    R"(REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d\d ms\tBilled Duration: \d+ ms\tMemory Size: \d+ MB\tMax Memory Used: \d+ MB(\tInit Duration: \d+\.\d\d ms)?)");

std::string sha256_b64(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    return base64(std::string(reinterpret_cast<char*>(md), len));
}

class Service : public ::testing::Test {
  protected:
    static inline temp_dir* code_tmp = nullptr;
    static inline service_process* svc = nullptr;
    static inline fs::path code;

    static void SetUpTestSuite() {
        code_tmp = new temp_dir;
        code = make_code_dir(code_tmp->path());
        std::string cfg = R"([service]
idle_timeout = 120
init_timeout = 2
event_retry_delay = 0.1
)";
        for (const char* h : {"echo", "print", "initprint", "exit", "segv", "initerror",
                              "initcrash", "initslow", "counter", "nodeerror", "cpperror",
                              "headererror", "bareerror", "protocol", "big", "flaky", "pid"})
            cfg += function_block(h, h, code);
        cfg += function_block("sleep", "sleep", code, 128, 1);
        cfg +=
            function_block("env", "env", code, 256, 7, "environment = { MY_VAR = \"my value\" }");
        cfg += function_block("alloc", "alloc", code, 512, 10);
        cfg += function_block("oom", "alloc", code, 128, 10);
        cfg += function_block("cpu", "cpu", code, 1769, 30);
        svc = new service_process(cfg);
    }
    static void TearDownTestSuite() {
        delete svc;
        delete code_tmp;
        svc = nullptr;
        code_tmp = nullptr;
    }

    static json stats(const std::string& name) {
        return json::parse(
            http("GET", svc->url() + "/2015-03-31/functions/" + name + "/lambench-stats").body);
    }
    static bool model_complete() { return stats("echo")["ResourceModel"] == "full"; }
    static std::string tail(const http_result& r) { return unbase64(r.header("x-amz-log-result")); }
    static std::string update_config(const std::string& name, const json& body) {
        auto r = http("PUT", svc->url() + "/2015-03-31/functions/" + name + "/configuration",
                      body.dump());
        EXPECT_EQ(r.status, 200) << r.body;
        return r.body;
    }
};

TEST_F(Service, PrintsTheListeningLineExactly) {
    EXPECT_TRUE(std::regex_match(
        svc->first_line(), std::regex(R"(lambench serve: listening on http://127\.0\.0\.1:\d+)")));
}

TEST_F(Service, EchoReturnsPayloadWithLambdaHeaders) {
    auto r = svc->invoke("echo", R"({"hello":"world"})");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"hello":"world"})");
    EXPECT_EQ(r.header("x-amz-executed-version"), "$LATEST");
    EXPECT_EQ(r.header("x-amzn-requestid").size(), 36u);
    EXPECT_EQ(r.header("x-amz-function-error"), "");
    EXPECT_FALSE(r.header("x-lambench-resource-model").empty());
}

TEST_F(Service, ColdThenWarmReportLines) {
    update_config("echo", {{"Environment", {{"Variables", {{"LAMBENCH_COLD", "1"}}}}}});
    auto cold = svc->invoke("echo");
    auto warm = svc->invoke("echo");
    std::string ct = tail(cold), wt = tail(warm);
    auto cf = report_fields(ct), wf = report_fields(wt);
    ASSERT_FALSE(cf.empty()) << ct;
    std::string id = cold.header("x-amzn-requestid");
    EXPECT_NE(ct.find("START RequestId: " + id + " Version: $LATEST\n"), std::string::npos) << ct;
    EXPECT_NE(ct.find("END RequestId: " + id + "\n"), std::string::npos) << ct;
    EXPECT_EQ(cf["REPORT RequestId"], id);
    if (model_complete()) {
        EXPECT_TRUE(std::regex_match(cf["line"], report_re)) << cf["line"];
        EXPECT_TRUE(std::regex_match(wf["line"], report_re)) << wf["line"];
    }
    EXPECT_TRUE(cf.count("Init Duration")) << ct;
    EXPECT_FALSE(wf.count("Init Duration")) << wt;
    EXPECT_EQ(cf["Memory Size"], "128 MB");
    double d = ms_value(cf["Duration"]), init = ms_value(cf["Init Duration"]);
    EXPECT_EQ(std::stoul(cf["Billed Duration"]), static_cast<unsigned long>(std::ceil(d + init)));
    EXPECT_EQ(std::stoul(wf["Billed Duration"]),
              static_cast<unsigned long>(std::ceil(ms_value(wf["Duration"]))));
}

TEST_F(Service, LogTailCarriesTheFunctionsOutput) {
    auto r = svc->invoke("print");
    std::string t = tail(r), id = r.header("x-amzn-requestid");
    auto start = t.find("START RequestId: " + id);
    auto out = t.find("hello stdout " + id);
    auto err = t.find("hello stderr");
    auto end = t.find("END RequestId: " + id);
    ASSERT_NE(out, std::string::npos) << t;
    ASSERT_NE(err, std::string::npos) << t;
    EXPECT_LT(start, out);
    EXPECT_LT(out, end);
    EXPECT_LT(err, end);
}

TEST_F(Service, InitOutputComesBeforeStartOfTheColdInvocation) {
    auto r = svc->invoke("initprint");
    std::string t = tail(r);
    auto init = t.find("init line from the function");
    ASSERT_NE(init, std::string::npos) << t;
    EXPECT_LT(init, t.find("START RequestId:"));
}

TEST_F(Service, LogIsKeptPerFunctionUnderTheStateDir) {
    auto r = svc->invoke("print");
    fs::path log = svc->state_dir() / "service" / "logs" / "print.log";
    std::string text = read_file(log);
    EXPECT_NE(text.find("START RequestId: " + r.header("x-amzn-requestid")), std::string::npos);
    EXPECT_NE(text.find("REPORT RequestId: " + r.header("x-amzn-requestid")), std::string::npos);
}

TEST_F(Service, SandboxEnvironmentIsLambdas) {
    auto r =
        svc->invoke("env", "{}", {"X-Amz-Client-Context: " + base64(R"({"custom":{"k":"v"}})")});
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = json::parse(r.body);
    EXPECT_EQ(j["_HANDLER"], "env");
    EXPECT_EQ(j["AWS_LAMBDA_FUNCTION_NAME"], "env");
    EXPECT_EQ(j["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
    EXPECT_EQ(j["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    EXPECT_EQ(j["AWS_LAMBDA_LOG_GROUP_NAME"], "/aws/lambda/env");
    EXPECT_NE(j["AWS_LAMBDA_LOG_STREAM_NAME"].get<std::string>().find("[$LATEST]"),
              std::string::npos);
    EXPECT_EQ(j["AWS_LAMBDA_INITIALIZATION_TYPE"], "on-demand");
    EXPECT_EQ(j["AWS_REGION"], "us-east-1");
    EXPECT_EQ(j["AWS_DEFAULT_REGION"], "us-east-1");
    EXPECT_EQ(j["TZ"], ":UTC");
    EXPECT_EQ(j["MY_VAR"], "my value");
    EXPECT_TRUE(j["LANG"].is_string());
    EXPECT_TRUE(j["PATH"].is_string());
    EXPECT_TRUE(j["LD_LIBRARY_PATH"].is_string());
    EXPECT_TRUE(j["LAMBDA_RUNTIME_DIR"].is_string());
    EXPECT_TRUE(j["HOME"].is_null()) << "nothing of the service's environment leaks in";
    EXPECT_EQ(j["cwd"], j["LAMBDA_TASK_ROOT"]);
    EXPECT_TRUE(std::regex_match(j["AWS_LAMBDA_RUNTIME_API"].get<std::string>(),
                                 std::regex(R"(127\.0\.0\.1:\d+)")));
    EXPECT_EQ(j["arn"], "arn:aws:lambda:us-east-1:000000000000:function:env");
    EXPECT_TRUE(std::regex_match(j["trace"].get<std::string>(),
                                 std::regex(R"(Root=1-[0-9a-f]{8}-[0-9a-f]{24};Sampled=0)")))
        << j["trace"];
    EXPECT_EQ(j["client_context"], R"({"custom":{"k":"v"}})");
    auto deadline = std::stoll(j["deadline"].get<std::string>());
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    EXPECT_GT(deadline, now + 5000);
    EXPECT_LE(deadline, now + 7000);
}

TEST_F(Service, TimeoutKillsTheSandboxAndSaysSo) {
    auto r = svc->invoke("sleep", R"({"ms":5000})");
    std::string id = r.header("x-amzn-requestid");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    EXPECT_EQ(r.body,
              R"({"errorMessage":"RequestId: )" + id +
                  R"( Error: Task timed out after 1.00 seconds","errorType":"Sandbox.Timedout"})");
    std::string t = tail(r);
    EXPECT_TRUE(std::regex_search(t, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )" + id +
                                                R"( Task timed out after 1\.00 seconds)")))
        << t;
    EXPECT_NE(t.find("REPORT RequestId: " + id), std::string::npos);
    auto next = svc->invoke("sleep", R"({"ms":1})");
    EXPECT_EQ(next.header("x-amz-function-error"), "");
    EXPECT_TRUE(report_fields(tail(next)).count("Init Duration")) << "a timeout resets the sandbox";
}

TEST_F(Service, CrashReportsExitStatus) {
    auto r = svc->invoke("exit", "3");
    std::string id = r.header("x-amzn-requestid");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    auto j = json::parse(r.body);
    EXPECT_EQ(j["errorType"], "Runtime.ExitError");
    EXPECT_EQ(j["errorMessage"],
              "RequestId: " + id + " Error: Runtime exited with error: exit status 3");
    std::string t = tail(r);
    EXPECT_NE(t.find("RequestId: " + id +
                     " Error: Runtime exited with error: exit status 3\nRuntime.ExitError"),
              std::string::npos)
        << t;
    auto again = svc->invoke("exit", "4");
    EXPECT_TRUE(report_fields(tail(again)).count("Init Duration")) << "a crash resets the sandbox";
}

TEST_F(Service, CrashBySignalIsReportedAsSignal) {
    auto r = svc->invoke("segv");
    auto j = json::parse(r.body);
    EXPECT_EQ(j["errorType"], "Runtime.ExitError");
    EXPECT_NE(j["errorMessage"].get<std::string>().find("Runtime exited with error: signal: "),
              std::string::npos)
        << r.body;
}

TEST_F(Service, OutOfMemoryIsKilled) {
    if (!model_complete()) {
        if (require_cgroups()) FAIL() << "cgroups incomplete";
        GTEST_SKIP() << "memory cgroup unavailable";
    }
    auto r = svc->invoke("oom", "300");
    auto j = json::parse(r.body);
    EXPECT_EQ(j["errorType"], "Runtime.OutOfMemory") << r.body;
    EXPECT_EQ(j["errorMessage"], "RequestId: " + r.header("x-amzn-requestid") +
                                     " Error: Runtime exited with error: signal: killed");
}

TEST_F(Service, MaxMemoryUsedTracksAKnownAllocation) {
    if (!model_complete()) {
        if (require_cgroups()) FAIL() << "cgroups incomplete";
        GTEST_SKIP() << "memory cgroup unavailable";
    }
    update_config("alloc", {{"Environment", {{"Variables", {{"LAMBENCH_COLD", "mem"}}}}}});
    auto base = report_fields(tail(svc->invoke("alloc", "0")));
    auto big = report_fields(tail(svc->invoke("alloc", "200")));
    long b = std::stol(base["Max Memory Used"]), m = std::stol(big["Max Memory Used"]);
    EXPECT_NEAR(static_cast<double>(m), static_cast<double>(b + 200), 2.0) << base["line"] << "\n"
                                                                           << big["line"];
}

TEST_F(Service, CpuTimeScalesWithMemory) {
    if (!model_complete()) {
        if (require_cgroups()) FAIL() << "cgroups incomplete";
        GTEST_SKIP() << "cpu cgroup unavailable";
    }
    // Other processes on the host can only make a run slower, never faster: the minimum of a
    // few runs is the closest to what the quota alone allows.
    auto run = [&](long iters, int times) {
        double best = 1e18;
        for (int i = 0; i < times; ++i)
            best = std::min(best, ms_value(report_fields(tail(
                                      svc->invoke("cpu", std::to_string(iters))))["Duration"]));
        return best;
    };
    // Calibrate a ~250 ms job at 1769 MB (one vCPU), then expect duration x memory/1769 constant.
    long iters = 50'000'000;
    double d1769 = 0;
    for (int i = 0; i < 6; ++i) {
        d1769 = run(iters, 1);
        if (d1769 > 200) break;
        iters = static_cast<long>(static_cast<double>(iters) * 260.0 / std::max(d1769, 1.0));
    }
    ASSERT_GT(d1769, 150);
    // The throttled sizes are the reference: a quota below one CPU is what the cgroup enforces
    // even on a busy host, while the full CPU at 1769 MB is only ever an upper bound there.
    std::map<int, double> d;
    for (int mem : {256, 512, 1024}) {
        update_config("cpu", {{"MemorySize", mem}});
        svc->invoke("cpu", "1");  // cold start out of the way
        d[mem] = run(iters, 2);   // the best of two: the 256 MB figure is the reference
    }
    update_config("cpu", {{"MemorySize", 1769}});
    for (int mem : {512, 1024}) {
        double expected = d[256] * 256.0 / mem;
        EXPECT_NEAR(d[mem], expected, expected * 0.15)
            << "memory " << mem << " MB vs 256 MB took " << d[256] << " ms";
    }
    double full = d[256] * 256.0 / 1769.0;
    EXPECT_GT(d1769, full * 0.85) << "1769 MB is one CPU, never more (256 MB took " << d[256]
                                  << " ms)";
    EXPECT_LT(d[256], d1769 * 1769.0 / 256.0 * 1.15) << "256 MB gets 256/1769 of a CPU, not less";
}

TEST_F(Service, InitErrorIsReturnedToTheTriggeringInvocation) {
    auto r = svc->invoke("initerror");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    EXPECT_EQ(
        r.body,
        R"({"errorMessage":"init failed on purpose","errorType":"Runtime.InitError","stackTrace":[]})");
    EXPECT_EQ(r.header("x-lambench-error-type"), "Runtime.InitError");
    EXPECT_NE(tail(r).find("about to fail init"), std::string::npos);
}

TEST_F(Service, CrashDuringInitIsAnExitError) {
    auto r = svc->invoke("initcrash");
    auto j = json::parse(r.body);
    EXPECT_EQ(j["errorType"], "Runtime.ExitError");
    EXPECT_NE(j["errorMessage"].get<std::string>().find("exit status 2"), std::string::npos);
    EXPECT_TRUE(report_fields(tail(r)).count("Init Duration"));
}

TEST_F(Service, InitOverTheLimitTimesOut) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = svc->invoke("initslow");
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    auto j = json::parse(r.body);
    EXPECT_EQ(j["errorType"], "Sandbox.Timedout");
    EXPECT_NE(j["errorMessage"].get<std::string>().find("Init timed out after 2.00 seconds"),
              std::string::npos);
    EXPECT_GE(secs, 1.9);
    EXPECT_LT(secs, 6);
}

TEST_F(Service, FrozenBetweenInvocations) {
    auto first = json::parse(svc->invoke("counter").body)["counter"].get<long>();
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    auto second = json::parse(svc->invoke("counter").body)["counter"].get<long>();
    // Unfrozen, the 1 ms ticker would advance ~600; frozen it advances only around the calls.
    EXPECT_LT(second - first, 60) << first << " -> " << second;
}

TEST_F(Service, NodeStyleErrorBodyPassesUnchanged) {
    auto r = svc->invoke("nodeerror");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    EXPECT_EQ(
        r.body,
        R"J({"errorType":"TypeError","errorMessage":"x is not a function","trace":["TypeError: x is not a function","    at handler (/var/task/index.js:3:9)"]})J");
    EXPECT_EQ(r.header("x-lambench-error-type"), "TypeError");
}

TEST_F(Service, CppStyleErrorWithTextHtmlPassesUnchanged) {
    auto r = svc->invoke("cpperror");
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    EXPECT_EQ(
        r.body,
        R"({"errorMessage":"handler threw","errorType":"std::runtime_error","stackTrace":[]})");
    EXPECT_EQ(r.header("x-lambench-error-type"), "std::runtime_error");
}

TEST_F(Service, ErrorTypeFallsBackToHeaderThenUnknown) {
    auto h = svc->invoke("headererror");
    EXPECT_EQ(h.body, "not json at all");
    EXPECT_EQ(h.header("x-lambench-error-type"), "Custom.FromHeader");
    auto b = svc->invoke("bareerror");
    EXPECT_EQ(b.body, "plain failure");
    EXPECT_EQ(b.header("x-lambench-error-type"), "Runtime.Unknown");
}

TEST_F(Service, RuntimeApiRefusesProtocolViolations) {
    auto r = svc->invoke("protocol");
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = json::parse(r.body);
    EXPECT_EQ(j["foreign"], 400);
    EXPECT_EQ(j["foreign_type"], "InvalidRequestID");
    EXPECT_EQ(j["init_error"], 403);
    EXPECT_EQ(j["init_error_type"], "InvalidStateTransition");
    EXPECT_EQ(j["next_again"], 403);
    EXPECT_EQ(j["unknown"], 404);
    // The second /response for the same id is refused too. The function prints what it got;
    // depending on when the idle sandbox is frozen, the line lands between invocations (the
    // function's log file) or in the next invocation's log. Invoking again thaws it if frozen.
    svc->invoke("protocol");
    fs::path log = svc->state_dir() / "service" / "logs" / "protocol.log";
    std::string text;
    for (int i = 0; i < 100 && text.find("second response status") == std::string::npos; ++i) {
        text = read_file(log);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_NE(text.find("second response status 403"), std::string::npos) << text;
}

TEST_F(Service, OversizedFunctionResponseIsRefused) {
    auto r = svc->invoke("big");
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    EXPECT_EQ(json::parse(r.body)["errorType"], "Function.ResponseSizeTooLarge")
        << r.body.substr(0, 200);
}

// ---- Invoke API errors and name forms ----

void expect_error(const http_result& r, long status, const std::string& type,
                  const std::string& needle = {}) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.header("x-amzn-errortype"), type) << r.body;
    EXPECT_FALSE(r.header("x-amzn-requestid").empty());
    auto j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_EQ(j["Type"], status >= 500 ? "Service" : "User");
    ASSERT_TRUE(j["message"].is_string()) << r.body;
    if (!needle.empty()) {
        EXPECT_NE(j["message"].get<std::string>().find(needle), std::string::npos) << r.body;
    }
}

TEST_F(Service, InvokeUnknownFunctionIs404) {
    expect_error(svc->invoke("nope"), 404, "ResourceNotFoundException", "nope");
}

TEST_F(Service, InvokeRejectsBadJsonPayload) {
    expect_error(svc->invoke("echo", "{not json"), 400, "InvalidRequestContentException");
}

TEST_F(Service, InvokeRejectsBadInvocationType) {
    expect_error(svc->invoke("echo", "{}", {"X-Amz-Invocation-Type: Sometimes"}), 400,
                 "InvalidParameterValueException", "X-Amz-Invocation-Type");
}

TEST_F(Service, InvokeRejectsOversizedPayloads) {
    std::string big = "\"" + std::string(6291456, 'x') + "\"";
    expect_error(svc->invoke("echo", big), 413, "RequestTooLargeException", "6291456");
    std::string mid = "\"" + std::string(1048576, 'x') + "\"";
    expect_error(svc->invoke("echo", mid, {"X-Amz-Invocation-Type: Event"}), 413,
                 "RequestTooLargeException", "1048576");
}

TEST_F(Service, InvokeAcceptsEveryNameForm) {
    for (std::string name : {"echo", "echo:$LATEST", "echo%3A%24LATEST",
                             "arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aecho",
                             "echo/invocations?Qualifier=$LATEST"}) {
        std::string path = name.find('/') == std::string::npos ? name + "/invocations" : name;
        auto r = http("POST", svc->url() + "/2015-03-31/functions/" + path, R"({"n":1})");
        EXPECT_EQ(r.status, 200) << name << ": " << r.body;
        EXPECT_EQ(r.body, R"({"n":1})") << name;
    }
    expect_error(svc->invoke("echo:7"), 404, "ResourceNotFoundException");
}

TEST_F(Service, DryRunAnswers204WithoutRunning) {
    auto before = stats("echo")["Invocations"].get<long>();
    auto r = svc->invoke("echo", "{}", {"X-Amz-Invocation-Type: DryRun"});
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(stats("echo")["Invocations"].get<long>(), before);
}

TEST_F(Service, EventIsAcceptedAndRuns) {
    auto r = svc->invoke("print", "{}", {"X-Amz-Invocation-Type: Event"});
    EXPECT_EQ(r.status, 202);
    std::string id = r.header("x-amzn-requestid");
    fs::path log = svc->state_dir() / "service" / "logs" / "print.log";
    std::string text;
    for (int i = 0; i < 100 && text.find("END RequestId: " + id) == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        text = read_file(log);
    }
    EXPECT_NE(text.find("hello stdout " + id), std::string::npos);
}

TEST_F(Service, FailingEventIsRetriedTwice) {
    auto r = svc->invoke("flaky", "{}", {"X-Amz-Invocation-Type: Event"});
    ASSERT_EQ(r.status, 202);
    json s;
    for (int i = 0; i < 100; ++i) {
        s = stats("flaky");
        if (s["EventsFailed"] == 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(s["EventRetries"], 2) << s.dump();
    EXPECT_EQ(s["EventsFailed"], 1) << s.dump();
    std::string text = read_file(svc->state_dir() / "service" / "logs" / "flaky.log");
    std::size_t starts = 0;
    for (auto p = text.find("START RequestId: " + r.header("x-amzn-requestid"));
         p != std::string::npos;
         p = text.find("START RequestId: " + r.header("x-amzn-requestid"), p + 1))
        ++starts;
    EXPECT_EQ(starts, 3u) << "one attempt and two retries, same request id";
}

TEST_F(Service, EventIsNotLostWhenTheSandboxCrashes) {
    auto before = stats("exit");
    auto r = svc->invoke("exit", "5", {"X-Amz-Invocation-Type: Event"});
    ASSERT_EQ(r.status, 202);
    json s;
    for (int i = 0; i < 100; ++i) {
        s = stats("exit");
        if (s["EventsFailed"].get<int>() > before["EventsFailed"].get<int>()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(s["EventRetries"].get<int>() - before["EventRetries"].get<int>(), 2) << s.dump();
}

// ---- control plane ----

TEST_F(Service, CreateInvokeUpdateDeleteOverRest) {
    std::string zip = make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}});
    json create = {{"FunctionName", "made"}, {"Runtime", "provided.al2023"},
                   {"Handler", "echo"},      {"Role", "arn:aws:iam::000000000000:role/x"},
                   {"MemorySize", 256},      {"Code", {{"ZipFile", base64(zip)}}}};
    auto c = http("POST", svc->url() + "/2015-03-31/functions", create.dump());
    ASSERT_EQ(c.status, 201) << c.body;
    auto cfg = json::parse(c.body);
    EXPECT_EQ(cfg["FunctionName"], "made");
    EXPECT_EQ(cfg["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:made");
    EXPECT_EQ(cfg["Runtime"], "provided.al2023");
    EXPECT_EQ(cfg["Handler"], "echo");
    EXPECT_EQ(cfg["MemorySize"], 256);
    EXPECT_EQ(cfg["Timeout"], 3);
    EXPECT_EQ(cfg["State"], "Active");
    EXPECT_EQ(cfg["LastUpdateStatus"], "Successful");
    EXPECT_EQ(cfg["Version"], "$LATEST");
    EXPECT_EQ(cfg["PackageType"], "Zip");
    EXPECT_EQ(cfg["Architectures"], json::array({"x86_64"}));
    EXPECT_EQ(cfg["CodeSize"], zip.size());
    EXPECT_EQ(cfg["CodeSha256"], sha256_b64(zip));
    EXPECT_TRUE(cfg["LastModified"].is_string());

    auto r = svc->invoke("made", R"({"x":1})");
    EXPECT_EQ(r.body, R"({"x":1})");
    EXPECT_EQ(report_fields(tail(r))["Memory Size"], "256 MB");

    auto u = json::parse(update_config("made", {{"MemorySize", 512}, {"Timeout", 9}}));
    EXPECT_EQ(u["MemorySize"], 512);
    EXPECT_EQ(u["Timeout"], 9);
    auto after = report_fields(tail(svc->invoke("made")));
    EXPECT_EQ(after["Memory Size"], "512 MB");
    EXPECT_TRUE(after.count("Init Duration")) << "an update retires the sandbox";
    auto warm = report_fields(tail(svc->invoke("made")));
    EXPECT_FALSE(warm.count("Init Duration"));

    auto g = http("GET", svc->url() + "/2015-03-31/functions/made/configuration");
    EXPECT_EQ(json::parse(g.body)["Timeout"], 9);
    auto gf = http("GET", svc->url() + "/2015-03-31/functions/made");
    EXPECT_EQ(json::parse(gf.body)["Configuration"]["FunctionName"], "made");

    std::string zip2 =
        make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}, {"extra.txt", "v2"}});
    auto uc = http("PUT", svc->url() + "/2015-03-31/functions/made/code",
                   json{{"ZipFile", base64(zip2)}}.dump());
    ASSERT_EQ(uc.status, 200) << uc.body;
    EXPECT_EQ(json::parse(uc.body)["CodeSha256"], sha256_b64(zip2));
    EXPECT_TRUE(report_fields(tail(svc->invoke("made"))).count("Init Duration"));

    auto list = json::parse(http("GET", svc->url() + "/2015-03-31/functions/").body);
    bool found = false;
    for (auto& f : list["Functions"]) found = found || f["FunctionName"] == "made";
    EXPECT_TRUE(found);

    EXPECT_EQ(http("DELETE", svc->url() + "/2015-03-31/functions/made").status, 204);
    expect_error(svc->invoke("made"), 404, "ResourceNotFoundException");
    expect_error(http("DELETE", svc->url() + "/2015-03-31/functions/made"), 404,
                 "ResourceNotFoundException");
}

TEST_F(Service, EnvironmentChangeForcesAColdStart) {
    svc->invoke("echo");
    EXPECT_FALSE(report_fields(tail(svc->invoke("echo"))).count("Init Duration"));
    update_config("echo", {{"Environment", {{"Variables", {{"LAMBENCH_COLD", "42"}}}}}});
    EXPECT_TRUE(report_fields(tail(svc->invoke("echo"))).count("Init Duration"));
}

json create_body(const std::string& name) {
    return {{"FunctionName", name},
            {"Runtime", "provided.al2"},
            {"Handler", "echo"},
            {"Role", "arn:aws:iam::000000000000:role/x"},
            {"Code", {{"ZipFile", base64(make_zip({{"bootstrap", "#!/bin/sh\n", 0100755}}))}}}};
}

TEST_F(Service, CreateRejectsBadInput) {
    std::string url = svc->url() + "/2015-03-31/functions";
    expect_error(http("POST", url, "{oops"), 400, "InvalidRequestContentException");
    auto b = create_body("bad1");
    b["MemorySize"] = 64;
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException", "MemorySize");
    b = create_body("bad2");
    b["MemorySize"] = 10241;
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException", "MemorySize");
    b = create_body("bad3");
    b["Timeout"] = 0;
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException", "Timeout");
    b = create_body("bad4");
    b["Timeout"] = 901;
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException", "Timeout");
    b = create_body("bad5");
    b["MemorySize"] = "lots";
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException", "MemorySize");
    b = create_body("bad6");
    b.erase("Code");
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException", "Code");
    b = create_body("bad7");
    b["Runtime"] = "cobol85";
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException", "Runtime");
    b = create_body("bad 8");
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException",
                 "FunctionName");
    b = create_body("bad9");
    b["Code"]["ZipFile"] = "!!!not base64!!!";
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException",
                 "Code.ZipFile");
    b = create_body("bad10");
    b["Environment"] = {{"Variables", {{"A", 1}}}};
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException",
                 "Environment.Variables");
    b = create_body("bad11");
    b["Architectures"] = {"sparc"};
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException",
                 "Architectures");
    expect_error(http("POST", url, create_body("echo").dump()), 409, "ResourceConflictException");
    for (const char* n : {"bad1", "bad2", "bad3", "bad7", "bad9"})
        EXPECT_EQ(http("GET", svc->url() + "/2015-03-31/functions/" + n).status, 404) << n;
}

// Each of these was accepted before (issue 9, defect 8): the function then failed at its first
// invoke, or the error showed a number the client never sent.
TEST_F(Service, CreateRejectsAnEnvironmentNameWithNulOrEqualsOrNothing) {
    std::string url = svc->url() + "/2015-03-31/functions";
    for (const std::string& name : {std::string("A\0B", 3), std::string("A=B"), std::string()}) {
        auto b = create_body("badenv");
        b["Environment"] = {{"Variables", {{name, "x"}}}};
        expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException",
                     "Environment.Variables");
        EXPECT_EQ(http("GET", url + "/badenv").status, 404);
    }
    auto nul = json{{"Environment", {{"Variables", {{std::string("X\0Y", 3), "1"}}}}}};
    expect_error(http("PUT", url + "/echo/configuration", nul.dump()), 400,
                 "InvalidParameterValueException", "NUL");
}

TEST_F(Service, CreateRejectsAnEmptyOrNonZipPackage) {
    std::string url = svc->url() + "/2015-03-31/functions";
    auto b = create_body("emptyzip");
    b["Code"]["ZipFile"] = "";
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException",
                 "Code.ZipFile is empty");
    b["Code"]["ZipFile"] = base64("this is not a zip archive at all");
    expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException",
                 "Code.ZipFile");
    EXPECT_EQ(http("GET", url + "/emptyzip").status, 404);
    expect_error(http("PUT", url + "/echo/code", json{{"ZipFile", ""}}.dump()), 400,
                 "InvalidParameterValueException", "Code.ZipFile is empty");
}

TEST_F(Service, AnArnOfAnotherRegionOrAccountIsRefused) {
    auto region = http("POST",
                       svc->url() +
                           "/2015-03-31/functions/"
                           "arn%3Aaws%3Alambda%3Aeu-west-1%3A000000000000%3Afunction%3Aecho/"
                           "invocations",
                       "{}");
    expect_error(region, 404, "ResourceNotFoundException",
                 "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')");
    auto account = http("GET", svc->url() +
                                   "/2015-03-31/functions/"
                                   "arn:aws:lambda:us-east-1:111122223333:function:echo");
    expect_error(account, 403, "AccessDeniedException", "111122223333");
    auto b = create_body("arn:aws:lambda:eu-west-1:000000000000:function:elsewhere");
    expect_error(http("POST", svc->url() + "/2015-03-31/functions", b.dump()), 404,
                 "ResourceNotFoundException", "eu-west-1");
    EXPECT_EQ(http("GET", svc->url() + "/2015-03-31/functions/elsewhere").status, 404);
    // This region's and account's ARN names the function.
    b = create_body("arn:aws:lambda:us-east-1:000000000000:function:byarn");
    auto ok = http("POST", svc->url() + "/2015-03-31/functions", b.dump());
    ASSERT_EQ(ok.status, 201) << ok.body;
    EXPECT_EQ(json::parse(ok.body)["FunctionName"], "byarn");
    EXPECT_EQ(http("DELETE", svc->url() + "/2015-03-31/functions/byarn").status, 204);
}

TEST_F(Service, AnOutOfRangeNumberIsReportedAsSent) {
    std::string url = svc->url() + "/2015-03-31/functions";
    // {field, what the client sends, how the message shows it} (a JSON parser keeps a number
    // beyond 64 bits as a double: -2^63-1 is shown as the double it is)
    const std::tuple<const char*, const char*, const char*> cases[] = {
        {"MemorySize", "9223372036854775808", "9223372036854775808"},
        {"MemorySize", "18446744073709551615", "18446744073709551615"},
        {"MemorySize", "-9223372036854775809", "-9.223372036854776e+18"},
        {"Timeout", "9223372036854775808", "9223372036854775808"},
        {"MemorySize", "1e30", "1e+30"},
    };
    for (auto [field, number, shown] : cases) {
        std::string body = create_body("bignum").dump();
        body.insert(body.size() - 1, std::string(",\"") + field + "\":" + number);
        auto r = http("POST", url, body);
        expect_error(r, 400, "InvalidParameterValueException", std::string(field) + " must be");
        EXPECT_NE(r.body.find(std::string("got ") + shown), std::string::npos) << r.body;
        EXPECT_EQ(r.body.find("-9223372036854775808"), std::string::npos) << r.body;
        auto u = http("PUT", url + "/echo/configuration",
                      std::string("{\"") + field + "\":" + number + "}");
        expect_error(u, 400, "InvalidParameterValueException");
        EXPECT_NE(u.body.find(std::string("got ") + shown), std::string::npos) << u.body;
    }
}

TEST_F(Service, CreateRejectsHostileZips) {
    std::string url = svc->url() + "/2015-03-31/functions";
    struct hostile {
        const char* name;
        std::vector<zip_entry> entries;
        const char* why;
    };
    std::vector<hostile> cases = {
        {"traversal", {{"bootstrap", "x", 0100755}, {"../../escaped", "x"}}, ".."},
        {"absolute", {{"/tmp/lambench-absolute", "x"}}, "absolute"},
        {"symlink", {{"bootstrap", "/etc/passwd", 0120777}}, "escapes"},
        {"bomb",
         {{"bootstrap", std::string(40 * 1024 * 1024, '\0'), 0100755}},
         "compression ratio"},
        {"notazip", {}, "zip"},
    };
    for (auto& c : cases) {
        json b = create_body(std::string("hostile-") + c.name);
        if (!c.entries.empty())
            b["Code"]["ZipFile"] = base64(make_zip(c.entries));
        else
            b["Code"]["ZipFile"] = base64("this is not a zip archive");
        expect_error(http("POST", url, b.dump()), 400, "InvalidParameterValueException", c.why);
        auto msg = json::parse(http("POST", url, b.dump()).body)["message"].get<std::string>();
        EXPECT_NE(msg.find("Code.ZipFile"), std::string::npos) << msg;
    }
    EXPECT_FALSE(fs::exists("/tmp/lambench-absolute"));
}

TEST_F(Service, UpdatesOfMissingFunctionsAre404AndBadValues400) {
    std::string base = svc->url() + "/2015-03-31/functions/";
    expect_error(http("PUT", base + "ghost/configuration", R"({"MemorySize":256})"), 404,
                 "ResourceNotFoundException");
    expect_error(http("GET", base + "ghost/configuration"), 404, "ResourceNotFoundException");
    expect_error(http("GET", base + "ghost"), 404, "ResourceNotFoundException");
    expect_error(http("PUT", base + "echo/configuration", R"({"MemorySize":100})"), 400,
                 "InvalidParameterValueException", "MemorySize");
    expect_error(http("PUT", base + "echo/configuration", R"({"Timeout":1000})"), 400,
                 "InvalidParameterValueException", "Timeout");
    expect_error(http("PUT", base + "echo/configuration", "[1,2"), 400,
                 "InvalidRequestContentException");
    expect_error(http("PUT", base + "echo/code", R"({"ZipFile":"AAAA"})"), 400,
                 "InvalidParameterValueException", "Code.ZipFile");
}

// ---- scheduling: scale-out, throttling, queue, idle reaping ----

class SmallService : public ::testing::Test {
  protected:
    temp_dir tmp;
    fs::path code = make_code_dir(tmp.path());
    std::string config(int concurrency, int queue, double idle = 120) {
        return "[service]\nconcurrency = " + std::to_string(concurrency) +
               "\nevent_queue = " + std::to_string(queue) +
               "\nidle_timeout = " + std::to_string(idle) + "\n" +
               function_block("sleep", "sleep", code, 128, 10) + function_block("pid", "pid", code);
    }
};

TEST_F(SmallService, ScalesOutThenThrottlesAtTheLimit) {
    service_process s(config(2, 10));
    std::vector<std::future<http_result>> calls;
    for (int i = 0; i < 2; ++i)
        calls.push_back(
            std::async(std::launch::async, [&] { return s.invoke("sleep", R"({"ms":1500})"); }));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto throttled = s.invoke("sleep", R"({"ms":1})");
    EXPECT_EQ(throttled.status, 429) << throttled.body;
    EXPECT_EQ(throttled.header("x-amzn-errortype"), "TooManyRequestsException");
    EXPECT_FALSE(throttled.header("retry-after").empty());
    auto tj = json::parse(throttled.body);
    // No reservation: the function drew on the unreserved pool, which `concurrency` stands for.
    EXPECT_EQ(tj["Reason"], "ConcurrentInvocationLimitExceeded");
    EXPECT_EQ(tj["Type"], "User");
    for (auto& f : calls) {
        auto r = f.get();
        EXPECT_EQ(r.status, 200);
        EXPECT_TRUE(report_fields(unbase64(r.header("x-amz-log-result"))).count("Init Duration"))
            << "each concurrent call got its own new sandbox";
    }
    auto st = json::parse(http("GET", s.url() + "/2015-03-31/functions/sleep/lambench-stats").body);
    EXPECT_EQ(st["Sandboxes"], 2);
    EXPECT_EQ(st["ColdStarts"], 2);
    EXPECT_EQ(st["Throttles"], 1);
    // Both warm now: two more concurrent calls reuse them.
    std::vector<std::future<http_result>> again;
    for (int i = 0; i < 2; ++i)
        again.push_back(
            std::async(std::launch::async, [&] { return s.invoke("sleep", R"({"ms":200})"); }));
    for (auto& f : again)
        EXPECT_FALSE(
            report_fields(unbase64(f.get().header("x-amz-log-result"))).count("Init Duration"));
}

// PutFunctionConcurrency: N at once, warm or cold, then 429 with the reserved Reason; 0 throttles
// every invoke while Event invocations wait in the queue and run once the reservation is gone;
// a reservation above the service's `concurrency` lets the function scale past it.
TEST_F(SmallService, ReservedConcurrencyCapsTheFunctionAndZeroThrottlesEverything) {
    service_process s(config(2, 10));
    const std::string c = s.url() + "/2017-10-31/functions/sleep/concurrency";
    auto put = [&](int n) {
        return http("PUT", c, "{\"ReservedConcurrentExecutions\":" + std::to_string(n) + "}");
    };
    auto p1 = put(1);
    ASSERT_EQ(p1.status, 200) << p1.body;
    EXPECT_EQ(json::parse(p1.body), json({{"ReservedConcurrentExecutions", 1}}));
    auto slow = std::async(std::launch::async, [&] { return s.invoke("sleep", R"({"ms":1500})"); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto t = s.invoke("sleep", R"({"ms":1})");
    EXPECT_EQ(t.status, 429) << t.body;
    EXPECT_EQ(t.header("x-amzn-errortype"), "TooManyRequestsException");
    EXPECT_EQ(json::parse(t.body)["Reason"], "ReservedFunctionConcurrentInvocationLimitExceeded");
    EXPECT_EQ(slow.get().status, 200);
    EXPECT_EQ(s.invoke("sleep", R"({"ms":1})").status, 200) << "one at a time still runs";
    EXPECT_EQ(s.invoke("pid").status, 200) << "another function is not limited by it";

    ASSERT_EQ(put(0).status, 200);
    auto t0 = s.invoke("sleep", R"({"ms":1})");
    EXPECT_EQ(t0.status, 429) << "0 throttles even with a warm sandbox idle";
    EXPECT_EQ(json::parse(t0.body)["Reason"], "ReservedFunctionConcurrentInvocationLimitExceeded");
    auto ev = s.invoke("sleep", R"({"ms":1})", {"X-Amz-Invocation-Type: Event"});
    EXPECT_EQ(ev.status, 202);
    const std::string stats_url = s.url() + "/2015-03-31/functions/sleep/lambench-stats";
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto st = json::parse(http("GET", stats_url).body);
    EXPECT_EQ(st["QueuedEvents"], 1) << st.dump();
    const auto invocations = st["Invocations"].get<int>();
    ASSERT_EQ(http("DELETE", c).status, 204);
    bool ran = false;
    for (int i = 0; i < 100 && !ran; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        st = json::parse(http("GET", stats_url).body);
        ran = st["QueuedEvents"] == 0 && st["Invocations"].get<int>() == invocations + 1;
    }
    EXPECT_TRUE(ran) << "the queued event runs once the reservation is deleted: " << st.dump();

    // Above the service's concurrency (2): three at once all run.
    ASSERT_EQ(put(3).status, 200);
    std::vector<std::future<http_result>> calls;
    for (int i = 0; i < 3; ++i)
        calls.push_back(
            std::async(std::launch::async, [&] { return s.invoke("sleep", R"({"ms":1000})"); }));
    for (auto& f : calls) EXPECT_EQ(f.get().status, 200);
}

TEST_F(SmallService, ConcurrencyApiRefusesBadInput) {
    service_process s(config(2, 10));
    const std::string put2017 = s.url() + "/2017-10-31/functions/";
    auto put = [&](const std::string& name, const std::string& body) {
        return http("PUT", put2017 + name + "/concurrency", body);
    };
    for (const char* body :
         {R"({"ReservedConcurrentExecutions":-1})", R"({"ReservedConcurrentExecutions":"5"})",
          R"({"ReservedConcurrentExecutions":2.5})", R"({"ReservedConcurrentExecutions":1e30})",
          R"({"ReservedConcurrentExecutions":18446744073709551615})",
          R"({"ReservedConcurrentExecutions":901})", R"({})", R"([])"}) {
        auto r = put("sleep", body);
        EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
        EXPECT_NE(r.header("x-amzn-errortype").find("Invalid"), std::string::npos) << body;
    }
    auto bad_json = put("sleep", "{\"ReservedConcurrentExecutions\":");
    EXPECT_EQ(bad_json.status, 400);
    EXPECT_EQ(bad_json.header("x-amzn-errortype"), "InvalidRequestContentException");
    for (const char* method : {"PUT", "DELETE"}) {
        auto r =
            http(method, put2017 + "nope/concurrency", R"({"ReservedConcurrentExecutions":1})");
        EXPECT_EQ(r.status, 404) << method;
        EXPECT_EQ(r.header("x-amzn-errortype"), "ResourceNotFoundException") << method;
    }
    auto g = http("GET", s.url() + "/2019-09-30/functions/nope/concurrency");
    EXPECT_EQ(g.status, 404);
    EXPECT_EQ(g.header("x-amzn-errortype"), "ResourceNotFoundException");
    // Each operation lives at its own API version only.
    EXPECT_EQ(http("GET", put2017 + "sleep/concurrency").header("x-amzn-errortype"),
              "UnknownOperationException");
    EXPECT_EQ(http("PUT", s.url() + "/2019-09-30/functions/sleep/concurrency",
                   R"({"ReservedConcurrentExecutions":1})")
                  .header("x-amzn-errortype"),
              "UnknownOperationException");
    // Reservations leave 100 of the account's 1000 unreserved.
    EXPECT_EQ(put("sleep", R"({"ReservedConcurrentExecutions":500})").status, 200);
    auto over = put("pid", R"({"ReservedConcurrentExecutions":401})");
    EXPECT_EQ(over.status, 400);
    EXPECT_NE(over.body.find("UnreservedConcurrentExecution below its minimum value of [100]"),
              std::string::npos)
        << over.body;
    EXPECT_EQ(put("pid", R"({"ReservedConcurrentExecutions":400})").status, 200);
    EXPECT_EQ(put("sleep", R"({"ReservedConcurrentExecutions":500})").status, 200)
        << "its own reservation does not count against a new value";
    // Nothing was changed by the refusals.
    EXPECT_EQ(json::parse(http("GET", s.url() + "/2019-09-30/functions/sleep/concurrency").body),
              json({{"ReservedConcurrentExecutions", 500}}));
}

TEST_F(SmallService, FullEventQueueThrottles) {
    service_process s(config(1, 2));
    std::vector<int> codes;
    for (int i = 0; i < 4; ++i)
        codes.push_back(static_cast<int>(
            s.invoke("sleep", R"({"ms":1500})", {"X-Amz-Invocation-Type: Event"}).status));
    // One runs, two wait in the queue, the fourth finds it full.
    EXPECT_EQ(codes, (std::vector<int>{202, 202, 202, 429}));
    auto r = s.invoke("sleep", R"({"ms":1})", {"X-Amz-Invocation-Type: Event"});
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(json::parse(r.body)["Reason"], "EventQueueFull");
}

TEST_F(SmallService, IdleSandboxesAreReaped) {
    service_process s(config(2, 10, 0.5));
    auto first = s.invoke("pid");
    pid_t pid = json::parse(first.body)["pid"].get<int>();
    EXPECT_EQ(::kill(pid, 0), 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    auto st = json::parse(http("GET", s.url() + "/2015-03-31/functions/pid/lambench-stats").body);
    EXPECT_EQ(st["Sandboxes"], 0);
    EXPECT_NE(::kill(pid, 0), 0) << "the reaped sandbox's process is gone";
    EXPECT_TRUE(
        report_fields(unbase64(s.invoke("pid").header("x-amz-log-result"))).count("Init Duration"));
}

std::vector<std::string> cgroups_named(const std::string& needle) {
    std::vector<std::string> found;
    for (const char* root :
         {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/freezer",
          "/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
        std::error_code ec;
        if (!fs::is_directory(root, ec)) continue;
        for (fs::recursive_directory_iterator
                 it(root, fs::directory_options::skip_permission_denied, ec),
             end;
             it != end; it.increment(ec)) {
            if (ec) break;
            if (it->is_directory(ec) &&
                it->path().filename().string().find(needle) != std::string::npos)
                found.push_back(it->path().string());
            if (it.depth() > 6) it.disable_recursion_pending();
        }
    }
    return found;
}

TEST_F(SmallService, CleanShutdownLeavesNoProcessAndNoCgroup) {
    auto s = std::make_unique<service_process>(config(2, 10));
    std::vector<std::future<http_result>> calls;
    for (int i = 0; i < 2; ++i)
        calls.push_back(
            std::async(std::launch::async, [&] { return s->invoke("sleep", R"({"ms":300})"); }));
    for (auto& f : calls) EXPECT_EQ(f.get().status, 200);
    pid_t pid = json::parse(s->invoke("pid").body)["pid"].get<int>();
    std::string tag = "lambench-" + std::to_string(s->pid()) + "-";
    auto live = cgroups_named(tag);
    if (json::parse(http("GET", s->url() + "/2015-03-31/functions/pid/lambench-stats")
                        .body)["ResourceModel"] == "full") {
        EXPECT_FALSE(live.empty()) << "sandbox cgroups exist while running";
    }
    EXPECT_EQ(s->stop(), 0);
    EXPECT_NE(::kill(pid, 0), 0);
    EXPECT_TRUE(cgroups_named(tag).empty());
    // Nothing of the run dir is left behind either.
    for (auto& e : fs::directory_iterator(s->state_dir() / "service"))
        EXPECT_EQ(e.path().filename().string().rfind("run-", 0), std::string::npos) << e.path();
}

}  // namespace
