// Integration tests of the embedded PostgreSQL: a real initdb/pg_ctl cluster per test suite.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "db/embedded.hpp"
#include "posix/state_dir.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct conn_deleter {
    void operator()(PGconn* c) const { PQfinish(c); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_deleter>;

conn_ptr connect(const std::string& url) {
    return conn_ptr(PQconnectdb(url.c_str()));
}

// One value of a one-row query, or the error message prefixed with "ERROR: ".
std::string scalar(PGconn* c, const std::string& sql) {
    PGresult* r = PQexec(c, sql.c_str());
    std::string out;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
        out = PQgetvalue(r, 0, 0);
    else
        out = std::string("ERROR: ") + PQerrorMessage(c);
    PQclear(r);
    return out;
}

// A throw-away state directory, $TMPDIR/<this build tree's prefix>XXXXXX: its cluster is
// destroyed when the test ends, failed or not. Should that not happen (a crash, a kill, destroy
// failing), the directory stays, and the run's last test (db.no_server_left: db_tool sweep
// --tmp-prefix) finds its cluster through db/cluster-path, stops it and fails the run.
class temp_state {
  public:
    temp_state() {
        std::string tmpl =
            (fs::temp_directory_path() / LAMBENCH_DB_TEST_TMP_PREFIX).string() + "XXXXXX";
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    temp_state(const temp_state&) = delete;
    temp_state& operator=(const temp_state&) = delete;
    ~temp_state() {
        try {
            lambench::db::destroy(path_);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "temp_state: destroy %s: %s (left for the sweep)\n", path_.c_str(),
                         e.what());
            return;
        }
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

// The lifecycle tests share one cluster (initdb costs seconds) in a state directory that CTest
// creates and destroys around them (fixture db_lifecycle); each test runs in its own process,
// so each begins with ensure_running, which is how a real caller uses the cluster anyway.
class DbLifecycle : public ::testing::Test {
  protected:
    static std::string dir() { return LAMBENCH_DB_TEST_STATE; }
    void SetUp() override { url_ = lambench::db::ensure_running(dir()); }
    std::string url_;
};
TEST_F(DbLifecycle, StartReturnsAWorkingScramUrl) {
    std::string url = url_;
    ASSERT_EQ(url.rfind("postgresql://lambench:", 0), 0u) << url;
    EXPECT_NE(url.find("@127.0.0.1:"), std::string::npos);
    auto c = connect(url);
    ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
    EXPECT_EQ(scalar(c.get(), "SELECT current_user"), "lambench");
    EXPECT_EQ(scalar(c.get(), "SHOW password_encryption"), "scram-sha-256");
    EXPECT_EQ(
        scalar(c.get(),
               "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid WHERE rolname='lambench'")
            .substr(0, 6),
        "ERROR:");  // lambench is no superuser: pg_authid is not readable, as on RDS
    EXPECT_EQ(scalar(c.get(), "SELECT inet_server_addr()::text"), "127.0.0.1/32");
}

TEST_F(DbLifecycle, WrongPasswordIsRefused) {
    auto st = lambench::db::get_status(dir());
    ASSERT_TRUE(st.running);
    auto c = connect("postgresql://lambench:not-the-password@127.0.0.1:" + std::to_string(st.port) +
                     "/lambench?sslmode=disable&gssencmode=disable");
    EXPECT_EQ(PQstatus(c.get()), CONNECTION_BAD);
    EXPECT_NE(std::string(PQerrorMessage(c.get())).find("password authentication failed"),
              std::string::npos)
        << PQerrorMessage(c.get());
}

TEST_F(DbLifecycle, NonScramAndForeignUsersAreRefused) {
    auto st = lambench::db::get_status(dir());
    // The superuser's password is not the role's password.
    auto c = connect(st.url + "&user=postgres");
    EXPECT_EQ(PQstatus(c.get()), CONNECTION_BAD);
}

TEST_F(DbLifecycle, PasswordFileIsPrivate) {
    auto p = fs::path(dir()) / "db" / "password";
    ASSERT_TRUE(fs::exists(p));
    auto perms = fs::status(p).permissions();
    EXPECT_EQ(perms & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
}

TEST_F(DbLifecycle, SecondEnsureRunningIsFastAndDoesNotReseed) {
    std::string url = lambench::db::ensure_running(dir());
    auto c = connect(url);
    ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK);
    // A row written now would vanish if the seed ran again (drop/recreate or truncate).
    ASSERT_EQ(
        scalar(c.get(),
               "UPDATE items SET name = 'touched' WHERE id = md5('item-2')::uuid RETURNING name"),
        "touched");
    std::string oid = scalar(c.get(), "SELECT 'items'::regclass::oid::text");
    auto t0 = std::chrono::steady_clock::now();
    std::string again = lambench::db::ensure_running(dir());
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(again, url);
    EXPECT_LT(took, 1s);
    EXPECT_EQ(scalar(c.get(), "SELECT 'items'::regclass::oid::text"), oid);
    EXPECT_EQ(scalar(c.get(), "SELECT name FROM items WHERE id = md5('item-2')::uuid"), "touched");
    EXPECT_EQ(
        scalar(c.get(),
               "UPDATE items SET name = 'item 2' WHERE id = md5('item-2')::uuid RETURNING name"),
        "item 2");
}

TEST_F(DbLifecycle, StopThenRestartKeepsPortAndData) {
    auto before = lambench::db::get_status(dir());
    ASSERT_TRUE(before.running);
    lambench::db::stop(dir());
    auto stopped = lambench::db::get_status(dir());
    EXPECT_FALSE(stopped.running);
    EXPECT_EQ(stopped.port, before.port);
    auto c = connect(before.url);
    EXPECT_EQ(PQstatus(c.get()), CONNECTION_BAD);
    lambench::db::stop(dir());  // stopping a stopped server is a no-op

    std::string url = lambench::db::ensure_running(dir());
    EXPECT_EQ(url, before.url);
    auto c2 = connect(url);
    ASSERT_EQ(PQstatus(c2.get()), CONNECTION_OK);
    EXPECT_EQ(scalar(c2.get(), "SELECT count(*) FROM items"), "10000");
}

TEST_F(DbLifecycle, TakenPortMovesToAnotherOne) {
    auto before = lambench::db::get_status(dir());
    lambench::db::stop(dir());
    // Occupy the remembered port.
    int s = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(s, 0);
    int one = 1;  // the stopped server's port may still be in TIME_WAIT
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(before.port));
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(s, 1), 0);
    std::string url = lambench::db::ensure_running(dir());
    ::close(s);
    auto after = lambench::db::get_status(dir());
    EXPECT_TRUE(after.running);
    EXPECT_NE(after.port, before.port);
    EXPECT_EQ(url, after.url);
    auto c = connect(url);
    EXPECT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
}

TEST(DbSeed, RowsAreExactlyTheSpecifiedOnes) {
    temp_state st;
    auto c = connect(lambench::db::ensure_running(st.path()));
    ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK);
    EXPECT_EQ(scalar(c.get(), "SET TIME ZONE 'UTC'; SELECT 1"), "1");
    EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM items"), "10000");
    EXPECT_EQ(scalar(c.get(), "SELECT count(DISTINCT category) FROM items"), "50");
    EXPECT_EQ(scalar(c.get(),
                     "SELECT id::text || '|' || name || '|' || category || '|' || price || '|' || "
                     "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
                     "FROM items WHERE name = 'item 1'"),
              "761ff52b-8e6d-d373-fdf2-91a1a70df20c|item 1|1|0.37|2026-01-01T00:01:01.500000Z");
    // md5('item-1') computed independently: the id is md5 of 'item-1', hyphenated.
    EXPECT_EQ(scalar(c.get(), "SELECT id::text FROM items WHERE name = 'item 1'"),
              scalar(c.get(),
                     "SELECT regexp_replace(md5('item-1'), "
                     "'(.{8})(.{4})(.{4})(.{4})(.{12})', '\\1-\\2-\\3-\\4-\\5')"));
    EXPECT_EQ(scalar(c.get(),
                     "SELECT price::text || ' ' || category FROM items WHERE name = 'item 10000'"),
              "700.00 0");
    EXPECT_EQ(scalar(c.get(),
                     "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') "
                     "FROM items WHERE name = 'item 10000'"),
              "2026-01-08 02:50:00.000000");
    EXPECT_EQ(scalar(c.get(),
                     "SELECT count(*) FROM pg_indexes WHERE tablename = 'items' AND indexdef LIKE "
                     "'%(category)%'"),
              "1");
    EXPECT_EQ(
        scalar(
            c.get(),
            "SELECT string_agg(column_name || ':' || data_type || ':' || is_nullable, ',' "
            "ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name='items'"),
        "id:uuid:NO,name:text:NO,category:integer:NO,price:numeric:NO,created_at:timestamp with "
        "time "
        "zone:NO");
}

