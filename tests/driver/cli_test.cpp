// The lambench CLI as a user runs it: bad input (integration) and real runs against the local
// service `lambench serve` (e2e).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "driver/results.hpp"
#include "driver/summary.hpp"
#include "support/http_client.hpp"
#include "support/serve.hpp"

using namespace lambench::driver;
namespace fs = std::filesystem;

namespace {

const std::string exe = LAMBENCH_EXE;
const std::string test_dir = LAMBENCH_DRIVER_TEST_DIR;
const std::string functions_dir = LAMBENCH_FUNCTIONS_DIR;

struct temp_dir {
    fs::path path;
    temp_dir() {
        char tmpl[] = "/tmp/lambench-cli-test-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~temp_dir() { fs::remove_all(path); }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

struct outcome {
    int status = -1;
    std::string out, err;
};

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

outcome run(const std::vector<std::string>& args, const temp_dir& d) {
    std::string cmd = quote(exe);
    for (const auto& a : args) cmd += " " + quote(a);
    cmd += " >" + quote(d / "stdout") + " 2>" + quote(d / "stderr");
    const int rc = std::system(cmd.c_str());
    return {WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc), slurp(d / "stdout"),
            slurp(d / "stderr")};
}

std::size_t lines(const std::string& s) {
    std::size_t n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

// `lambench serve` is another component; the e2e tests run against it, never a stand-in, and
// fail (not skip) when it or the hello artifacts are missing from the build.
bool have_serve() {
    temp_dir d;
    auto o = run({"help"}, d);
    return o.out.find("\n  serve ") != std::string::npos;
}

bool have_hello(const std::string& profile) {
    return fs::exists(functions_dir + "/hello/" + profile + "/bootstrap");
}

void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

// A function that fails its init: the bootstrap exits before asking for an event.
void make_crashing_artifact(const std::string& dir) {
    fs::create_directories(dir);
    write(dir + "/bootstrap", "#!/bin/sh\necho 'init failed on purpose' >&2\nexit 3\n");
    fs::permissions(dir + "/bootstrap",
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
}

std::string hello_suite(const std::string& extra = "") {
    return R"(name = "e2e"
memory = [128, 256]
cold = 2
warm = 3
target = "local"

[[function]]
name = "hello"
library = "hello"
profiles = ["static"]
timeout = 10
)" + extra;
}

#define REQUIRE_SERVICE()                                                       \
    do {                                                                        \
        ASSERT_TRUE(have_serve()) << "lambench serve is not in this build";     \
        ASSERT_TRUE(have_hello("static")) << "hello/static artifact not built"; \
    } while (0)

}  // namespace

// ---- integration: bad input -------------------------------------------------------------

TEST(BadInput, MalformedSuiteIsOneLineNamingTheFile) {
    temp_dir d;
    write(d / "bad.toml", "name = \"x\"\nmemory = [128,\n");
    auto o = run({"run", d / "bad.toml", "--out", d / "out", "--state-dir", d / "state"}, d);
    EXPECT_NE(o.status, 0);
    EXPECT_EQ(lines(o.err), 1u) << o.err;
    EXPECT_NE(o.err.find("bad.toml:"), std::string::npos) << o.err;
}

TEST(BadInput, UnknownFunctionGlobIsNamed) {
    temp_dir d;
    auto o = run({"run", test_dir + "/../../suites/hello.toml", "--function", "nosuch*", "--out",
                  d / "out", "--state-dir", d / "state"},
                 d);
    EXPECT_NE(o.status, 0);
    EXPECT_EQ(lines(o.err), 1u) << o.err;
    EXPECT_NE(o.err.find("'nosuch*' matches no function"), std::string::npos) << o.err;
}

TEST(BadInput, BadMemoryListIsNamed) {
    temp_dir d;
    for (const char* bad : {"128,abc", "64", "128,,256"}) {
        auto o = run({"run", test_dir + "/../../suites/hello.toml", "--memory", bad, "--out",
                      d / "out", "--state-dir", d / "state"},
                     d);
        EXPECT_NE(o.status, 0) << bad;
        EXPECT_EQ(lines(o.err), 1u) << o.err;
        EXPECT_NE(o.err.find("memory"), std::string::npos) << o.err;
    }
}

TEST(BadInput, AwsTargetWithoutARoleOrStackSaysWhatToDo) {
    temp_dir d;
    write(d / "s.toml", hello_suite());
    auto o = run({"run", d / "s.toml", "--target", "aws", "--endpoint-url", "http://127.0.0.1:9",
                  "--artifacts", functions_dir, "--out", d / "out", "--state-dir", d / "state"},
                 d);
    if (have_hello("static")) {
        EXPECT_NE(o.status, 0);
        EXPECT_NE(o.err.find("--role"), std::string::npos) << o.err;
    }
}

TEST(BadInput, AwsTargetRefusesADatabaseSuiteWithoutAStack) {
    temp_dir d;
    write(d / "s.toml", hello_suite("needs_database = true\n"));
    auto o = run({"run", d / "s.toml", "--target", "aws", "--endpoint-url", "http://127.0.0.1:9",
                  "--role", "arn:aws:iam::1:role/r", "--artifacts", functions_dir, "--out",
                  d / "out", "--state-dir", d / "state"},
                 d);
    EXPECT_EQ(o.status, 2) << o.err;
    EXPECT_EQ(lines(o.err), 2u) << o.err;  // the plan line, then the one-line refusal
    EXPECT_NE(o.err.find("lambench aws deploy"), std::string::npos) << o.err;
    EXPECT_FALSE(fs::exists(d / "state/db")) << "no local database is started for Lambda";
}

TEST(BadInput, AwsFlagsWithAnotherTargetAreRefused) {
    temp_dir d;
    write(d / "s.toml", hello_suite());
    auto o = run({"run", d / "s.toml", "--role", "arn:aws:iam::1:role/r", "--out", d / "out"}, d);
    EXPECT_EQ(o.status, 2);
    EXPECT_NE(o.err.find("are for --target aws"), std::string::npos) << o.err;
}

TEST(BadInput, ReportOfMissingOrForeignFileFails) {
    temp_dir d;
    auto o = run({"report", d / "missing.jsonl"}, d);
    EXPECT_NE(o.status, 0);
    EXPECT_EQ(lines(o.err), 1u) << o.err;
    write(d / "x.jsonl", "hello\n");
    o = run({"report", d / "x.jsonl"}, d);
    EXPECT_NE(o.status, 0);
    EXPECT_NE(o.err.find("not a lambench results file"), std::string::npos) << o.err;
}

TEST(Report, RedrawsThePastRunInEveryFormat) {
    temp_dir d;
    const std::string sample = test_dir + "/data/sample.jsonl";
    auto o = run({"report", sample, "--format", "markdown"}, d);
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_EQ(o.out, slurp(test_dir + "/expected/sample.md"));
    o = run({"report", sample, "--export-csv", d / "r.csv", "--export-json", "-"}, d);
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_EQ(o.out, slurp(test_dir + "/expected/sample.json"));
    EXPECT_EQ(slurp(d / "r.csv"), slurp(test_dir + "/expected/sample.csv"));
}

TEST(Compare, TwoRunsVariantByVariant) {
    temp_dir d;
    const std::string sample = test_dir + "/data/sample.jsonl";
    auto o = run({"compare", sample, sample}, d);
    ASSERT_EQ(o.status, 0) << o.err;
    EXPECT_EQ(o.out, slurp(test_dir + "/expected/sample.compare.txt"));
}

// ---- e2e: real runs on the local service ------------------------------------------------

TEST(Run, HelloAtTwoMemorySizesOnTheLocalService) {
    REQUIRE_SERVICE();
    temp_dir d;
    write(d / "s.toml", hello_suite());
    auto o = run({"run", d / "s.toml", "--out", d / "out", "--state-dir", d / "state",
                  "--artifacts", functions_dir, "--export-csv", d / "out.csv"},
                 d);
    ASSERT_EQ(o.status, 0) << o.err;
    const auto r = read_results(d / "out/results.jsonl");
    ASSERT_EQ(r.samples.size(), 2u * (2 + 3));
    for (const auto& s : r.samples) {
        EXPECT_TRUE(s.ok) << s.error_type << ": " << s.error_message;
        EXPECT_GT(s.duration_ms, 0);
        EXPECT_EQ(s.memory_size_mb, s.memory_mb);
        EXPECT_GE(s.billed_ms, std::ceil(s.duration_ms));
        if (s.kind == phase::cold)
            EXPECT_FALSE(std::isnan(s.init_ms)) << "a cold sample must report Init Duration";
        else
            EXPECT_TRUE(std::isnan(s.init_ms)) << "a warm sample must not re-init";
    }
    EXPECT_TRUE(fs::exists(d / "out/report.md"));
    EXPECT_TRUE(fs::exists(d / "out/report.html"));
    EXPECT_NE(slurp(d / "out/report.md").find("| 256 MB |"), std::string::npos);
    EXPECT_NE(slurp(d / "out.csv").find("hello,static,hello"), std::string::npos);
    EXPECT_NE(o.out.find("Time (median ± MdAPE)"), std::string::npos) << o.out;
}

namespace {

// Every key of a JSON document, arrays by their elements' keys: the shape, not the values.
void shape_of(const nlohmann::json& j, const std::string& path, std::set<std::string>& out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it) {
            out.insert(path + "/" + it.key());
            shape_of(it.value(), path + "/" + it.key(), out);
        }
    } else if (j.is_array()) {
        for (const auto& e : j) shape_of(e, path + "[]", out);
    }
}

std::set<std::string> sample_keys(const std::string& results) {
    std::set<std::string> keys;
    std::ifstream in(results);
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line);
        if (j.value("type", "") == "sample")
            for (auto it = j.begin(); it != j.end(); ++it) keys.insert(it.key());
    }
    return keys;
}

}  // namespace

