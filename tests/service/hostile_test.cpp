// Regression tests for faults a hostile client or a misbehaving function could cause: bytes
// that are not UTF-8, one sandbox reaching into another's Runtime API, a runtime that never
// comes back for its next event. Each runs against a real `lambench serve`.
#include <gtest/gtest.h>
#include <signal.h>

#include <future>
#include <nlohmann/json.hpp>
#include <regex>

#include "harness.hpp"

using namespace lambench_test;
using json = nlohmann::json;

namespace {

class Hostile : public ::testing::Test {
  protected:
    static inline temp_dir* code_tmp = nullptr;
    static inline service_process* svc = nullptr;

    static void SetUpTestSuite() {
        code_tmp = new temp_dir;
        fs::path code = make_code_dir(code_tmp->path());
        // Callers are answered at the runtime's response (report_wait_ms = 0): the stalling
        // runtime below never asks for its next event, so no REPORT would come to wait for.
        std::string cfg = "[service]\nidle_timeout = 120\ninit_timeout = 2\nreport_wait_ms = 0\n";
        for (const char* h : {"echo", "echoapi", "badbytes", "pid"})
            cfg += function_block(h, h, code);
        cfg += function_block("thief", "thief", code, 128, 10);
        cfg += function_block("stall", "stall", code, 128, 2);
        cfg += function_block("pidstop", "pid", code, 128, 2);
        svc = new service_process(cfg);
    }
    static void TearDownTestSuite() {
        delete svc;
        delete code_tmp;
        svc = nullptr;
        code_tmp = nullptr;
    }
    static bool alive() {
        auto r = svc->invoke("echo", R"({"still":"here"})");
        return r.status == 200 && r.body == R"({"still":"here"})";
    }
    static json body_json(const http_result& r) { return json::parse(r.body, nullptr, false); }
};

TEST_F(Hostile, InvalidUtf8InTheFunctionNameIsA400NotACrash) {
    auto r = http("GET", svc->url() + "/2015-03-31/functions/%ff");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.header("x-amzn-errortype"), "InvalidParameterValueException");
    auto j = body_json(r);
    ASSERT_TRUE(j.is_object()) << r.body;
    EXPECT_NE(j["message"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos)
        << "the invalid byte is echoed as U+FFFD: " << r.body;
    auto inv = http("POST", svc->url() + "/2015-03-31/functions/%ff%fe/invocations", "{}");
    EXPECT_EQ(inv.status, 400);
    EXPECT_TRUE(body_json(inv).is_object()) << inv.body;
    auto del = http("DELETE", svc->url() + "/2015-03-31/functions/a%c3%28b");
    EXPECT_EQ(del.status, 400);
    EXPECT_TRUE(alive());
}

TEST_F(Hostile, InvalidUtf8InInvokeHeadersAndQualifierIsA400NotACrash) {
    auto a = http("POST", svc->invoke_url("echo"), "{}", {"X-Amz-Log-Type: \xff"});
    EXPECT_EQ(a.status, 400) << a.body;
    EXPECT_EQ(a.header("x-amzn-errortype"), "InvalidParameterValueException");
    auto b = http("POST", svc->invoke_url("echo"), "{}", {"X-Amz-Invocation-Type: \xff\xfe"});
    EXPECT_EQ(b.status, 400) << b.body;
    EXPECT_TRUE(body_json(b).is_object()) << b.body;
    auto c = http("POST", svc->invoke_url("echo") + "?Qualifier=%ff", "{}");
    EXPECT_GE(c.status, 400);
    EXPECT_LT(c.status, 500);
    EXPECT_TRUE(body_json(c).is_object()) << c.body;
    EXPECT_TRUE(alive());
}

TEST_F(Hostile, InvalidUtf8AndMalformedHttpAtTheRuntimeApiAreAnsweredNotFatal) {
    auto r = svc->invoke("badbytes");
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = body_json(r);
    ASSERT_TRUE(j.is_object()) << r.body;
    // Every probe got an answer (a 4xx), none a dropped connection.
    for (const char* k : {"a", "b", "c", "d"}) {
        EXPECT_GE(j[k].get<int>(), 400) << k << ": " << r.body;
        EXPECT_LT(j[k].get<int>(), 500) << k << ": " << r.body;
    }
    EXPECT_EQ(j["d"].get<int>(), 400) << "malformed HTTP is answered 400";
    EXPECT_TRUE(alive());
    EXPECT_EQ(svc->invoke("badbytes").status, 200) << "the sandbox is still usable";
}

TEST_F(Hostile, ASandboxCannotTakeOrAnswerAnotherSandboxsEvents) {
    auto api = svc->invoke("echoapi", R"("api")");
    ASSERT_EQ(api.status, 200);
    std::string addr = json::parse(api.body).get<std::string>();
    int port = std::stoi(addr.substr(addr.rfind(':') + 1));

    // The thief asks the victim's endpoint for its next event while the victim is invoked.
    auto thief = std::async(std::launch::async, [&] {
        return svc->invoke("thief", "{\"port\":" + std::to_string(port) + "}");
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto victim = svc->invoke("echoapi", R"({"secret":"s3cr3t"})");
    auto t = thief.get();
    EXPECT_EQ(victim.status, 200);
    EXPECT_EQ(victim.body, R"({"secret":"s3cr3t"})") << "the event reached its own sandbox";
    ASSERT_EQ(t.status, 200) << t.body;
    auto j = json::parse(t.body);
    EXPECT_EQ(j["next_status"], 403) << t.body;
    EXPECT_EQ(j["next_reply"].get<std::string>().find("s3cr3t"), std::string::npos) << t.body;
    EXPECT_NE(j["next_reply"].get<std::string>().find("AccessDeniedException"), std::string::npos)
        << t.body;
    EXPECT_EQ(j["answer_status"], 403) << t.body;
    // And the victim still works afterwards.
    auto again = svc->invoke("echoapi", R"({"n":2})");
    EXPECT_EQ(again.body, R"({"n":2})");
}

TEST_F(Hostile, ARuntimeThatNeverAsksForItsNextEventIsEndedByTheTimeout) {
    auto first = svc->invoke("stall");
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.body, R"({"stalling":true})");
    std::string id = first.header("x-amzn-requestid");
    // As on Lambda, the invocation lasts until the runtime asks for its next event, so this
    // environment stays busy: the next caller gets a fresh one at once, and pays nothing.
    auto t0 = std::chrono::steady_clock::now();
    auto second = svc->invoke("stall");
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(second.body, R"({"stalling":true})");
    EXPECT_LT(s, 1.5);
    EXPECT_NE(unbase64(second.header("x-amz-log-result")).find("INIT_START"), std::string::npos);
    // The function's timeout (2 s) ends the stuck invocation; its REPORT says so, and the
    // stuck environment is gone (each stuck one is, in turn).
    std::this_thread::sleep_for(std::chrono::milliseconds(3000));
    std::string log = read_file(svc->state_dir() / "service/logs/stall.log");
    auto at = log.find("REPORT RequestId: " + id);
    ASSERT_NE(at, std::string::npos) << log;
    auto f = report_fields(log.substr(0, log.find('\n', at) + 1));
    EXPECT_EQ(f["Status"], "timeout") << f["line"];
    EXPECT_GE(ms_value(f["Duration"]), 1900) << f["line"];
    EXPECT_NE(log.find(id + " Task timed out after 2.00 seconds"), std::string::npos) << log;
    auto third = svc->invoke("stall");
    EXPECT_EQ(third.body, R"({"stalling":true})");
    EXPECT_NE(unbase64(third.header("x-amz-log-result")).find("INIT_START"), std::string::npos);
}

TEST_F(Hostile, ARuntimeStoppedWhileIdleCostsTheCallerOnlyTheTimeout) {
    auto first = svc->invoke("pidstop");
    ASSERT_EQ(first.status, 200);
    int pid = json::parse(first.body)["pid"].get<int>();
    // Stopped once idle, i.e. after it asked for its next event (callers here are answered at
    // the response, and the invocation lasts until that request).
    for (int i = 0; i < 200; ++i) {
        auto st = http("GET", svc->url() + "/2015-03-31/functions/pidstop/lambench-stats");
        if (json::parse(st.body).value("Idle", 0) == 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(::kill(pid, SIGSTOP), 0);
    auto t0 = std::chrono::steady_clock::now();
    auto second = http("POST", svc->invoke_url("pidstop"), "{}", {}, 15);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_NE(second.body.find("Sandbox.Timedout"), std::string::npos) << second.body;
    EXPECT_LT(s, 6.0);
    auto third = svc->invoke("pidstop");
    ASSERT_EQ(third.status, 200);
    EXPECT_NE(json::parse(third.body)["pid"].get<int>(), pid) << "a new sandbox took over";
}

TEST_F(Hostile, DeletingAFunctionWhoseSandboxIsStuckStillAnswersTheCaller) {
    // Created over the API so it can be deleted without touching the other tests' functions.
    std::string zip = make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}});
    json create = {{"FunctionName", "stuck"},
                   {"Runtime", "provided.al2023"},
                   {"Handler", "sleep"},
                   {"Role", "arn:aws:iam::000000000000:role/x"},
                   {"Timeout", 2},
                   {"Code", {{"ZipFile", base64(zip)}}}};
    auto c = http("POST", svc->url() + "/2015-03-31/functions", create.dump());
    ASSERT_EQ(c.status, 201) << c.body;
    ASSERT_EQ(svc->invoke("stuck", "0").status, 200);
    auto waiting = std::async(std::launch::async, [&] {
        return http("POST", svc->invoke_url("stuck"), "10000", {}, 15);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(http("DELETE", svc->url() + "/2015-03-31/functions/stuck").status, 204);
    auto r = waiting.get();
    EXPECT_NE(r.body.find("Sandbox.Timedout"), std::string::npos) << r.body;
}

}  // namespace

namespace {

TEST(Exposure, ANonLoopbackListenAddressIsRefusedWithoutInsecure) {
    temp_dir t;
    int status = 0;
    std::string out =
        run_capture(std::string(LAMBENCH_BIN) + " serve --listen 0.0.0.0:0 --state-dir " +
                        (t.path() / "s").string() + " 2>&1",
                    &status);
    EXPECT_NE(status, 0);
    EXPECT_NE(out.find("refusing to listen on 0.0.0.0:0"), std::string::npos) << out;
    EXPECT_NE(out.find("--insecure"), std::string::npos) << out;
}

TEST(Exposure, TheReadyLineNamesTheAddressActuallyBound) {
    temp_dir t;
    int status = 0;
    std::string out = run_capture("timeout -s INT 3 " + std::string(LAMBENCH_BIN) +
                                      " serve --insecure --listen 0.0.0.0:0 --state-dir " +
                                      (t.path() / "s").string(),
                                  &status);
    EXPECT_TRUE(std::regex_search(
        out, std::regex(R"(^lambench serve: listening on http://0\.0\.0\.0:\d+\n)")))
        << out;
}

}  // namespace