TEST(DbConcurrency, TwoFirstStartsAtOnceAgree) {
    temp_state st;
    auto a =
        std::async(std::launch::async, [&] { return lambench::db::ensure_running(st.path()); });
    auto b =
        std::async(std::launch::async, [&] { return lambench::db::ensure_running(st.path()); });
    std::string ua = a.get(), ub = b.get();
    EXPECT_EQ(ua, ub);
    auto c = connect(ua);
    ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK);
    EXPECT_EQ(scalar(c.get(), "SELECT count(*) FROM items"), "10000");
}

TEST(DbBadInput, EmptyStateDirIsAnError) {
    EXPECT_THROW(lambench::db::ensure_running(""), lambench::db::error);
}

TEST(DbBadInput, StateDirThatIsAFileIsAnError) {
    temp_state st;
    std::string file = st.path() + "/plain-file";
    { std::ofstream(file) << "x"; }
    EXPECT_THROW(lambench::db::ensure_running(file), lambench::db::error);
}

TEST(DbStatus, NeverStartedIsStoppedWithoutUrl) {
    temp_state st;
    auto s = lambench::db::get_status(st.path());
    EXPECT_FALSE(s.running);
    EXPECT_EQ(s.port, 0);
    EXPECT_TRUE(s.url.empty());
    EXPECT_FALSE(s.data_dir.empty());
}

