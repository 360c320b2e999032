// What survives a restart of `lambench serve` on the same state directory (issue 9, defect 6):
// functions created through the API, with their code and configuration; queued Event invocations,
// run exactly once after a SIGTERM and at least once after a SIGKILL; and what a damaged journal
// costs (only its damaged records). Every test starts real services, one after the other.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "harness.hpp"

using namespace lambench_test;
using json = nlohmann::json;
using lambench::test_support::serve_options;
using lambench::test_support::serve_process;

namespace {

std::string sha256_b64(const std::string& data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    return base64(std::string(reinterpret_cast<char*>(md), len));
}

class Persistence : public ::testing::Test {
  protected:
    temp_dir tmp{"lambench-persist"};
    fs::path state = tmp.path() / "state";
    fs::path record = tmp.path() / "record.txt";
    std::string zip1 = make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}});
    std::string zip2 =
        make_zip({{"bootstrap", read_file(TESTFN_BIN), 0100755}, {"v2.txt", "second"}});

    // A service on the shared state directory; `output` gets what it printed once it stops.
    // Sandbox isolation is off: the recorder function appends to a file of this test, which a
    // jailed sandbox (read-only host, own uid) could not write; isolation has its own tests.
    std::unique_ptr<serve_process> start(const std::string& config = "[service]\n") {
        serve_options o;
        o.state_dir = state;
        std::string toml = config;
        const std::string section = "[service]\n";
        if (toml.rfind(section, 0) == 0)
            toml.insert(section.size(), "sandbox_isolation = \"off\"\n");
        o.config_toml = toml;
        o.stop_grace = std::chrono::seconds(30);
        return std::make_unique<serve_process>(LAMBENCH_BIN, o);
    }
    // Stops it (SIGTERM) and returns everything it printed.
    static std::string stop(std::unique_ptr<serve_process>& s) {
        s->stop();
        return read_file(s->dir() / "serve.out");
    }

    static std::string url(const serve_process& s, const std::string& rest = {}) {
        return s.url() + "/2015-03-31/functions" + rest;
    }
    http_result create(const serve_process& s, const std::string& name, const std::string& handler,
                       const std::string& zip, json extra = json::object()) {
        json body = {{"FunctionName", name}, {"Runtime", "provided.al2023"},
                     {"Handler", handler},   {"Role", "arn:aws:iam::000000000000:role/x"},
                     {"Timeout", 10},        {"Code", {{"ZipFile", base64(zip)}}}};
        body.update(extra);
        return http("POST", url(s), body.dump());
    }
    http_result create_recorder(const serve_process& s, const std::string& name) {
        return create(s, name, "record", zip1,
                      {{"Environment", {{"Variables", {{"RECORD_FILE", record.string()}}}}}});
    }
    static http_result event(const serve_process& s, const std::string& name, int n, int ms) {
        return http("POST", s.invoke_url(name),
                    "{\"n\":" + std::to_string(n) + ",\"ms\":" + std::to_string(ms) + "}",
                    {"X-Amz-Invocation-Type: Event"});
    }
    // n -> how many times the event numbered n ran.
    std::map<int, int> runs() const {
        std::map<int, int> out;
        std::istringstream in(read_file(record));
        std::string line;
        while (std::getline(in, line))
            if (!line.empty()) ++out[std::stoi(line)];
        return out;
    }
    std::size_t total_runs() const {
        std::size_t n = 0;
        for (auto& [k, v] : runs()) n += static_cast<std::size_t>(v);
        return n;
    }
    bool wait_for_runs(std::size_t n, std::chrono::seconds limit) const {
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (total_runs() < n) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
    }
    fs::path packages() const { return state / "service" / "functions" / "packages"; }
    std::size_t package_count() const {
        std::size_t n = 0;
        for (auto& e : fs::directory_iterator(packages())) n += e.path().extension() == ".zip";
        return n;
    }
    // The number in "shutdown: ...; N queued event(s) saved to" (0 for "no queued events").
    static long saved_count(const std::string& out) {
        std::smatch m;
        if (std::regex_search(out, m, std::regex(R"(; (\d+) queued event\(s\) saved to )")))
            return std::stol(m[1]);
        return out.find("; no queued events") != std::string::npos ? 0 : -1;
    }
};

