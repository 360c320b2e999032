// Regression tests for what a long-running service must not accumulate: a log file descriptor
// per function name ever seen, code directories of deleted or replaced code, unbounded log
// files; and a function's unterminated last line of output must reach its log. Each runs
// against a real `lambench serve`.
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <future>
#include <nlohmann/json.hpp>

#include "harness.hpp"

using namespace lambench_test;
using json = nlohmann::json;

namespace {

constexpr std::uint64_t log_cap = 10ull * 1024 * 1024;

bool eventually(const std::function<bool()>& ok, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (ok()) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

std::uint64_t file_size_or_0(const fs::path& p) {
    std::error_code ec;
    auto n = fs::file_size(p, ec);
    return ec ? 0 : n;
}

class Leaks : public ::testing::Test {
  protected:
    static inline temp_dir* code_tmp = nullptr;
    static inline service_process* svc = nullptr;
    static inline std::string zip_b64;

    static void SetUpTestSuite() {
        code_tmp = new temp_dir;
        fs::path code = make_code_dir(code_tmp->path());
        std::string cfg =
            "[service]\nidle_timeout = 120\nlog_max_bytes = " + std::to_string(log_cap) + "\n";
        // One full CPU for the one that prints 30 MB, so that it does not crawl under its quota.
        cfg += function_block("spew", "spew", code, 1769, 60);
        cfg += function_block("partialexit", "partialexit", code, 128, 3);
        cfg += function_block("partialhang", "partialhang", code, 128, 1);
        svc = new service_process(cfg);
        zip_b64 = base64(make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}}));
    }
    static void TearDownTestSuite() {
        delete svc;
        delete code_tmp;
        svc = nullptr;
        code_tmp = nullptr;
    }

    static std::string functions_url() { return svc->url() + "/2015-03-31/functions"; }
    static http_result create(const std::string& name, const std::string& handler) {
        json body = {{"FunctionName", name}, {"Runtime", "provided.al2023"},
                     {"Handler", handler},   {"Role", "arn:aws:iam::000000000000:role/x"},
                     {"Timeout", 5},         {"Code", {{"ZipFile", zip_b64}}}};
        return http("POST", functions_url(), body.dump());
    }
    static http_result remove(const std::string& name) {
        return http("DELETE", functions_url() + "/" + name);
    }
    static http_result update_code(const std::string& name) {
        return http("PUT", functions_url() + "/" + name + "/code",
                    json{{"ZipFile", zip_b64}}.dump());
    }
    // The service unpacks each code version into <state>/service/run-<pid>/code/<name>-<gen>.
    // Counts those of `name`, or of every name starting with `name` when it ends with '-'.
    static std::size_t code_dirs(const std::string& name) {
        fs::path root =
            svc->state_dir() / "service" / ("run-" + std::to_string(svc->pid())) / "code";
        std::size_t n = 0;
        std::error_code ec;
        for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator();
             it.increment(ec)) {
            std::string f = it->path().filename().string();
            auto dash = f.rfind('-');
            if (dash == std::string::npos) continue;
            std::string fn = f.substr(0, dash);
            if (fn == name || (name.back() == '-' && fn.rfind(name, 0) == 0)) ++n;
        }
        return n;
    }
    static fs::path log_file(const std::string& name) {
        return svc->state_dir() / "service" / "logs" / (name + ".log");
    }
    static std::string request_id(const std::string& tail) {
        auto p = tail.find("START RequestId: ");
        if (p == std::string::npos) return {};
        p += 17;
        return tail.substr(p, tail.find(' ', p) - p);
    }
};

