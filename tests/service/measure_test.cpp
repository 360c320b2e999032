// What the service measures, against measurements taken elsewhere: Max Memory Used
// (repeatable across cold starts, base + N for N MB touched, Node.js vs C++), Init Duration
// against the function's own clock, post-response work (measured, billed, not frozen, not paid
// by the next caller), and the REPORT line's failure fields.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "harness.hpp"

using namespace lambench_test;
using json = nlohmann::json;

namespace {

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    if (v.empty()) return 0;
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::string tail(const http_result& r) {
    return unbase64(r.header("x-amz-log-result"));
}

class Measure : public ::testing::Test {
  protected:
    static inline temp_dir* tmp = nullptr;
    static inline service_process* svc = nullptr;

    static void SetUpTestSuite() {
        tmp = new temp_dir;
        fs::path code = make_code_dir(tmp->path());
        fs::path initcode = tmp->path() / "initfn";
        fs::create_directories(initcode);
        fs::copy_file(INITFN_BIN, initcode / "bootstrap");
        std::string cfg = "[service]\nidle_timeout = 120\n";
        cfg += function_block("echo", "echo", code);
        cfg += function_block("alloc", "alloc", code, 512, 10);
        cfg += function_block("oom", "alloc", code, 128, 25);
        cfg += function_block("initfn", "bootstrap", initcode);
        cfg += function_block("sleep", "sleep", code, 128, 1);
        cfg += function_block("exit", "exit", code);
        const fs::path build(BUILD_DIR);
        if (fs::exists(build / "functions/hello/static/bootstrap"))
            cfg += function_block("hello-static", "bootstrap", build / "functions/hello/static");
        if (fs::exists(build / "functions/hello/bundled/bootstrap"))
            cfg += function_block("hello-bundled", "bootstrap", build / "functions/hello/bundled");
        if (fs::exists(build / "functions/node-hello/jit/bootstrap"))
            cfg += function_block("node-hello", "bootstrap", build / "functions/node-hello/jit",
                                  128, 10);
        svc = new service_process(cfg);
    }
    static void TearDownTestSuite() {
        delete svc;
        delete tmp;
        svc = nullptr;
        tmp = nullptr;
    }