TEST_F(Persistence, ApiFunctionsComeBackWithTheirCodeAndConfiguration) {
    auto a = start();
    ASSERT_EQ(create(*a, "keep", "echo", zip1,
                     {{"MemorySize", 256}, {"Environment", {{"Variables", {{"MY_VAR", "1"}}}}}})
                  .status,
              201);
    ASSERT_EQ(create(*a, "gone", "echo", zip1).status, 201);
    ASSERT_EQ(http("DELETE", url(*a, "/gone")).status, 204);
    ASSERT_EQ(create(*a, "changed", "echo", zip1).status, 201);
    auto u = http("PUT", url(*a, "/changed/configuration"),
                  json{{"Timeout", 9}, {"Handler", "env"}}.dump());
    ASSERT_EQ(u.status, 200) << u.body;
    auto uc = http("PUT", url(*a, "/changed/code"), json{{"ZipFile", base64(zip2)}}.dump());
    ASSERT_EQ(uc.status, 200) << uc.body;
    const auto before = json::parse(http("GET", url(*a, "/keep")).body)["Configuration"];
    stop(a);

    auto b = start();
    auto keep = http("GET", url(*b, "/keep"));
    ASSERT_EQ(keep.status, 200) << keep.body;
    auto k = json::parse(keep.body)["Configuration"];
    EXPECT_EQ(k["MemorySize"], 256);
    EXPECT_EQ(k["CodeSha256"], sha256_b64(zip1));
    EXPECT_EQ(k["Environment"]["Variables"]["MY_VAR"], "1");
    EXPECT_EQ(k["RevisionId"], before["RevisionId"]) << "nothing changed, nor does the revision";
    EXPECT_EQ(k["LastModified"], before["LastModified"]);
    EXPECT_EQ(b->invoke("keep", R"({"back":true})").body, R"({"back":true})");
    EXPECT_EQ(http("GET", url(*b, "/gone")).status, 404);
    auto c = json::parse(http("GET", url(*b, "/changed/configuration")).body);
    EXPECT_EQ(c["Timeout"], 9);
    EXPECT_EQ(c["Handler"], "env");
    EXPECT_EQ(c["CodeSha256"], sha256_b64(zip2));
    auto env = json::parse(b->invoke("changed").body);
    EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_NAME"], "changed") << env.dump();
    EXPECT_EQ(package_count(), 2u) << "one package per code in use, none for deleted functions";

    // Deleted in this run: gone in the next, its package with it.
    ASSERT_EQ(http("DELETE", url(*b, "/keep")).status, 204);
    EXPECT_EQ(package_count(), 1u);
    stop(b);
    auto c2 = start();
    EXPECT_EQ(http("GET", url(*c2, "/keep")).status, 404);
    EXPECT_EQ(http("GET", url(*c2, "/changed")).status, 200);
    auto list = json::parse(http("GET", url(*c2, "/")).body)["Functions"];
    EXPECT_EQ(list.size(), 1u) << list.dump();
}