TEST_F(Leaks, CreateInvokeDeleteCyclesLeaveTheFdCountFlat) {
    auto cycle = [](const std::string& name) {
        auto c = create(name, "echo");
        ASSERT_EQ(c.status, 201) << c.body;
        auto r = svc->invoke(name, R"({"n":1})");
        ASSERT_EQ(r.status, 200) << r.body;
        ASSERT_EQ(r.body, R"({"n":1})");
        ASSERT_EQ(remove(name).status, 204);
    };
    for (int i = 0; i < 5; ++i) cycle("warm-" + std::to_string(i));  // warm-up
    // Let the retired sandboxes be reaped, then take the baseline.
    std::size_t before = 0;
    eventually(
        [&] {
            std::size_t a = open_fds(svc->pid());
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            before = open_fds(svc->pid());
            return a == before && code_dirs("warm-") == 0;
        },
        std::chrono::seconds(10));

    for (int i = 0; i < 50; ++i) {
        cycle("cycle-" + std::to_string(i));
        if (HasFatalFailure()) return;
    }
    std::size_t after = 0;
    bool flat = eventually(
        [&] {
            after = open_fds(svc->pid());
            return after <= before + 2;
        },
        std::chrono::seconds(10));
    std::printf(
        "[ figures  ] service fds: %zu after warm-up, %zu after 50 create/invoke/delete "
        "cycles\n",
        before, after);
    EXPECT_TRUE(flat) << "fds before " << before << ", after 50 create/invoke/delete cycles "
                      << after;
    EXPECT_GE(after + 2, before);
    // Nothing of the deleted functions' code stays on disk either...
    std::size_t dirs = 0;
    EXPECT_TRUE(
        eventually([&] { return (dirs = code_dirs("cycle-")) == 0; }, std::chrono::seconds(10)))
        << dirs << " code directories of deleted functions are still on disk";
    // ...but their logs do, as CloudWatch keeps a deleted function's log group.
    EXPECT_NE(read_file(log_file("cycle-49")).find("REPORT RequestId: "), std::string::npos);
}

TEST_F(Leaks, CodeUpdatesKeepAtMostTwoCodeDirectoriesOfTheFunction) {
    ASSERT_EQ(create("upd", "echo").status, 201);
    ASSERT_EQ(svc->invoke("upd", R"("v0")").status, 200);
    for (int i = 1; i <= 50; ++i) {
        auto u = update_code("upd");
        ASSERT_EQ(u.status, 200) << u.body;
        auto r = svc->invoke("upd", "\"v" + std::to_string(i) + "\"");
        ASSERT_EQ(r.status, 200) << r.body;
        ASSERT_EQ(r.body, "\"v" + std::to_string(i) + "\"");
    }
    std::size_t n = 0;
    EXPECT_TRUE(eventually([&] { return (n = code_dirs("upd")) <= 2; }, std::chrono::seconds(10)))
        << n << " code directories of 'upd' after 50 code updates";
    {
        std::uintmax_t bytes = 0;
        std::error_code ec;
        fs::path root =
            svc->state_dir() / "service" / ("run-" + std::to_string(svc->pid())) / "code";
        for (auto it = fs::recursive_directory_iterator(root, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            if (it->is_regular_file(ec)) bytes += it->file_size(ec);
        std::printf(
            "[ figures  ] after 50 code updates: %zu code directories of 'upd', %ju bytes "
            "unpacked in all\n",
            n, bytes);
    }
    EXPECT_GE(code_dirs("upd"), 1u) << "the current code is on disk";

    // A configuration update keeps the code: the directory is shared, not removed with the old
    // generation's sandbox.
    for (int m : {256, 384, 512}) {
        auto u =
            http("PUT", functions_url() + "/upd/configuration", json{{"MemorySize", m}}.dump());
        ASSERT_EQ(u.status, 200) << u.body;
        auto r = svc->invoke("upd", R"("cfg")");
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.body, R"("cfg")");
        EXPECT_TRUE(report_fields(unbase64(r.header("x-amz-log-result"))).count("Init Duration"))
            << "the update made the next invoke cold";
    }
    EXPECT_TRUE(eventually([&] { return code_dirs("upd") == 1; }, std::chrono::seconds(10)));
    ASSERT_EQ(remove("upd").status, 204);
    EXPECT_TRUE(eventually([&] { return code_dirs("upd") == 0; }, std::chrono::seconds(10)))
        << "a deleted function's code goes once its sandboxes are gone";
}

TEST_F(Leaks, ABusySandboxKeepsItsCodeUntilItIsDone) {
    for (const std::string how : {"update", "delete"}) {
        std::string name = "busy-" + how;
        ASSERT_EQ(create(name, "sleepcheck").status, 201);
        auto running = std::async(std::launch::async, [&] { return svc->invoke(name, "1500"); });
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        if (how == "update") {
            ASSERT_EQ(update_code(name).status, 200);
            EXPECT_EQ(code_dirs(name), 2u) << "the busy sandbox's code stays while it runs";
        } else {
            ASSERT_EQ(remove(name).status, 204);
            EXPECT_EQ(code_dirs(name), 1u) << "the busy sandbox's code stays while it runs";
        }
        auto r = running.get();
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.body, R"({"code_present":true})") << how;
        std::size_t left = how == "update" ? 1 : 0;
        EXPECT_TRUE(eventually([&] { return code_dirs(name) == left; }, std::chrono::seconds(10)))
            << how << ": " << code_dirs(name) << " code directories left";
        if (how == "update") {
            auto again = svc->invoke(name, "10");
            EXPECT_EQ(again.body, R"({"code_present":true})");
            ASSERT_EQ(remove(name).status, 204);
        }
    }
}