// The aws target, pointed at the local service with Lambda's asynchronous updates switched on,
// runs the same sweep as the local target and leaves a results file and reports of the same
// shape, with the run's AWS context in the header.
TEST(Run, AwsTargetAgainstTheLocalServiceHasTheShapeOfALocalRun) {
    REQUIRE_SERVICE();
    temp_dir d;
    write(d / "s.toml", hello_suite());
    lambench::test_support::serve_options so;
    so.state_dir = d.path / "serve";
    so.extra_args = {"--update-delay", "200"};
    lambench::test_support::serve_process serve(exe, so);

    auto local = run({"run", d / "s.toml", "--out", d / "local", "--state-dir", d / "state",
                      "--artifacts", functions_dir, "--export-json", d / "local.json"},
                     d);
    ASSERT_EQ(local.status, 0) << local.err;
    const auto t0 = std::chrono::steady_clock::now();
    auto aws = run(
        {"run", d / "s.toml", "--target", "aws", "--endpoint-url", serve.url(), "--region",
         "eu-west-1", "--role", "arn:aws:iam::123456789012:role/bench", "--out", d / "aws",
         "--state-dir", d / "state", "--artifacts", functions_dir, "--export-json", d / "aws.json"},
        d);
    const auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_EQ(aws.status, 0) << aws.err;

    const auto l = read_results(d / "local/results.jsonl");
    const auto a = read_results(d / "aws/results.jsonl");
    EXPECT_EQ(a.header.target, "aws");
    EXPECT_EQ(a.header.resource_model, "aws");
    EXPECT_EQ(a.header.region, "eu-west-1");
    EXPECT_EQ(a.header.endpoint, serve.url());
    EXPECT_EQ(a.header.stack, "lambench");
    EXPECT_EQ(a.header.architectures, std::vector<std::string>{"x86_64"});
    EXPECT_TRUE(l.header.resource_model.empty());
    ASSERT_EQ(a.samples.size(), l.samples.size());
    for (std::size_t i = 0; i < a.samples.size(); ++i) {
        const auto& s = a.samples[i];
        EXPECT_TRUE(s.ok) << s.error_type << ": " << s.error_message;
        EXPECT_EQ(s.kind, l.samples[i].kind);
        EXPECT_EQ(s.memory_mb, l.samples[i].memory_mb);
        EXPECT_EQ(s.memory_size_mb, s.memory_mb) << "the memory update had landed";
        EXPECT_GT(s.duration_ms, 0);
        EXPECT_GE(s.billed_ms, std::ceil(s.duration_ms));
        EXPECT_GT(s.max_memory_mb, -1);
        if (s.kind == phase::cold)
            EXPECT_FALSE(std::isnan(s.init_ms)) << "every cold sample was a fresh start";
        else
            EXPECT_TRUE(std::isnan(s.init_ms));
        EXPECT_EQ(s.conflict_retries, 0) << "the target waits for Successful before invoking";
    }
    EXPECT_EQ(sample_keys(d / "aws/results.jsonl"), sample_keys(d / "local/results.jsonl"));
    // Each of the 2 memory sizes and 4 cold starts is an update the service takes 200 ms to
    // apply, and the target waited for each.
    EXPECT_GE(took, std::chrono::milliseconds(6 * 200));

    std::set<std::string> ls, as;
    shape_of(nlohmann::json::parse(slurp(d / "local.json")), "", ls);
    shape_of(nlohmann::json::parse(slurp(d / "aws.json")), "", as);
    EXPECT_EQ(as, ls);
    auto table_rows = [](const std::string& md) {
        std::size_t n = 0;
        std::istringstream in(md);
        for (std::string line; std::getline(in, line);) n += line.rfind("|", 0) == 0;
        return n;
    };
    EXPECT_EQ(table_rows(slurp(d / "aws/report.md")), table_rows(slurp(d / "local/report.md")));
    EXPECT_GT(table_rows(slurp(d / "aws/report.md")), 0u);
    auto report = run({"report", d / "aws/results.jsonl"}, d);
    EXPECT_EQ(report.status, 0) << report.err;
    auto cmp = run({"compare", d / "local/results.jsonl", d / "aws/results.jsonl"}, d);
    EXPECT_EQ(cmp.status, 0) << cmp.err;
    EXPECT_NE(cmp.out.find("hello/static"), std::string::npos) << cmp.out;

    // The function stays, named and tagged for the stack, for the next run to reuse.
    const std::string arn = "arn:aws:lambda:us-east-1:000000000000:function:lambench-hello-static";
    auto tags = lambench::test_support::http("GET", serve.url() + "/2017-03-31/tags/" + arn);
    EXPECT_EQ(tags.status, 200) << tags.body;
    EXPECT_NE(tags.body.find(R"("lambench:stack":"lambench")"), std::string::npos) << tags.body;
    // A second run finds the same code (CodeSha256) and updates only the configuration.
    auto again =
        run({"run", d / "s.toml", "--target", "aws", "--endpoint-url", serve.url(), "--role",
             "arn:aws:iam::123456789012:role/bench", "--out", d / "aws2", "--state-dir",
             d / "state", "--artifacts", functions_dir, "--cold", "1", "--warm", "1"},
            d);
    ASSERT_EQ(again.status, 0) << again.err;
    for (const auto& s : read_results(d / "aws2/results.jsonl").samples)
        EXPECT_TRUE(s.ok) << s.error_message;
}