// Reserved concurrency and LoggingConfig are saved with the function: they come back after a
// restart, a later configuration update keeps the reservation, and a delete of the reservation
// is saved too. Neither makes a new revision.
TEST_F(Persistence, ReservedConcurrencyAndLoggingConfigComeBack) {
    auto a = start();
    ASSERT_EQ(create(*a, "rc", "echo", zip1,
                     {{"LoggingConfig",
                       {{"LogFormat", "JSON"},
                        {"ApplicationLogLevel", "DEBUG"},
                        {"LogGroup", "/custom/rc"}}}})
                  .status,
              201);
    const auto rev = json::parse(http("GET", url(*a, "/rc")).body)["Configuration"]["RevisionId"];
    auto p = http("PUT", a->url() + "/2017-10-31/functions/rc/concurrency",
                  R"({"ReservedConcurrentExecutions":3})");
    ASSERT_EQ(p.status, 200) << p.body;
    EXPECT_EQ(json::parse(http("GET", url(*a, "/rc")).body)["Configuration"]["RevisionId"], rev);
    stop(a);

    auto b = start();
    auto g = http("GET", b->url() + "/2019-09-30/functions/rc/concurrency");
    ASSERT_EQ(g.status, 200) << g.body;
    EXPECT_EQ(json::parse(g.body), json({{"ReservedConcurrentExecutions", 3}}));
    auto f = json::parse(http("GET", url(*b, "/rc")).body);
    EXPECT_EQ(f["Concurrency"]["ReservedConcurrentExecutions"], 3);
    EXPECT_EQ(f["Configuration"]["LoggingConfig"], json({{"LogFormat", "JSON"},
                                                         {"ApplicationLogLevel", "DEBUG"},
                                                         {"SystemLogLevel", "INFO"},
                                                         {"LogGroup", "/custom/rc"}}));
    auto u = http("PUT", url(*b, "/rc/configuration"), json{{"Timeout", 7}}.dump());
    ASSERT_EQ(u.status, 200) << u.body;
    stop(b);

    auto c = start();
    EXPECT_EQ(json::parse(http("GET", c->url() + "/2019-09-30/functions/rc/concurrency").body),
              json({{"ReservedConcurrentExecutions", 3}}))
        << "an update of the configuration keeps the reservation";
    EXPECT_EQ(json::parse(http("GET", url(*c, "/rc/configuration")).body)["Timeout"], 7);
    ASSERT_EQ(http("DELETE", c->url() + "/2017-10-31/functions/rc/concurrency").status, 204);
    stop(c);

    auto d = start();
    EXPECT_EQ(json::parse(http("GET", d->url() + "/2019-09-30/functions/rc/concurrency").body),
              json::object());
    EXPECT_FALSE(json::parse(http("GET", url(*d, "/rc")).body).contains("Concurrency"));
}

TEST_F(Persistence, TheConfigFileWinsOverASavedFunctionOfTheSameName) {
    auto a = start();
    ASSERT_EQ(create(*a, "dual", "env", zip1).status, 201);
    stop(a);
    auto code = make_code_dir(tmp.path());
    auto b = start("[service]\n" + function_block("dual", "echo", code));
    EXPECT_EQ(json::parse(http("GET", url(*b, "/dual/configuration")).body)["Handler"], "echo");
    // A change to a config-file function lasts until the service stops: the file is its source.
    ASSERT_EQ(http("PUT", url(*b, "/dual/configuration"), json{{"MemorySize", 512}}.dump()).status,
              200);
    auto out = stop(b);
    EXPECT_NE(
        out.find("function 'dual' of the config file replaces the one created through the API"),
        std::string::npos)
        << out;
    auto c = start();
    EXPECT_EQ(http("GET", url(*c, "/dual")).status, 404) << "neither the saved nor the config one";
    EXPECT_EQ(package_count(), 0u);
}

