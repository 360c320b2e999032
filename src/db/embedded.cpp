// Embedded PostgreSQL: initdb / pg_ctl lifecycle, schema and deterministic seed.
//
// Layout of <state_dir>/db (always owned by the caller):
//   lock                flock'ed by every call, so concurrent callers serialise
//   password            the `lambench` role's password (0600)
//   superuser-password  the cluster superuser's (`postgres`) password (0600)
//   port                the remembered port
//   cluster-path        path of the cluster directory (see cluster_dir_for)
//   cluster/            the cluster itself, when the server runs as ourselves (not root)
// The cluster directory holds data/ (PGDATA) and server.log.
#include "db/embedded.hpp"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "db/seed_sql.hpp"
#include "posix/child_process.hpp"
#include "posix/file.hpp"

namespace fs = std::filesystem;

namespace lambench::db {
namespace {

[[noreturn]] void fail_errno(const std::string& what) {
    throw error(what + ": " + std::strerror(errno));
}

// ---- small RAII owners --------------------------------------------------------------------

using posix::file_lock;
using posix::unique_fd;

struct pq_conn {
    PGconn* c = nullptr;
    explicit pq_conn(const std::string& conninfo) : c(PQconnectdb(conninfo.c_str())) {}
    pq_conn(const pq_conn&) = delete;
    pq_conn& operator=(const pq_conn&) = delete;
    ~pq_conn() { PQfinish(c); }
    bool ok() const { return c && PQstatus(c) == CONNECTION_OK; }
    std::string message() const {
        std::string m = c ? PQerrorMessage(c) : "out of memory";
        while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
        return m;
    }
};

struct pq_result {
    PGresult* r;
    explicit pq_result(PGresult* res) : r(res) {}
    pq_result(const pq_result&) = delete;
    pq_result& operator=(const pq_result&) = delete;
    ~pq_result() { PQclear(r); }
};

// Runs one SQL string (possibly several statements); throws with the server's message.
void exec(const pq_conn& conn, const std::string& sql, const std::string& step) {
    pq_result res(PQexec(conn.c, sql.c_str()));
    auto st = PQresultStatus(res.r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        throw error("db: " + step + ": " + conn.message());
}

std::string query_one(const pq_conn& conn, const std::string& sql, const std::string& step) {
    pq_result res(PQexec(conn.c, sql.c_str()));
    if (PQresultStatus(res.r) != PGRES_TUPLES_OK || PQntuples(res.r) != 1)
        throw error("db: " + step + ": " + conn.message());
    return PQgetisnull(res.r, 0, 0) ? std::string() : std::string(PQgetvalue(res.r, 0, 0));
}

// ---- files ----------------------------------------------------------------------------------

// The small state files hold one value and a newline.
std::optional<std::string> read_file(const fs::path& p) {
    auto s = posix::read_file(p);
    if (!s) return s;
    while (!s->empty() && (s->back() == '\n' || s->back() == '\r' || s->back() == ' '))
        s->pop_back();
    return s;
}

// Write-then-rename, so a crash never leaves a half-written password or port.
void write_file(const fs::path& p, const std::string& content, mode_t mode) {
    posix::write_file_atomic(p, content + "\n", mode);
}

std::string random_hex(size_t bytes) {
    std::vector<unsigned char> buf(bytes);
    size_t got = 0;
    while (got < bytes) {
        ssize_t n = ::getrandom(buf.data() + got, bytes - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail_errno("getrandom");
        }
        got += static_cast<size_t>(n);
    }
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char b : buf) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

// FNV-1a: a stable short name for a state directory's cluster under /var/tmp.
std::string hash_hex(const std::string& s) {
    std::uint64_t h = 1469598103934665603ULL;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

// ---- the server's user and binaries ----------------------------------------------------------

// PostgreSQL refuses to run as root. As root we run initdb/pg_ctl as Debian's `postgres` system
// user; as anyone else, as ourselves.
struct server_user {
    bool switch_user = false;
    uid_t uid = 0;
    gid_t gid = 0;
};

server_user pick_server_user() {
    server_user u;
    u.uid = ::geteuid();
    u.gid = ::getegid();
    if (u.uid != 0) return u;
    const char* name = std::getenv("LAMBENCH_PG_USER");
    if (!name || !*name) name = "postgres";
    struct passwd* pw = ::getpwnam(name);
    if (!pw)
        throw error(
            std::string("db: running as root, and PostgreSQL refuses to run as root; no '") + name +
            "' user to run it as (install postgresql, or set LAMBENCH_PG_USER)");
    u.switch_user = true;
    u.uid = pw->pw_uid;
    u.gid = pw->pw_gid;
    return u;
}

fs::path pg_bindir() {
    if (const char* env = std::getenv("LAMBENCH_PG_BINDIR"); env && *env) return env;
    // Debian installs each major version side by side; take the newest with an initdb.
    fs::path best;
    int best_version = -1;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
        const std::string v = entry.path().filename().string();
        if (v.empty() || !std::all_of(v.begin(), v.end(), ::isdigit)) continue;
        if (!fs::exists(entry.path() / "bin" / "initdb")) continue;
        int n = std::stoi(v);
        if (n > best_version) {
            best_version = n;
            best = entry.path() / "bin";
        }
    }
    if (best_version < 0)
        throw error(
            "db: no PostgreSQL server found under /usr/lib/postgresql/*/bin "
            "(apt-get install postgresql, or set LAMBENCH_PG_BINDIR)");
    return best;
}

struct run_result {
    int code = -1;
    std::string output;
};

// The tool runs as the server's user with stdout+stderr captured. It starts in `cwd` (or "/")
// because pg_ctl and initdb complain when they cannot stat the caller's (e.g. /root) directory.
run_result run(const server_user& user, const std::vector<std::string>& argv, const fs::path& cwd) {
    posix::spawn_options o;
    o.argv = argv;
    o.env = std::nullopt;
    o.cwd = cwd.string();
    o.cwd_fallback_root = true;
    o.nonblocking_output = false;
    o.new_process_group = false;
    if (user.switch_user) {
        o.uid = user.uid;
        o.gid = user.gid;
    }
    posix::child_process child;
    try {
        child = posix::child_process::spawn(o);
    } catch (const std::system_error& e) {
        throw error(std::string("db: ") + e.what());
    }
    run_result r;
    r.output = child.read_output_to_end();
    r.code = child.wait().shell_code();
    return r;
}

void run_checked(const server_user& user, const std::vector<std::string>& argv, const fs::path& cwd,
                 const std::string& step) {
    run_result r = run(user, argv, cwd);
    if (r.code != 0) {
        std::string cmd;
        for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
        while (!r.output.empty() && r.output.back() == '\n') r.output.pop_back();
        throw error("db: " + step + " failed (" + cmd + ", exit " + std::to_string(r.code) +
                    "): " + r.output);
    }
}

// ---- ports ----------------------------------------------------------------------------------

bool port_free(int port) {
    unique_fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.get() < 0) fail_errno("socket");
    int one = 1;
    // SO_REUSEADDR as the postmaster sets it, so a port in TIME_WAIT counts as free.
    ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    return ::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

int free_port() {
    unique_fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (s.get() < 0) fail_errno("socket");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        fail_errno("bind(127.0.0.1:0)");
    socklen_t len = sizeof a;
    if (::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
        fail_errno("getsockname");
    return ntohs(a.sin_port);
}

// ---- layout -----------------------------------------------------------------------------------

struct layout {
    fs::path db;       // <state>/db
    fs::path cluster;  // holds data/ and server.log
    fs::path data;
    fs::path log;
};

fs::path canonical_state(const std::string& state_dir) {
    if (state_dir.empty()) throw error("db: empty state directory");
    std::error_code ec;
    fs::create_directories(state_dir, ec);
    if (ec) throw error("db: mkdir(" + state_dir + "): " + ec.message());
    fs::path p = fs::canonical(state_dir, ec);
    if (ec) throw error("db: realpath(" + state_dir + "): " + ec.message());
    return p;
}

// Where the cluster lives. A server running as ourselves keeps it in the state directory. A
// server running as `postgres` (we are root) usually cannot traverse the state directory (e.g.
// /root is 0700, mkdtemp dirs are 0700), and loosening the caller's directory modes would be a
// surprise; so its cluster goes to /var/tmp/lambench-db-<uid>-<hash of the state dir>, which
// survives reboots (unlike /tmp on many systems) and is reused by the same state directory.
fs::path cluster_dir_for(const fs::path& state, const server_user& user) {
    if (!user.switch_user) return state / "db" / "cluster";
    return fs::path("/var/tmp") /
           ("lambench-db-" + std::to_string(::geteuid()) + "-" + hash_hex(state.string()));
}

layout make_layout(const fs::path& state, const server_user& user) {
    layout l;
    l.db = state / "db";
    std::error_code ec;
    fs::create_directories(l.db, ec);
    if (ec) throw error("db: mkdir(" + l.db.string() + "): " + ec.message());
    l.cluster = cluster_dir_for(state, user);
    l.data = l.cluster / "data";
    l.log = l.cluster / "server.log";
    return l;
}

// postmaster.pid: line 1 pid, line 4 port. The server is running when that pid is alive.
std::optional<int> running_port(const layout& l) {
    std::ifstream in(l.data / "postmaster.pid");
    if (!in) return std::nullopt;
    std::string lines[4];
    for (auto& line : lines) {
        if (!std::getline(in, line)) return std::nullopt;
    }
    pid_t pid = static_cast<pid_t>(std::strtol(lines[0].c_str(), nullptr, 10));
    if (pid <= 0) return std::nullopt;
    if (::kill(pid, 0) != 0 && errno != EPERM) return std::nullopt;
    int port = static_cast<int>(std::strtol(lines[3].c_str(), nullptr, 10));
    return port > 0 ? std::optional<int>(port) : std::nullopt;
}

std::string make_url(const std::string& password, int port) {
    // gssencmode=disable: there is no Kerberos here, and libpq would otherwise probe for GSS
    // credentials on every connect (and a static libpq has no GSSAPI at all).
    return "postgresql://lambench:" + password + "@127.0.0.1:" + std::to_string(port) +
           "/lambench?sslmode=disable&gssencmode=disable";
}

std::string conninfo(const std::string& user, const std::string& password, int port,
                     const std::string& dbname) {
    return "host=127.0.0.1 port=" + std::to_string(port) + " user=" + user +
           " password=" + password + " dbname=" + dbname +
           " sslmode=disable gssencmode=disable connect_timeout=10";
}

void chown_to(const fs::path& p, const server_user& user) {
    if (user.switch_user && ::chown(p.c_str(), user.uid, user.gid) != 0)
        fail_errno("chown(" + p.string() + ")");
}

void init_cluster(const layout& l, const server_user& user, const fs::path& bindir,
                  const std::string& superuser_password) {
    std::error_code ec;
    // A data directory without PG_VERSION is a failed earlier initdb: start over.
    fs::remove_all(l.data, ec);
    fs::create_directories(l.cluster, ec);
    if (ec) throw error("db: mkdir(" + l.cluster.string() + "): " + ec.message());
    if (::chmod(l.cluster.c_str(), 0700) != 0) fail_errno("chmod(" + l.cluster.string() + ")");
    chown_to(l.cluster, user);

    // The server's user must read the password file, so it lives in the cluster directory,
    // briefly, 0600.
    fs::path pwfile = l.cluster / "pwfile";
    write_file(pwfile, superuser_password, 0600);
    chown_to(pwfile, user);
    run_result r = run(user,
                       {(bindir / "initdb").string(), "-D", l.data.string(), "-U", "postgres",
                        "--pwfile=" + pwfile.string(), "--auth-host=scram-sha-256",
                        "--auth-local=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"},
                       l.cluster);
    fs::remove(pwfile, ec);
    if (r.code != 0)
        throw error("db: initdb failed (exit " + std::to_string(r.code) + "): " + r.output);

    // As RDS: TCP on loopback only, SCRAM only. No Unix socket: nothing else to secure, and a
    // socket path under a long state directory could exceed sun_path's 107 bytes.
    std::ofstream conf(l.data / "postgresql.conf", std::ios::app);
    conf << "\n# lambench\n"
            "listen_addresses = '127.0.0.1'\n"
            "unix_socket_directories = ''\n"
            "password_encryption = 'scram-sha-256'\n"
            "max_connections = 100\n"
            "shared_buffers = 32MB\n"
            "timezone = 'UTC'\n"
            "log_timezone = 'UTC'\n"
            "datestyle = 'iso, mdy'\n";
    if (!conf) throw error("db: write(" + (l.data / "postgresql.conf").string() + ") failed");
    conf.close();
    std::ofstream hba(l.data / "pg_hba.conf", std::ios::trunc);
    hba << "# lambench: loopback TCP with SCRAM-SHA-256 only, as RDS\n"
           "host all all 127.0.0.1/32 scram-sha-256\n";
    if (!hba) throw error("db: write(" + (l.data / "pg_hba.conf").string() + ") failed");
    hba.close();
}

void start_server(const layout& l, const server_user& user, const fs::path& bindir, int port) {
    run_checked(user,
                {(bindir / "pg_ctl").string(), "start", "-D", l.data.string(), "-l", l.log.string(),
                 "-w", "-t", "60", "-s", "-o", "-p " + std::to_string(port)},
                l.cluster, "pg_ctl start (log: " + l.log.string() + ")");
}

// Creates role and database (as the superuser), then schema and seed (as `lambench`, so the
// table is the role's own, as on RDS). The seed is one transaction: a table that exists is a
// table fully seeded, and a second call does nothing.
void ensure_seeded(int port, const std::string& superuser_password, const std::string& password) {
    {
        // The common case, a cluster seeded earlier: one connection, one query.
        pq_conn conn(conninfo("lambench", password, port, "lambench"));
        if (conn.ok() && query_one(conn, "SELECT to_regclass('public.items') IS NOT NULL",
                                   "schema lookup") == "t")
            return;
    }
    {
        pq_conn su(conninfo("postgres", superuser_password, port, "postgres"));
        if (!su.ok()) throw error("db: connect as superuser: " + su.message());
        if (query_one(su, "SELECT count(*) FROM pg_roles WHERE rolname = 'lambench'",
                      "role lookup") == "0")
            exec(su, "CREATE ROLE lambench LOGIN PASSWORD '" + password + "'", "CREATE ROLE");
        else
            exec(su, "ALTER ROLE lambench LOGIN PASSWORD '" + password + "'", "ALTER ROLE");
        if (query_one(su, "SELECT count(*) FROM pg_database WHERE datname = 'lambench'",
                      "db lookup") == "0")
            exec(su, "CREATE DATABASE lambench OWNER lambench", "CREATE DATABASE");
    }
    pq_conn conn(conninfo("lambench", password, port, "lambench"));
    if (!conn.ok()) throw error("db: connect as lambench: " + conn.message());
    if (query_one(conn, "SELECT to_regclass('public.items') IS NOT NULL", "schema lookup") == "t")
        return;
    exec(conn, schema_and_seed, "schema and seed");
}

std::string load_or_make_secret(const fs::path& p) {
    if (auto s = read_file(p); s && !s->empty()) return *s;
    std::string secret = random_hex(16);
    write_file(p, secret, 0600);
    return secret;
}

}  // namespace

std::string ensure_running(const std::string& state_dir) {
    const fs::path state = canonical_state(state_dir);
    const server_user user = pick_server_user();
    const layout l = make_layout(state, user);
    file_lock lock(l.db / "lock");

    const std::string password = load_or_make_secret(l.db / "password");
    const std::string su_password = load_or_make_secret(l.db / "superuser-password");
    write_file(l.db / "cluster-path", l.cluster.string(), 0644);

    if (auto port = running_port(l)) {
        write_file(l.db / "port", std::to_string(*port), 0644);
        ensure_seeded(*port, su_password, password);
        return make_url(password, *port);
    }

    const fs::path bindir = pg_bindir();
    if (!fs::exists(l.data / "PG_VERSION")) init_cluster(l, user, bindir, su_password);

    int port = 0;
    if (auto p = read_file(l.db / "port"))
        port = static_cast<int>(std::strtol(p->c_str(), nullptr, 10));
    if (port <= 0 || !port_free(port)) port = free_port();
    write_file(l.db / "port", std::to_string(port), 0644);
    // A port can be taken between our probe and the postmaster's bind; one retry on another.
    try {
        start_server(l, user, bindir, port);
    } catch (const error&) {
        if (port_free(port)) throw;
        port = free_port();
        write_file(l.db / "port", std::to_string(port), 0644);
        start_server(l, user, bindir, port);
    }
    ensure_seeded(port, su_password, password);
    return make_url(password, port);
}

void stop(const std::string& state_dir) {
    const fs::path state = canonical_state(state_dir);
    const server_user user = pick_server_user();
    const layout l = make_layout(state, user);
    file_lock lock(l.db / "lock");
    if (!running_port(l)) return;
    run_checked(user,
                {(pg_bindir() / "pg_ctl").string(), "stop", "-D", l.data.string(), "-m", "fast",
                 "-w", "-s"},
                l.cluster, "pg_ctl stop");
}

status get_status(const std::string& state_dir) {
    const fs::path state = canonical_state(state_dir);
    const server_user user = pick_server_user();
    const layout l = make_layout(state, user);
    file_lock lock(l.db / "lock");
    status s;
    s.data_dir = l.data.string();
    if (auto p = read_file(l.db / "port"))
        s.port = static_cast<int>(std::strtol(p->c_str(), nullptr, 10));
    if (auto rp = running_port(l)) {
        s.running = true;
        s.port = *rp;
    }
    auto password = read_file(l.db / "password");
    if (password && s.port > 0 && fs::exists(l.data / "PG_VERSION"))
        s.url = make_url(*password, s.port);
    return s;
}

void destroy(const std::string& state_dir) {
    stop(state_dir);
    const fs::path state = canonical_state(state_dir);
    const server_user user = pick_server_user();
    const layout l = make_layout(state, user);
    file_lock lock(l.db / "lock");
    std::error_code ec;
    fs::remove_all(l.cluster, ec);
    if (ec) throw error("db: rm -rf " + l.cluster.string() + ": " + ec.message());
}

}  // namespace lambench::db