TEST(Run, FailingVariantIsErrorAndTheRunGoesOn) {
    REQUIRE_SERVICE();
    temp_dir d;
    make_crashing_artifact(d / "artifacts/crash/static");
    fs::create_directories(d / "artifacts/hello");
    fs::create_symlink(functions_dir + "/hello/static", d / "artifacts/hello/static");
    fs::create_directories(d / "artifacts/hello/bundled");
    write(d / "artifacts/hello/bundled/SKIPPED", "bundled loader not available here\n");
    write(d / "s.toml", R"(name = "fail"
memory = [128]
cold = 2
warm = 2

[[function]]
name = "crash"
profiles = ["static"]
timeout = 5

[[function]]
name = "missing"
profiles = ["static"]

[[function]]
name = "hello"
profiles = ["bundled", "static"]
timeout = 10
)");
    auto o = run({"run", d / "s.toml", "--out", d / "out", "--state-dir", d / "state",
                  "--artifacts", d / "artifacts"},
                 d);
    ASSERT_EQ(o.status, 0) << o.err;
    const auto s = summarize(read_results(d / "out/results.jsonl"));
    const auto* crash = s.find("crash", "static");
    ASSERT_TRUE(crash);
    ASSERT_TRUE(crash->find(128, phase::cold));
    EXPECT_TRUE(crash->find(128, phase::cold)->is_error());
    EXPECT_FALSE(crash->find(128, phase::cold)->error_type.empty());
    EXPECT_EQ(s.find("missing", "static")->find(128, phase::cold)->error_type, "Artifact.Missing");
    EXPECT_TRUE(s.find("hello", "bundled")->skipped);
    const auto* hello = s.find("hello", "static")->find(128, phase::warm);
    ASSERT_TRUE(hello);
    EXPECT_EQ(hello->total.n, 2u) << "the run went on after the failures";
    const auto md = slurp(d / "out/report.md");
    EXPECT_NE(md.find("error[^"), std::string::npos) << md;
    EXPECT_NE(md.find("n/a[^"), std::string::npos) << md;
    EXPECT_NE(md.find("bundled loader not available here"), std::string::npos) << md;
}