TEST_F(Leaks, AFunctionPrinting30MBKeepsItsLogUnderTheCap) {
    auto r = http("POST", svc->invoke_url("spew"), "30", {"X-Amz-Log-Type: Tail"}, 120);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, R"({"spewed_mb":30})");
    std::string id = request_id(unbase64(r.header("x-amz-log-result")));
    fs::path current = log_file("spew"), older = current;
    older += ".1";
    auto a = file_size_or_0(current), b = file_size_or_0(older);
    std::printf("[ figures  ] 30 MB printed, cap %ju: spew.log %ju bytes, spew.log.1 %ju bytes\n",
                static_cast<std::uintmax_t>(log_cap), static_cast<std::uintmax_t>(a),
                static_cast<std::uintmax_t>(b));
    EXPECT_LE(a, log_cap);
    EXPECT_LE(b, log_cap);
    EXPECT_LE(a + b, 2 * log_cap) << "30 MB of output must not all stay on disk";
    EXPECT_GT(b, 0u) << "the log was rotated";
    std::string text = read_file(current);
    EXPECT_NE(text.find("REPORT RequestId: " + id), std::string::npos)
        << "the newest lines are in " << current;

    // `lambench logs` prints the older file, then the current one.
    std::string cmd =
        std::string(LAMBENCH_BIN) + " logs spew --state-dir " + svc->state_dir().string();
    std::string out;
    {
        FILE* p = ::popen(cmd.c_str(), "r");
        ASSERT_NE(p, nullptr);
        char buf[65536];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        EXPECT_EQ(::pclose(p), 0);
    }
    EXPECT_EQ(out.size(), a + b);
    EXPECT_EQ(out.substr(out.size() - text.size()), text);
    EXPECT_EQ(out.substr(0, 64), read_file(older).substr(0, 64));
}

TEST_F(Leaks, AnUnterminatedLastLineIsLoggedWhenTheProcessExits) {
    auto r = svc->invoke("partialexit");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-amz-function-error"), "Unhandled");
    EXPECT_NE(r.body.find("Runtime.ExitError"), std::string::npos) << r.body;
    std::string tail = unbase64(r.header("x-amz-log-result"));
    std::string id = request_id(tail);
    ASSERT_FALSE(id.empty()) << tail;
    std::string last = "unterminated last words " + id + "\n";
    auto in_tail = tail.find(last);
    EXPECT_NE(in_tail, std::string::npos) << "the invocation's log tail has it:\n" << tail;
    EXPECT_LT(in_tail, tail.find("Runtime exited with error")) << tail;
    std::string log;
    EXPECT_TRUE(eventually(
        [&] {
            log = read_file(log_file("partialexit"));
            return log.find("END RequestId: " + id) != std::string::npos;
        },
        std::chrono::seconds(5)));
    auto at = log.find(last);
    EXPECT_NE(at, std::string::npos) << log;
    EXPECT_LT(at, log.find("END RequestId: " + id)) << log;
}

TEST_F(Leaks, AnUnterminatedLineBeforeATimeoutIsInThatInvocationsLog) {
    auto r = svc->invoke("partialhang");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.body.find("Sandbox.Timedout"), std::string::npos) << r.body;
    std::string tail = unbase64(r.header("x-amz-log-result"));
    std::string id = request_id(tail);
    ASSERT_FALSE(id.empty()) << tail;
    std::string last = "unterminated before the timeout " + id + "\n";
    auto in_tail = tail.find(last);
    EXPECT_NE(in_tail, std::string::npos) << "the invocation's log tail has it:\n" << tail;
    EXPECT_LT(in_tail, tail.find("Task timed out")) << tail;
    std::string log;
    EXPECT_TRUE(eventually(
        [&] {
            log = read_file(log_file("partialhang"));
            return log.find("REPORT RequestId: " + id) != std::string::npos;
        },
        std::chrono::seconds(5)));
    auto at = log.find(last);
    EXPECT_NE(at, std::string::npos) << log;
    EXPECT_LT(at, log.find("END RequestId: " + id)) << log;
}

}  // namespace