TEST_F(Persistence, QueuedEventsRunExactlyOnceAfterASigterm) {
    constexpr int n = 40;
    auto a = start("[service]\nconcurrency = 2\nshutdown_grace = 20\n");
    ASSERT_EQ(create_recorder(*a, "slow").status, 201);
    for (int i = 0; i < n; ++i) {
        auto r = event(*a, "slow", i, 150);
        ASSERT_EQ(r.status, 202) << r.body;
    }
    ASSERT_TRUE(wait_for_runs(2, std::chrono::seconds(20)));
    auto out = stop(a);
    const std::size_t ran_before = total_runs();
    const long saved = saved_count(out);
    ASSERT_GE(saved, 0) << out;
    EXPECT_LT(ran_before, static_cast<std::size_t>(n)) << "the queue was not drained by the stop";
    EXPECT_EQ(ran_before + static_cast<std::size_t>(saved), static_cast<std::size_t>(n)) << out;
    EXPECT_EQ(out.find("cut off"), std::string::npos) << out;

    auto b = start("[service]\nconcurrency = 2\n");
    ASSERT_TRUE(wait_for_runs(n, std::chrono::seconds(40))) << total_runs() << " of " << n;
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // nothing runs twice, later
    auto r = runs();
    ASSERT_EQ(r.size(), static_cast<std::size_t>(n));
    for (auto& [i, times] : r) EXPECT_EQ(times, 1) << "event " << i;
    auto out_b = stop(b);
    EXPECT_EQ(saved_count(out_b), 0) << out_b;
    EXPECT_NE(out_b.find(std::to_string(saved) + " queued event(s) restored"), std::string::npos)
        << out_b;
}

TEST_F(Persistence, ASigtermLetsASynchronousInvocationInFlightAnswer) {
    auto a = start("[service]\nshutdown_grace = 20\n");
    ASSERT_EQ(create_recorder(*a, "sync").status, 201);
    ASSERT_EQ(a->invoke("sync", R"({"n":0,"ms":0})").status, 200);  // warm
    auto answer =
        std::async(std::launch::async, [&] { return a->invoke("sync", R"({"n":1,"ms":1500})"); });
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (json::parse(http("GET", url(*a, "/sync/lambench-stats")).body)["Busy"] != 1 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ::kill(a->pid(), SIGTERM);
    auto r = answer.get();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, R"({"recorded":true})");
    auto out = stop(a);
    EXPECT_NE(out.find("shutdown: 1 in-flight invocation(s) finished; no queued events"),
              std::string::npos)
        << out;
    EXPECT_EQ(runs()[1], 1);
}

TEST_F(Persistence, EventsCutOffByTheGraceRunAgainAtTheNextStart) {
    auto a = start("[service]\nconcurrency = 2\nshutdown_grace = 0.3\n");
    ASSERT_EQ(create_recorder(*a, "long").status, 201);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(event(*a, "long", i, 4000).status, 202);
    // Both sandboxes busy with an event.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (json::parse(http("GET", url(*a, "/long/lambench-stats")).body)["Busy"] != 2 &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto out = stop(a);
    EXPECT_NE(out.find("0 in-flight invocation(s) finished, 2 cut off after the 0.3 s grace (2 of "
                       "them events, saved to run again); 3 queued event(s) saved to"),
              std::string::npos)
        << out;
    EXPECT_EQ(total_runs(), 0u);
    auto b = start("[service]\nconcurrency = 3\n");
    ASSERT_TRUE(wait_for_runs(3, std::chrono::seconds(20)));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (auto& [i, times] : runs()) EXPECT_EQ(times, 1) << "event " << i;
}

TEST_F(Persistence, ASigkillLosesNoAcknowledgedEvent) {
    constexpr int n = 30;
    auto a = start("[service]\nconcurrency = 2\n");
    ASSERT_EQ(create_recorder(*a, "crashy").status, 201);
    for (int i = 0; i < n; ++i) ASSERT_EQ(event(*a, "crashy", i, 100).status, 202);
    ASSERT_TRUE(wait_for_runs(1, std::chrono::seconds(20)));
    ::kill(a->pid(), SIGKILL);
    a->stop();
    // The functions created before the kill are there, and every acknowledged event runs: those in
    // flight at the kill may run twice (at least once, as Lambda's own asynchronous invocation).
    auto b = start("[service]\nconcurrency = 2\n");
    EXPECT_EQ(http("GET", url(*b, "/crashy")).status, 200);
    ASSERT_TRUE(wait_for_runs(n, std::chrono::seconds(40))) << total_runs() << " of " << n;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto r = runs();
    EXPECT_EQ(r.size(), static_cast<std::size_t>(n));
    EXPECT_LE(total_runs(), static_cast<std::size_t>(n + 2)) << "only the 2 in flight may repeat";
    // The killed service's unpacked code is gone too.
    std::size_t run_dirs = 0;
    for (auto& e : fs::directory_iterator(state / "service"))
        run_dirs += e.path().filename().string().rfind("run-", 0) == 0;
    EXPECT_EQ(run_dirs, 1u);
}