TEST(Run, ResumeAfterAKilledRunTakesEachSampleOnce) {
    REQUIRE_SERVICE();
    temp_dir d;
    // More warm samples than the other tests, so the kill lands mid-run.
    std::string suite = hello_suite();
    suite.replace(suite.find("warm = 3"), 8, "warm = 30");
    write(d / "s.toml", suite);
    const std::vector<std::string> args{exe,           "run",          d / "s.toml", "--out",
                                        d / "out",     "--state-dir",  d / "state",  "--artifacts",
                                        functions_dir, "--no-progress"};
    // Start a run and SIGKILL it once a few samples have landed.
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const std::string log = d / "first.log";
        std::freopen(log.c_str(), "w", stdout);
        std::freopen(log.c_str(), "a", stderr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline) {
        if (lines(slurp(d / "out/results.jsonl")) >= 4) break;  // header + 3 samples
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    const auto partial = read_results(d / "out/results.jsonl");
    ASSERT_GE(partial.samples.size(), 3u) << slurp(d / "first.log");
    ASSERT_LT(partial.samples.size(), 64u) << "the run finished before the kill; nothing to resume";

    auto o = run({"run", d / "s.toml", "--resume", d / "out/results.jsonl", "--state-dir",
                  d / "state", "--artifacts", functions_dir},
                 d);
    ASSERT_EQ(o.status, 0) << o.err;
    const auto r = read_results(d / "out/results.jsonl");
    EXPECT_EQ(r.samples.size(), 2u * (2 + 30)) << "same count as an uninterrupted run";
    std::map<std::tuple<int, phase, int>, int> seen;
    for (const auto& s : r.samples) {
        EXPECT_TRUE(s.ok) << s.error_message;
        ++seen[{s.memory_mb, s.kind, s.index}];
    }
    for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << "sample repeated";
}

TEST(Run, CtrlCStopsAfterTheCurrentSampleAndLeavesAValidFile) {
    REQUIRE_SERVICE();
    temp_dir d;
    std::string suite = hello_suite();
    suite.replace(suite.find("warm = 3"), 8, "warm = 30");
    write(d / "s.toml", suite);
    const std::vector<std::string> args{exe,           "run",          d / "s.toml", "--out",
                                        d / "out",     "--state-dir",  d / "state",  "--artifacts",
                                        functions_dir, "--no-progress"};
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        std::vector<char*> argv;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        const std::string log = d / "run.log";
        std::freopen(log.c_str(), "w", stdout);
        std::freopen(log.c_str(), "a", stderr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline && lines(slurp(d / "out/results.jsonl")) < 4)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ::kill(pid, SIGINT);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status)) << slurp(d / "run.log");
    EXPECT_EQ(WEXITSTATUS(status), 130) << slurp(d / "run.log");
    EXPECT_NE(slurp(d / "run.log").find("--resume"), std::string::npos);
    const auto r = read_results(d / "out/results.jsonl");
    EXPECT_TRUE(r.read_warnings.empty()) << "an interrupted run leaves only whole lines";
    EXPECT_LT(r.samples.size(), 64u);
    EXPECT_TRUE(fs::exists(d / "out/report.md")) << "reports are written on the way out";
}