// The uid owning the running postmaster of a data directory (postmaster.pid, line 1).
uid_t postmaster_uid(const std::string& data_dir) {
    std::ifstream pidfile(data_dir + "/postmaster.pid");
    std::string pid;
    std::getline(pidfile, pid);
    std::ifstream status("/proc/" + pid + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("Uid:", 0) == 0) return static_cast<uid_t>(std::stoul(line.substr(4)));
    return static_cast<uid_t>(-1);
}

TEST(DbUsers, AsRootTheServerRunsAsPostgresOutsideTheStateDir) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "root-only path; as non-root every other test runs the server as ourselves";
    temp_state st;
    lambench::db::ensure_running(st.path());
    auto s = lambench::db::get_status(st.path());
    EXPECT_EQ(s.data_dir.rfind("/var/tmp/lambench-db-0-", 0), 0u) << s.data_dir;
    struct passwd* pw = ::getpwnam("postgres");
    ASSERT_NE(pw, nullptr);
    EXPECT_EQ(postmaster_uid(s.data_dir), pw->pw_uid);
}

TEST(DbUsers, AnUnprivilegedUserRunsItsOwnServerInItsStateDir) {
    if (::geteuid() != 0)
        GTEST_SKIP() << "needs root to become another user; as non-root the other tests cover it";
    temp_state st;
    struct passwd* nobody = ::getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    ASSERT_EQ(::chown(st.path().c_str(), nobody->pw_uid, nobody->pw_gid), 0);
    ASSERT_EQ(::chmod(st.path().c_str(), 0755), 0);
    const std::string state = st.path() + "/nobody-state";
    // The build tree may sit under a directory `nobody` cannot enter (a 0700 mktemp dir,
    // /root): run a copy of the tool from the state dir, which `nobody` can reach.
    const std::string tool = st.path() + "/db_tool";
    std::filesystem::copy_file(LAMBENCH_DB_TOOL, tool);
    ASSERT_EQ(::chmod(tool.c_str(), 0755), 0);
    // nobody's server is stopped and its cluster removed however the test ends.
    struct destroy_as_nobody {
        std::string cmd;
        ~destroy_as_nobody() {
            if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "failed: %s\n", cmd.c_str());
        }
    } guard{"runuser -u nobody -- " + tool + " destroy " + state + " >/dev/null 2>&1"};
    std::string out;
    {
        std::unique_ptr<FILE, int (*)(FILE*)> p(
            ::popen(("runuser -u nobody -- " + tool + " start " + state + " 2>&1").c_str(), "r"),
            ::pclose);
        ASSERT_TRUE(p);
        char buf[512];
        while (std::fgets(buf, sizeof buf, p.get())) out += buf;
    }
    while (!out.empty() && out.back() == '\n') out.pop_back();
    ASSERT_EQ(out.rfind("postgresql://lambench:", 0), 0u) << out;
    auto c = connect(out);
    EXPECT_EQ(PQstatus(c.get()), CONNECTION_OK) << PQerrorMessage(c.get());
    EXPECT_EQ(postmaster_uid(state + "/db/cluster/data"), nobody->pw_uid);
    EXPECT_EQ(std::system(("runuser -u nobody -- " + tool + " destroy " + state).c_str()), 0);
}

TEST(DbStatus, DefaultStateDirIsTheOneEveryCommandUses) {
    // db, serve and run share posix::default_state_dir; XDG_STATE_HOME is honoured by all.
    ::setenv("LAMBENCH_STATE_DIR", "/some/where", 1);
    EXPECT_EQ(lambench::posix::default_state_dir(), "/some/where");
    ::unsetenv("LAMBENCH_STATE_DIR");
    ::setenv("XDG_STATE_HOME", "/xdg", 1);
    EXPECT_EQ(lambench::posix::default_state_dir(), "/xdg/lambench");
    ::unsetenv("XDG_STATE_HOME");
    ::setenv("HOME", "/home/x", 1);
    EXPECT_EQ(lambench::posix::default_state_dir(), "/home/x/.local/state/lambench");
}

}  // namespace