    static json stats(const std::string& name) {
        return json::parse(
            http("GET", svc->url() + "/2015-03-31/functions/" + name + "/lambench-stats").body);
    }
    static bool memory_cgroup() { return stats("echo")["ResourceModel"] == "full"; }
    // A configuration change, so the next invoke is cold (as the driver forces cold starts).
    static void force_cold(const std::string& name) {
        static int serial = 0;
        auto r = http(
            "PUT", svc->url() + "/2015-03-31/functions/" + name + "/configuration",
            json{{"Environment", {{"Variables", {{"LAMBENCH_COLD", std::to_string(++serial)}}}}}}
                .dump());
        ASSERT_EQ(r.status, 200) << r.body;
    }
    static std::map<std::string, std::string> cold_report(const std::string& name,
                                                          const std::string& payload = "{}") {
        force_cold(name);
        auto r = svc->invoke(name, payload);
        EXPECT_EQ(r.status, 200) << r.body;
        auto f = report_fields(tail(r));
        EXPECT_TRUE(f.count("Init Duration")) << tail(r);
        return f;
    }
    static std::vector<double> cold_mmus(const std::string& name, int n) {
        std::vector<double> v;
        for (int i = 0; i < n; ++i) v.push_back(std::stod(cold_report(name)["Max Memory Used"]));
        return v;
    }
};

// The definition counts every page the environment's processes have resident, whichever
// cgroup paid for it first, so it cannot depend on which cold start touched a file first.
TEST_F(Measure, MaxMemoryUsedIsRepeatableAcrossColdStarts) {
    auto v = cold_mmus("echo", 10);
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    EXPECT_LE(*hi - *lo, 1.0) << "min " << *lo << " max " << *hi;
    // The test function is a dynamically linked C++ binary: its resident set (libc, libstdc++,
    // its own code) is well over a megabyte, which the cgroup peak alone never showed.
    EXPECT_GE(*lo, 2.0);
}

TEST_F(Measure, MaxMemoryUsedIsBasePlusTouched) {
    auto base = cold_report("alloc", "0");
    auto big = report_fields(tail(svc->invoke("alloc", "50")));
    double b = std::stod(base["Max Memory Used"]), m = std::stod(big["Max Memory Used"]);
    EXPECT_NEAR(m, b + 50, 2.0) << base["line"] << "\n" << big["line"];
}

TEST_F(Measure, NodeHelloMinusCppHelloIsLambdasDifference) {
    int st = 0;
    bool node = !run_capture("command -v node", &st).empty() && st == 0;
    if (!node || !fs::exists(fs::path(BUILD_DIR) / "functions/node-hello/jit/bootstrap") ||
        !fs::exists(fs::path(BUILD_DIR) / "functions/hello/static/bootstrap"))
        GTEST_SKIP() << "needs build/functions/node-hello/jit and hello/static "
                        "(-DLAMBENCH_BUILD_FUNCTIONS=ON and Node.js)";
    double js = median(cold_mmus("node-hello", 5)), cpp = median(cold_mmus("hello-static", 5));
    // Real Lambda (x86_64, 128 MB): Node.js 20 67 MB, C++ provided.al2 15.8 MB: 51 MB apart.
    EXPECT_NEAR(js - cpp, 51.0, 51.0 * 0.25) << "node " << js << " MB, C++ " << cpp << " MB";
    if (fs::exists(fs::path(BUILD_DIR) / "functions/hello/bundled/bootstrap")) {
        // Lambda: the bundled-loader al2023 package uses more (22 MB) than al2 (15.8 MB).
        double bundled = median(cold_mmus("hello-bundled", 5));
        EXPECT_GT(bundled, cpp) << "bundled " << bundled << " MB, static " << cpp << " MB";
    }
}

// Init Duration runs from the function's exec to its first /next: compared with the function's
// own clock from main() to the moment it sent that /next, the difference is exec -> main() of
// a static C binary plus the request's trip over loopback, about 0.1 ms on a quiet host. On a
// busy one it is noise in both directions (a new process waits for a CPU before its main();
// the service's thread that sees the exec waits for one too): with a load of 20 on 2 cores the
// differences range from -1 to +15 ms and this test cannot hold.
TEST_F(Measure, InitDurationMatchesTheFunctionsOwnClock) {
    double load = 0;
    if (FILE* f = std::fopen("/proc/loadavg", "r")) {
        if (std::fscanf(f, "%lf", &load) != 1) load = 0;
        std::fclose(f);
    }
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    if (load > 2.0 * cores)
        GTEST_SKIP() << "host too busy to compare sub-millisecond start-up times (load " << load
                     << " on " << cores << " cores)";
    std::vector<double> diffs;
    std::string lines;
    for (int i = 0; i < 7; ++i) {
        force_cold("initfn");
        auto r = svc->invoke("initfn");
        ASSERT_EQ(r.status, 200) << r.body;
        auto j = json::parse(r.body);
        auto f = report_fields(tail(r));
        ASSERT_TRUE(f.count("Init Duration")) << tail(r);
        double inside = (j["next_ns"].get<double>() - j["main_ns"].get<double>()) / 1e6;
        double init = ms_value(f["Init Duration"]);
        diffs.push_back(init - inside);
        lines += f["Init Duration"] + " vs main->next " + std::to_string(inside) + " ms\n";
    }
    double d = median(diffs);
    EXPECT_GE(d, -0.3) << lines;
    EXPECT_LE(d, 0.3) << lines;
}

TEST_F(Measure, ColdStartLogsInitStartAndBillsTheSum) {
    force_cold("echo");
    auto r = svc->invoke("echo");
    std::string t = tail(r);
    auto init_start = t.find("INIT_START Runtime Version: ");
    auto start = t.find("START RequestId: ");
    EXPECT_NE(init_start, std::string::npos) << t;
    EXPECT_LT(init_start, start) << t;
    auto f = report_fields(t);
    double sum = ms_value(f["Duration"]) + ms_value(f["Init Duration"]);
    EXPECT_EQ(std::stoul(f["Billed Duration"]), static_cast<unsigned long>(std::ceil(sum))) << t;
    // A warm invocation has no INIT_START.
    auto warm = tail(svc->invoke("echo"));
    EXPECT_EQ(warm.find("INIT_START"), std::string::npos) << warm;
}

TEST_F(Measure, ReportSaysHowAnInvocationFailed) {
    auto timeout = svc->invoke("sleep", "2000");
    auto tf = report_fields(tail(timeout));
    EXPECT_EQ(tf["Status"], "timeout") << tf["line"];
    EXPECT_EQ(tf.count("Error Type"), 0u) << tf["line"];
    auto crash = svc->invoke("exit", "3");
    auto cf = report_fields(tail(crash));
    EXPECT_EQ(cf["Status"], "error") << cf["line"];
    EXPECT_EQ(cf["Error Type"], "Runtime.ExitError") << cf["line"];
    auto ok = report_fields(tail(svc->invoke("echo")));
    EXPECT_EQ(ok.count("Status"), 0u) << ok["line"];
}

TEST_F(Measure, OutOfMemoryIsRuntimeOutOfMemory) {
    if (!memory_cgroup()) {
        if (require_cgroups()) FAIL() << "cgroups incomplete";
        GTEST_SKIP() << "memory cgroup unavailable";
    }
    auto r = svc->invoke("oom", "200");
    auto j = json::parse(r.body);
    EXPECT_EQ(j["errorType"], "Runtime.OutOfMemory") << r.body;
    EXPECT_EQ(j["errorMessage"], "RequestId: " + r.header("x-amzn-requestid") +
                                     " Error: Runtime exited with error: signal: killed");
    auto f = report_fields(tail(r));
    EXPECT_EQ(f["Status"], "error") << f["line"];
    EXPECT_EQ(f["Error Type"], "Runtime.OutOfMemory") << f["line"];
    EXPECT_EQ(f["Max Memory Used"], "128 MB") << f["line"];
}

// The invocation ends when the runtime asks for its next event. With report_wait_ms = 0 the
// caller has its answer at the response; the 300 ms the runtime works afterwards are in the
// REPORT (logged when it asks for its next event) and billed; the environment is not frozen in
// the middle of that work, and the next caller does not wait for it.
TEST(MeasurePostResponse, WorkAfterTheResponseIsMeasuredBilledAndNotFrozen) {
    temp_dir tmp;
    fs::path code = make_code_dir(tmp.path());
    service_process s("[service]\nreport_wait_ms = 0\n" +
                      function_block("postwork", "postwork", code, 128, 5));
    ASSERT_EQ(s.invoke("postwork", "0").status, 200);  // the cold start, out of the way
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto t0 = std::chrono::steady_clock::now();
    auto first = s.invoke("postwork", "300");
    double round_trip =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(first.status, 200) << first.body;
    EXPECT_LT(round_trip, 250) << "the caller waited for the post-response work";
    std::string id = first.header("x-amzn-requestid");
    // The tail the caller got has no REPORT yet: the invocation was still running.
    EXPECT_EQ(tail(first).find("REPORT"), std::string::npos) << tail(first);

    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    std::string log = read_file(s.state_dir() / "service/logs/postwork.log");
    auto at = log.find("REPORT RequestId: " + id);
    ASSERT_NE(at, std::string::npos) << log;
    auto f = report_fields(log.substr(0, log.find('\n', at) + 1));
    EXPECT_GE(ms_value(f["Duration"]), 300.0) << f["line"];
    EXPECT_GE(std::stod(f["Billed Duration"]), 300.0) << f["line"];

    auto t1 = std::chrono::steady_clock::now();
    auto second = s.invoke("postwork", "0");
    double second_trip =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    auto j = json::parse(second.body);
    // The work ran to its end while the environment was still live: not stretched by a freeze.
    EXPECT_GE(j["last_work_ms"].get<double>(), 300.0) << second.body;
    EXPECT_LT(j["last_work_ms"].get<double>(), 450.0) << second.body;
    EXPECT_LT(second_trip, 150) << "the next caller paid for the previous invocation's work";
}

}  // namespace