TEST_F(Persistence, ADamagedJournalCostsOnlyItsDamagedRecords) {
    auto a = start();
    ASSERT_EQ(create(*a, "first", "echo", zip1).status, 201);
    ASSERT_EQ(create(*a, "second", "echo", zip2).status, 201);
    stop(a);
    const fs::path fj = state / "service" / "functions" / "journal.jsonl";
    const fs::path ej = state / "service" / "events" / "journal.jsonl";
    std::string good = read_file(fj);
    ASSERT_EQ(std::count(good.begin(), good.end(), '\n'), 2) << good;
    // Garbage bytes, a record of a newer format, a record with no version, then a torn last line.
    std::string damaged =
        good.substr(0, good.find('\n') + 1) + std::string("\x00\xff\xfe{{garbage", 12) + "\n" +
        R"({"v":2,"op":"put","name":"future"})" + "\n" + R"({"op":"delete","name":"first"})" +
        "\n" + good.substr(good.find('\n') + 1) + R"({"v":1,"op":"delete","na)";
    write_file(fj, damaged);
    // The events journal: one good queued event between damaged lines.
    write_file(
        ej,
        std::string("\x01\x02 not json\n") +
            R"({"v":1,"op":"queued","id":"7d0f6a1e-0000-4000-8000-000000000001","function":"rec","payload":"{\"n\":7,\"ms\":0}","attempt":0,"client_context":""})" +
            "\n" + R"({"v":9,"op":"queued","id":"x"})" + "\n" + R"({"v":1,"op":"don)");

    auto b = start();
    EXPECT_EQ(http("GET", url(*b, "/first")).status, 200)
        << "the delete without a version is skipped";
    EXPECT_EQ(http("GET", url(*b, "/second")).status, 200);
    EXPECT_EQ(http("GET", url(*b, "/future")).status, 404);
    auto out = stop(b);
    for (const char* needle :
         {"journal.jsonl line 2: not a JSON record", "journal.jsonl line 3: record version 2",
          "journal.jsonl line 4: no record version",
          "journal.jsonl line 6: the last record is cut short",
          "journal.jsonl line 1: not a JSON record", "journal.jsonl line 3: record version 9",
          "journal.jsonl line 4: the last record is cut short", "journal.jsonl.bad"})
        EXPECT_NE(out.find(needle), std::string::npos) << needle << " in:\n" << out;
    EXPECT_EQ(read_file(fs::path(fj.string() + ".bad")), damaged) << "the damaged file is kept";
    // Compacted: only the good records are left, and the next start reads it without a word.
    auto compacted = read_file(fj);
    EXPECT_EQ(std::count(compacted.begin(), compacted.end(), '\n'), 2) << compacted;
    auto c = start();
    auto out_c = stop(c);
    EXPECT_EQ(out_c.find("state:"), std::string::npos) << out_c;
    // The event of a function that does not exist is reported as dropped.
    EXPECT_NE(out.find("1 saved event(s) of functions that no longer exist were dropped"),
              std::string::npos)
        << out;
}

TEST_F(Persistence, TwoServicesCannotShareAStateDirectory) {
    auto a = start();
    serve_options o;
    o.state_dir = state;
    try {
        serve_process second(LAMBENCH_BIN, o);
        FAIL() << "a second service started on the same state directory";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("another lambench serve is using the state directory"),
                  std::string::npos)
            << e.what();
    }
}

}  // namespace
