// End to end: every built items artifact (library × build profile) as a real process against a
// Runtime API server, answering events from the seeded embedded PostgreSQL. All must post the
// same bytes; a profile that cannot exist must say why in SKIPPED.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "child.hpp"
#include "db/embedded.hpp"
#include "runtime_api_server.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using lambench::runtime::testing::child;
using lambench::runtime::testing::runtime_api_server;
using lambench::runtime::testing::server_options;

namespace {

const fs::path functions_dir = LAMBENCH_FUNCTIONS_DIR;
const std::vector<std::string> libraries = {"libpq", "libpqxx", "soci", "ecpg", "poco", "qt"};
const std::vector<std::string> profiles = {"shared", "static", "bundled"};

struct cell {
    std::string library, profile;
};
void PrintTo(const cell& c, std::ostream* os) {
    *os << c.library << "/" << c.profile;
}

// A cell that cannot exist: Debian ships POCO and Qt as shared libraries only (and Qt's driver
// is a plugin), so there is no -static link for them.
bool not_applicable(const cell& c) {
    return c.profile == "static" && (c.library == "poco" || c.library == "qt");
}

std::vector<cell> all_cells() {
    std::vector<cell> v;
    for (const auto& l : libraries)
        for (const auto& p : profiles) v.push_back({l, p});
    return v;
}

std::vector<cell> cells() {
    std::vector<cell> v;
    for (const auto& c : all_cells())
        if (!not_applicable(c)) v.push_back(c);
    return v;
}

const std::string category7_limit3 =
    R"([{"id":"dc0d3ae9-ccfe-1f86-4e2b-78524e2993fe","name":"item 9957","price":"684.09","created_at":"2026-01-08T02:05:55.500000Z"},)"
    R"({"id":"d9d613cf-afa1-976e-a294-46efcb4b2b97","name":"item 9907","price":"665.59","created_at":"2026-01-08T01:14:40.500000Z"},)"
    R"({"id":"0031bfe7-9890-eabc-6b05-56da7c68dc50","name":"item 9857","price":"647.09","created_at":"2026-01-08T00:23:25.500000Z"}])";
const std::string item1 =
    R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c","name":"item 1","price":"0.37","created_at":"2026-01-01T00:01:01.500000Z"})";

class ItemsArtifact : public ::testing::TestWithParam<cell> {
  protected:
    fs::path dir() const {
        return functions_dir / ("items-" + GetParam().library) / GetParam().profile;
    }
    // Every instantiated cell must have been built (with a SKIPPED reason instead, it fails).
    bool available() {
        if (fs::exists(dir() / "bootstrap")) return true;
        std::ifstream skipped(dir() / "SKIPPED");
        std::string reason;
        std::getline(skipped, reason);
        ADD_FAILURE() << dir() << ": not built" << (reason.empty() ? "" : ": SKIPPED: " + reason);
        return false;
    }
};

TEST_P(ItemsArtifact, AnswersExactBytesAndErrorsThroughTheRuntimeApi) {
    if (!available()) return;
    const std::string url = lambench::db::ensure_running(LAMBENCH_ITEMS_TEST_STATE);
    server_options opts;
    opts.go_away_when_drained = true;
    runtime_api_server server(opts);
    server.push({R"({"category":7,"limit":3})", {}});
    server.push({R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c"})", {}});
    server.push({R"({"id":"00000000-0000-0000-0000-000000000000"})", {}});
    server.push({R"({"category":7,"limit":-1})", {}});
    server.push({R"(not json)", {}});
    server.push({R"({"category":7,"limit":3})", {}});  // warm: same connection, same bytes
    child fn({(dir() / "bootstrap").string()}, {{"AWS_LAMBDA_RUNTIME_API", server.address()},
                                                {"LAMBDA_TASK_ROOT", dir().string()},
                                                {"DATABASE_URL", url}});
    auto code = fn.exit_code(30s);
    ASSERT_TRUE(code) << "bootstrap did not exit after the Runtime API went away";
    server.wait_for_posts(6, 5s);
    auto posts = server.posts();
    ASSERT_EQ(posts.size(), 6u) << fn.stderr_text();
    auto ok = [&](size_t k, const std::string& body) {
        EXPECT_NE(posts[k].path.find("/response"), std::string::npos) << k << ": " << posts[k].body;
        EXPECT_EQ(posts[k].body, body) << k;
    };
    auto failed = [&](size_t k, const std::string& type, const std::string& message_start) {
        EXPECT_NE(posts[k].path.find("/error"), std::string::npos) << k << ": " << posts[k].body;
        EXPECT_NE(posts[k].body.find("\"errorType\":\"" + type + "\""), std::string::npos)
            << posts[k].body;
        EXPECT_NE(posts[k].body.find("\"errorMessage\":\"" + message_start), std::string::npos)
            << posts[k].body;
    };
    ok(0, category7_limit3);
    ok(1, item1);
    failed(2, "NotFound", "no item with id 00000000-0000-0000-0000-000000000000");
    failed(3, "InvalidEvent", "field 'limit' must be an integer from 1 to 1000");
    failed(4, "InvalidEvent", "event is not valid JSON");
    ok(5, category7_limit3);
}

TEST_P(ItemsArtifact, NoDatabaseIsAnInitError) {
    if (!available()) return;
    runtime_api_server server;
    child fn({(dir() / "bootstrap").string()},
             {{"AWS_LAMBDA_RUNTIME_API", server.address()},
              {"LAMBDA_TASK_ROOT", dir().string()},
              {"DATABASE_URL",
               "postgresql://lambench:x@127.0.0.1:1/lambench?sslmode=disable&gssencmode=disable"}});
    auto code = fn.exit_code(20s);
    ASSERT_TRUE(code) << "bootstrap did not exit after its init failed";
    EXPECT_NE(*code, 0);
    server.wait_for_posts(1, 5s);
    auto posts = server.posts();
    ASSERT_EQ(posts.size(), 1u) << fn.stderr_text();
    EXPECT_NE(posts[0].path.find("/runtime/init/error"), std::string::npos) << posts[0].path;
    EXPECT_NE(posts[0].body.find("cannot connect to the database"), std::string::npos)
        << posts[0].body;
}

// The static libpq has stub GSSAPI (see functions/items-libpq/README.md): with libpq's default
// gssencmode=prefer it must find "no credentials" and carry on over plain TCP + SCRAM.
TEST(ItemsStaticLibpq, ConnectsWithDefaultGssencmode) {
    for (const std::string lib : {"libpq", "libpqxx", "soci", "ecpg"}) {
        const fs::path dir = functions_dir / ("items-" + lib) / "static";
        ASSERT_TRUE(fs::exists(dir / "bootstrap")) << dir;
        std::string url = lambench::db::ensure_running(LAMBENCH_ITEMS_TEST_STATE);
        url = url.substr(0, url.find("&gssencmode=disable"));
        server_options opts;
        opts.go_away_when_drained = true;
        runtime_api_server server(opts);
        server.push({R"({"category":7,"limit":3})", {}});
        child fn({(dir / "bootstrap").string()}, {{"AWS_LAMBDA_RUNTIME_API", server.address()},
                                                  {"LAMBDA_TASK_ROOT", dir.string()},
                                                  {"DATABASE_URL", url}});
        ASSERT_TRUE(fn.exit_code(30s)) << lib;
        server.wait_for_posts(1, 5s);
        auto posts = server.posts();
        ASSERT_EQ(posts.size(), 1u) << lib << ": " << fn.stderr_text();
        EXPECT_EQ(posts[0].body, category7_limit3) << lib;
    }
}

// A static glibc binary resolves host names without the image's shared libc: getaddrinfo goes
// through NSS (/etc/nsswitch.conf), whose "files" and "dns" sources are built into glibc since
// 2.34; any other source would be dlopen'ed from the system. On Lambda the RDS endpoint is a DNS
// name, never an address, so the static artifacts must resolve names: here "localhost" (files).
TEST(ItemsStaticLibpq, ResolvesAHostName) {
    for (const std::string lib : {"libpq", "libpqxx", "soci", "ecpg"}) {
        const fs::path dir = functions_dir / ("items-" + lib) / "static";
        ASSERT_TRUE(fs::exists(dir / "bootstrap")) << dir;
        std::string url = lambench::db::ensure_running(LAMBENCH_ITEMS_TEST_STATE);
        const auto at = url.find("@127.0.0.1:");
        ASSERT_NE(at, std::string::npos) << url;
        url.replace(at, 11, "@localhost:");
        server_options opts;
        opts.go_away_when_drained = true;
        runtime_api_server server(opts);
        server.push({R"({"category":7,"limit":3})", {}});
        child fn({(dir / "bootstrap").string()}, {{"AWS_LAMBDA_RUNTIME_API", server.address()},
                                                  {"LAMBDA_TASK_ROOT", dir.string()},
                                                  {"DATABASE_URL", url}});
        ASSERT_TRUE(fn.exit_code(30s)) << lib;
        server.wait_for_posts(1, 5s);
        auto posts = server.posts();
        ASSERT_EQ(posts.size(), 1u) << lib << ": " << fn.stderr_text();
        EXPECT_EQ(posts[0].body, category7_limit3) << lib << " via localhost";
    }
}

INSTANTIATE_TEST_SUITE_P(Cells, ItemsArtifact, ::testing::ValuesIn(cells()),
                         [](const ::testing::TestParamInfo<cell>& p) {
                             return p.param.library + "_" + p.param.profile;
                         });

// The cells that cannot exist are exactly the documented ones.
TEST(ItemsArtifacts, OnlyPocoAndQtStaticAreSkipped) {
    for (const auto& c : all_cells()) {
        fs::path d = functions_dir / ("items-" + c.library) / c.profile;
        bool expect_skip = not_applicable(c);
        EXPECT_EQ(fs::exists(d / "SKIPPED"), expect_skip) << d;
        if (expect_skip) {
            std::ifstream in(d / "SKIPPED");
            std::string reason;
            std::getline(in, reason);
            EXPECT_NE(reason.find("static"), std::string::npos) << d << ": " << reason;
        }
        EXPECT_EQ(fs::exists(d / "bootstrap"), !expect_skip) << d;
    }
}

}  // namespace
