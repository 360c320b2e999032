// db_tool start|stop|destroy DIR: CTest fixture set-up and clean-up for tests that share a
// cluster (without depending on the whole lambench CLI).
//
// db_tool sweep [--tmp-prefix PREFIX] ROOT...: the last test of a run. Every embedded cluster
// the tests made records where it lives in <state>/db/cluster-path; the sweep finds those files
// under each ROOT (and under $TMPDIR/PREFIX*, where the tests' throw-away state directories
// go), and for each cluster still running or still on disk says so, stops the server, removes
// the cluster and exits 1. So a run that leaked a server fails, and leaves nothing behind even
// then. PostgreSQL servers it cannot attribute to these tests (someone's `lambench db start`,
// another build tree's tests) are listed and left alone.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db/embedded.hpp"

namespace fs = std::filesystem;

namespace {

std::string first_line(const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

std::vector<std::string> cmdline(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::vector<std::string> args;
    std::string arg;
    while (std::getline(in, arg, '\0')) args.push_back(arg);
    return args;
}

bool is_postgres(pid_t pid) {
    auto args = cmdline(pid);
    return !args.empty() &&
           fs::path(args[0]).filename().string().find("postgres") != std::string::npos;
}

// The live postmaster of a data directory (postmaster.pid, line 1), or 0.
pid_t live_postmaster(const fs::path& data) {
    std::string line = first_line(data / "postmaster.pid");
    pid_t pid = static_cast<pid_t>(std::atol(line.c_str()));
    if (pid <= 0) return 0;
    if (::kill(pid, 0) != 0 && errno != EPERM) return 0;
    return is_postgres(pid) ? pid : 0;
}

bool wait_gone(pid_t pid, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (::kill(pid, 0) == 0 || errno == EPERM) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

// Stops a postmaster as `pg_ctl stop -m fast` does (SIGINT), harder if it does not go.
void stop_postmaster(pid_t pid) {
    ::kill(pid, SIGINT);
    if (wait_gone(pid, std::chrono::seconds(15))) return;
    ::kill(pid, SIGQUIT);
    if (wait_gone(pid, std::chrono::seconds(5))) return;
    ::kill(pid, SIGKILL);
    wait_gone(pid, std::chrono::seconds(5));
}

void find_cluster_paths(const fs::path& root, std::set<fs::path>& out) {
    std::error_code ec;
    if (!fs::is_directory(root, ec)) return;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec),
        end;
    for (; !ec && it != end; it.increment(ec)) {
        const auto& p = it->path();
        if (p.filename() == "cluster-path" && p.parent_path().filename() == "db") out.insert(p);
        // A cluster's own files are not state directories: do not walk into PGDATA.
        if (p.filename() == "data" && fs::exists(p / "PG_VERSION")) it.disable_recursion_pending();
    }
}

int sweep(int argc, char** argv) {
    std::vector<fs::path> roots;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--tmp-prefix" && i + 1 < argc) {
            std::string prefix = argv[++i];
            std::error_code ec;
            for (auto& e : fs::directory_iterator(fs::temp_directory_path(), ec))
                if (e.path().filename().string().rfind(prefix, 0) == 0) roots.push_back(e.path());
        } else {
            roots.emplace_back(a);
        }
    }
    std::set<fs::path> files;
    for (auto& r : roots) find_cluster_paths(r, files);

    int leaks = 0;
    std::set<fs::path> ours;
    for (auto& f : files) {
        fs::path cluster = first_line(f);
        if (cluster.empty()) continue;
        std::error_code canon_ec;
        ours.insert(fs::weakly_canonical(cluster / "data", canon_ec));
        fs::path state = f.parent_path().parent_path();
        bool leaked = false;
        if (pid_t pid = live_postmaster(cluster / "data")) {
            std::fprintf(stderr,
                         "db_tool sweep: LEAK: PostgreSQL (pid %d) of test state %s is still "
                         "running (cluster %s); stopping it\n",
                         static_cast<int>(pid), state.c_str(), cluster.c_str());
            stop_postmaster(pid);
            leaked = true;
        }
        std::error_code ec;
        if (fs::exists(cluster / "data", ec)) {
            std::fprintf(stderr,
                         "db_tool sweep: LEAK: cluster %s of test state %s is still on disk; "
                         "removing it\n",
                         cluster.c_str(), state.c_str());
            fs::remove_all(cluster, ec);
            if (ec)
                std::fprintf(stderr, "db_tool sweep: rm -rf %s: %s\n", cluster.c_str(),
                             ec.message().c_str());
            leaked = true;
        }
        if (leaked) ++leaks;
    }
    // Throw-away state directories of crashed tests (found through --tmp-prefix) go too.
    for (auto& r : roots) {
        if (r.parent_path() != fs::temp_directory_path()) continue;
        std::error_code ec;
        fs::remove_all(r, ec);
    }

    // Other PostgreSQL servers of lambench clusters: named, not touched.
    std::error_code ec;
    for (auto& e : fs::directory_iterator("/proc", ec)) {
        std::string name = e.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        pid_t pid = static_cast<pid_t>(std::stol(name));
        auto args = cmdline(pid);
        if (args.empty() || !is_postgres(pid)) continue;
        for (std::size_t i = 0; i + 1 < args.size(); ++i) {
            if (args[i] != "-D") continue;
            std::error_code canon_ec;
            fs::path data = fs::weakly_canonical(args[i + 1], canon_ec);
            if (ours.count(data)) continue;
            if (data.string().find("lambench") != std::string::npos)
                std::fprintf(stderr,
                             "db_tool sweep: note: PostgreSQL pid %d serves %s, which is not one "
                             "of these tests' clusters; left alone\n",
                             static_cast<int>(pid), data.c_str());
        }
    }
    std::printf("db_tool sweep: %zu test cluster(s) checked, %d left behind\n", files.size(),
                leaks);
    return leaks ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string(argv[1]) == "sweep") return sweep(argc, argv);
    if (argc != 3) {
        std::fprintf(stderr,
                     "usage: db_tool start|stop|destroy STATE_DIR\n"
                     "       db_tool sweep [--tmp-prefix PREFIX] ROOT...\n");
        return 2;
    }
    const std::string cmd = argv[1], dir = argv[2];
    try {
        if (cmd == "start")
            std::printf("%s\n", lambench::db::ensure_running(dir).c_str());
        else if (cmd == "stop")
            lambench::db::stop(dir);
        else if (cmd == "destroy")
            lambench::db::destroy(dir);
        else {
            std::fprintf(stderr, "db_tool: unknown command '%s'\n", cmd.c_str());
            return 2;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "db_tool: %s\n", e.what());
        return 1;
    }
    return 0;
}
