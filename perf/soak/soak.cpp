// soak: many invocations against one `lambench serve`, watching what the service keeps.
//
// Drives N invocations (default 1,000,000) from --concurrency client threads (default 4). Most are
// no-ops; the rest crash (exit 3), time out (sleep past a 1 s timeout), run out of memory (touch
// 300 MB in a 128 MB function), answer more than 6 MB, go through the Event queue, or churn a
// function through the REST API (create, invoke, update code, invoke, delete). Every answer is
// checked against what Lambda gives for that kind; unexpected answers are counted and the first few
// printed.
//
// Every --sample-seconds it prints the service's RSS (VmRSS), open fds, the state dir's disk use
// and the number of cgroups under the service's own parent group(s) "<…>/lambench/<service pid>".
// Verdict: after the warm-up (the first 10 % of invocations) RSS may grow by at most 1 MB and fds
// by 0 per 100,000 invocations (both measured at rest, with no sandbox alive: the clients pause
// after the warm-up and at the end until idle sandboxes are retired); after SIGTERM nothing may be
// left behind: no process in the service's process group, no cgroup of the service, no code
// directory of a churned function. Exits 1 when a target is missed.
//
// Usage: soak [--invocations N] [--concurrency C] [--sample-seconds S] [--keep]
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/base64.hpp"
#include "support/files.hpp"
#include "support/http_client.hpp"
#include "support/serve.hpp"
#include "support/zip.hpp"

namespace fs = std::filesystem;
namespace ts = lambench::test_support;
using json = nlohmann::json;
using steady = std::chrono::steady_clock;

namespace {

// The kinds of invocation and how often each comes (one in `every`, at offset `at`).
enum class kind { noop, event, crash, timeout, oom, oversize, churn };
constexpr const char* kind_names[] = {"noop", "event",    "crash", "timeout",
                                      "oom",  "oversize", "churn"};
constexpr int kind_count = 7;

kind kind_of(long i) {
    if (i % 1000 == 500) return kind::timeout;
    if (i % 1000 == 250) return kind::oom;
    if (i % 1000 == 750) return kind::churn;
    if (i % 500 == 300) return kind::oversize;
    if (i % 200 == 100) return kind::crash;
    if (i % 50 == 25) return kind::event;
    return kind::noop;
}

struct sample {
    double t = 0;
    long done = 0;
    long rss_kb = 0;
    long fds = 0;
    long disk_kb = 0;
    long cgroups = 0;
};

long rss_kb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

long count_fds(pid_t pid) {
    std::error_code ec;
    long n = 0;
    for (fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end;
         !ec && it != end; it.increment(ec))
        ++n;
    return ec ? -1 : n;
}

// Disk use (allocated blocks) of a directory tree, in KB.
long disk_kb(const fs::path& root) {
    long kb = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator
             it(root, fs::directory_options::skip_permission_denied, ec),
         end;
         !ec && it != end; it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0) kb += static_cast<long>(st.st_blocks) / 2;
    }
    return kb;
}

// The cgroup mount points (v1 and v2) from /proc/self/mountinfo.
std::vector<fs::path> cgroup_mounts() {
    std::vector<fs::path> out;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        auto dash = line.find(" - ");
        if (dash == std::string::npos) continue;
        std::istringstream rest(line.substr(dash + 3));
        std::string type;
        rest >> type;
        if (type != "cgroup" && type != "cgroup2") continue;
        std::istringstream f(line);
        std::string id, parent, devno, root, mount;
        f >> id >> parent >> devno >> root >> mount;
        out.emplace_back(mount);
    }
    return out;
}

// The service's parent groups: every directory "lambench/<pid>" under a cgroup mount (the service
// puts each sandbox's group under "<its own cgroup>/lambench/<its pid>"; LAMBENCH_CGROUP_ROOT
// moves the base, not the "lambench/<pid>" part's name).
std::vector<fs::path> service_groups(pid_t pid, const std::vector<fs::path>& mounts) {
    std::vector<fs::path> out;
    const std::string name = std::to_string(pid);
    for (const auto& m : mounts) {
        std::error_code ec;
        for (fs::recursive_directory_iterator
                 it(m, fs::directory_options::skip_permission_denied, ec),
             end;
             !ec && it != end; it.increment(ec)) {
            if (!it->is_directory(ec) || it->is_symlink(ec)) {
                it.disable_recursion_pending();
                continue;
            }
            if (it->path().filename() == name &&
                it->path().parent_path().filename() == "lambench") {
                out.push_back(it->path());
                it.disable_recursion_pending();
            } else if (it.depth() >= 6) {
                it.disable_recursion_pending();
            }
        }
    }
    return out;
}

// Groups under the service's parents (the parents themselves not counted).
long count_groups(const std::vector<fs::path>& parents) {
    long n = 0;
    for (const auto& p : parents) {
        std::error_code ec;
        for (fs::recursive_directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec))
            if (it->is_directory(ec) && !it->is_symlink(ec)) ++n;
    }
    return n;
}

// Processes whose process group is `pgid` (the service's own group: the service and what it
// spawned without a new group).
std::vector<pid_t> processes_in_group(pid_t pgid) {
    std::vector<pid_t> out;
    std::error_code ec;
    for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string n = it->path().filename().string();
        if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(it->path() / "stat");
        std::string s;
        std::getline(in, s);
        auto close = s.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream f(s.substr(close + 2));
        std::string state;
        long ppid = 0, pg = 0;
        f >> state >> ppid >> pg;
        if (pg == pgid) out.push_back(static_cast<pid_t>(std::stol(n)));
    }
    return out;
}

// The service's child processes (its sandboxes).
std::vector<pid_t> children_of(pid_t parent) {
    std::vector<pid_t> out;
    std::error_code ec;
    for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
        const std::string n = it->path().filename().string();
        if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream in(it->path() / "stat");
        std::string s;
        std::getline(in, s);
        auto close = s.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream f(s.substr(close + 2));
        std::string state;
        long ppid = 0;
        f >> state >> ppid;
        if (ppid == parent) out.push_back(static_cast<pid_t>(std::stol(n)));
    }
    return out;
}

// Code directories of churned functions: <state>/service/run-<pid>/code/churn-*.
long churn_code_dirs(const fs::path& state) {
    long n = 0;
    std::error_code ec;
    for (fs::directory_iterator run(state / "service", ec), end; !ec && run != end;
         run.increment(ec)) {
        if (run->path().filename().string().rfind("run-", 0) != 0) continue;
        std::error_code ec2;
        for (fs::directory_iterator c(run->path() / "code", ec2), e2; !ec2 && c != e2;
             c.increment(ec2))
            if (c->path().filename().string().rfind("churn-", 0) == 0) ++n;
    }
    return n;
}

struct tally {
    std::mutex m;
    long ok[kind_count] = {};
    long bad[kind_count] = {};
    int printed = 0;
    void add(kind k, bool good, const std::string& what) {
        std::lock_guard<std::mutex> l(m);
        (good ? ok : bad)[static_cast<int>(k)]++;
        if (!good && printed < 20) {
            ++printed;
            std::fprintf(stderr, "soak: unexpected %s answer: %s\n",
                         kind_names[static_cast<int>(k)], what.substr(0, 300).c_str());
        }
    }
};

std::string describe(const ts::http_result& r) {
    return std::to_string(r.status) + " " + r.header("x-amz-function-error") + " " +
           r.body.substr(0, 200);
}

std::string error_type(const ts::http_result& r) {
    try {
        auto j = json::parse(r.body);
        if (j.is_object() && j.contains("errorType") && j["errorType"].is_string())
            return j["errorType"].get<std::string>();
    } catch (const std::exception&) {
    }
    return {};
}

bool is_function_error(const ts::http_result& r, const std::string& type) {
    return r.status == 200 && r.header("x-amz-function-error") == "Unhandled" &&
           error_type(r) == type;
}

}  // namespace

int main(int argc, char** argv) {
    long invocations = 1'000'000;
    int concurrency = 4;
    double sample_seconds = 10;
    bool keep = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--invocations" && i + 1 < argc)
            invocations = std::atol(argv[++i]);
        else if (a == "--concurrency" && i + 1 < argc)
            concurrency = std::atoi(argv[++i]);
        else if (a == "--sample-seconds" && i + 1 < argc)
            sample_seconds = std::atof(argv[++i]);
        else if (a == "--keep")
            keep = true;
        else {
            std::fprintf(stderr,
                         "usage: soak [--invocations N] [--concurrency C] [--sample-seconds S] "
                         "[--keep]\n");
            return 2;
        }
    }
    if (invocations < 2000 || concurrency < 1 || sample_seconds <= 0) {
        std::fprintf(stderr,
                     "soak: --invocations >= 2000, --concurrency >= 1, --sample-seconds > 0\n");
        return 2;
    }

    ts::temp_dir tmp("lambench-soak");
    const fs::path code = tmp.path() / "code";
    fs::create_directories(code);
    fs::copy_file(SOAK_FN_BIN, code / "bootstrap");
    fs::permissions(code / "bootstrap", fs::perms::owner_all);
    const std::string zip_b64 =
        lambench::common::base64_encode(ts::zip_bootstrap(code / "bootstrap"));

    auto block = [&](const std::string& name, const std::string& handler, int memory, int timeout) {
        return "[[function]]\nname = \"" + name + "\"\nhandler = \"" + handler + "\"\ncode = \"" +
               code.string() + "\"\nmemory = " + std::to_string(memory) +
               "\ntimeout = " + std::to_string(timeout) + "\n\n";
    };
    ts::serve_options opts;
    opts.config_toml = "[service]\nconcurrency = " + std::to_string(concurrency * 2) +
                       "\nidle_timeout = 2\n\n" + block("noop", "echo", 128, 3) +
                       block("crash", "exit", 128, 3) + block("timeout", "sleep", 128, 1) +
                       block("oom", "alloc", 128, 60) + block("oversize", "big", 128, 10);
    // The OOM function gets 60 s: at 128 MB its CPU share is 128/1769 of a core, and on a loaded
    // host touching its way to the limit took more than 10 s (answered Sandbox.Timedout).
    opts.state_dir = tmp.path() / "state";
    opts.stop_grace = std::chrono::seconds(30);
    std::unique_ptr<ts::serve_process> svc;
    try {
        svc = std::make_unique<ts::serve_process>(LAMBENCH_BIN, opts);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "soak: %s\n", e.what());
        return 1;
    }
    const pid_t pid = svc->pid();
    const std::string base = svc->url();
    const auto mounts = cgroup_mounts();

    tally counts;
    std::atomic<long> next{0}, done{0}, churn_seq{0}, limit{0};
    auto worker = [&] {
        for (;;) {
            long i = next.load();
            do {
                if (i >= limit.load()) return;
            } while (!next.compare_exchange_weak(i, i + 1));
            const kind k = kind_of(i);
            try {
                switch (k) {
                    case kind::noop: {
                        const std::string payload = "{\"i\":" + std::to_string(i) + "}";
                        auto r = ts::http("POST", svc->invoke_url("noop"), payload);
                        counts.add(k,
                                   r.status == 200 && r.header("x-amz-function-error").empty() &&
                                       r.body == payload,
                                   describe(r));
                        break;
                    }
                    case kind::event: {
                        auto r = ts::http("POST", svc->invoke_url("noop"), "{}",
                                          {"X-Amz-Invocation-Type: Event"});
                        counts.add(k, r.status == 202, describe(r));
                        break;
                    }
                    case kind::crash: {
                        auto r = ts::http("POST", svc->invoke_url("crash"), "3");
                        counts.add(k, is_function_error(r, "Runtime.ExitError"), describe(r));
                        break;
                    }
                    case kind::timeout: {
                        auto r = ts::http("POST", svc->invoke_url("timeout"), R"({"ms":3000})");
                        counts.add(k, is_function_error(r, "Sandbox.Timedout"), describe(r));
                        break;
                    }
                    case kind::oom: {
                        auto r = ts::http("POST", svc->invoke_url("oom"), "300");
                        counts.add(k, is_function_error(r, "Runtime.ExitError"), describe(r));
                        break;
                    }
                    case kind::oversize: {
                        auto r = ts::http("POST", svc->invoke_url("oversize"), "{}");
                        counts.add(k, is_function_error(r, "Function.ResponseSizeTooLarge"),
                                   describe(r));
                        break;
                    }
                    case kind::churn: {
                        const std::string name = "churn-" + std::to_string(churn_seq.fetch_add(1));
                        const std::string fns = base + "/2015-03-31/functions";
                        json body = {
                            {"FunctionName", name}, {"Runtime", "provided.al2023"},
                            {"Handler", "echo"},    {"Role", "arn:aws:iam::000000000000:role/soak"},
                            {"Timeout", 3},         {"Code", {{"ZipFile", zip_b64}}}};
                        auto c = ts::http("POST", fns, body.dump());
                        auto i1 = ts::http("POST", svc->invoke_url(name), "{\"a\":1}");
                        auto u = ts::http("PUT", fns + "/" + name + "/code",
                                          json{{"ZipFile", zip_b64}}.dump());
                        auto i2 = ts::http("POST", svc->invoke_url(name), "{\"a\":2}");
                        auto d = ts::http("DELETE", fns + "/" + name);
                        const bool good = c.status == 201 && i1.status == 200 &&
                                          i1.body == "{\"a\":1}" && u.status == 200 &&
                                          i2.status == 200 && i2.body == "{\"a\":2}" &&
                                          d.status == 204;
                        counts.add(k, good,
                                   "create " + describe(c) + " | invoke " + describe(i1) +
                                       " | update " + describe(u) + " | invoke " + describe(i2) +
                                       " | delete " + describe(d));
                        break;
                    }
                }
            } catch (const std::exception& e) {
                counts.add(k, false, std::string("no answer: ") + e.what());
            }
            done.fetch_add(1);
        }
    };

    std::printf("soak: %ld invocations, concurrency %d, service pid %d, state %s\n", invocations,
                concurrency, static_cast<int>(pid), opts.state_dir.c_str());
    std::printf("%8s %10s %9s %6s %10s %8s %8s\n", "t_s", "done", "rss_kb", "fds", "disk_kb",
                "cgroups", "inv/s");
    std::vector<sample> samples;
    const auto t0 = steady::now();
    auto take = [&] {
        sample s;
        s.t = std::chrono::duration<double>(steady::now() - t0).count();
        s.done = done.load();
        s.rss_kb = rss_kb(pid);
        s.fds = count_fds(pid);
        s.disk_kb = disk_kb(opts.state_dir);
        s.cgroups = count_groups(service_groups(pid, mounts));
        const double rate = samples.empty() ? 0
                                            : static_cast<double>(s.done - samples.back().done) /
                                                  std::max(1e-9, s.t - samples.back().t);
        std::printf("%8.1f %10ld %9ld %6ld %10ld %8ld %8.0f\n", s.t, s.done, s.rss_kb, s.fds,
                    s.disk_kb, s.cgroups, rate);
        std::fflush(stdout);
        samples.push_back(s);
    };
    take();
    // Two rounds: the warm-up, then the rest. Between them and at the end the clients stop and the
    // service settles (queued Events drain, idle sandboxes are retired after idle_timeout = 2 s),
    // so the baseline and the final figures are taken at rest and compare like with like.
    // At least one round of the mix (1,000), so that every kind has run once before the baseline.
    const long warm = std::max(invocations / 10, 1000L);
    sample baseline;
    auto next_sample = steady::now() + std::chrono::duration<double>(sample_seconds);
    auto run_until = [&](long end) {
        limit.store(end);
        std::vector<std::thread> threads;
        for (int t = 0; t < concurrency; ++t) threads.emplace_back(worker);
        while (done.load() < end) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            if (steady::now() >= next_sample) {
                take();
                next_sample += std::chrono::duration<double>(sample_seconds);
            }
        }
        for (auto& t : threads) t.join();
        // At rest: every sandbox idle past idle_timeout is gone (up to 30 s), so the figures
        // compare the service alone, not how many sandboxes happened to be alive.
        const auto until = steady::now() + std::chrono::seconds(30);
        do std::this_thread::sleep_for(std::chrono::milliseconds(500));
        while (!children_of(pid).empty() && steady::now() < until);
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        take();
    };
    run_until(warm);
    baseline = samples.back();
    const auto t_warm = steady::now();
    run_until(invocations);
    const double elapsed = std::chrono::duration<double>(steady::now() - t0).count();
    const double rate_after_warm =
        static_cast<double>(invocations - warm) /
        (std::chrono::duration<double>(steady::now() - t_warm).count() - 1.0);

    bool pass = true;
    // Growth after the warm-up: from the baseline (at rest after it) to the end (at rest).
    const sample& last = samples.back();
    const double per = 100000.0 / static_cast<double>(invocations - warm);
    const double rss_per_100k = static_cast<double>(last.rss_kb - baseline.rss_kb) / 1024.0 * per;
    const double fds_per_100k = static_cast<double>(last.fds - baseline.fds) * per;

    std::printf("\nanswers (expected / unexpected):\n");
    long unexpected = 0;
    for (int k = 0; k < kind_count; ++k) {
        std::printf("  %-9s %9ld / %ld\n", kind_names[k], counts.ok[k], counts.bad[k]);
        unexpected += counts.bad[k];
    }
    std::printf("throughput: %.0f invocations/s (%ld in %.1f s)\n",
                static_cast<double>(invocations) / elapsed, invocations, elapsed);
    std::printf("throughput after warm-up: %.0f invocations/s\n", rate_after_warm);
    std::printf(
        "after warm-up (%ld invocations): RSS %+.3f MB per 100k (target <= 1), fds %+.2f "
        "per 100k (target 0); at rest %ld KB / %ld fds -> %ld KB / %ld fds\n",
        warm, rss_per_100k, fds_per_100k, baseline.rss_kb, baseline.fds, last.rss_kb, last.fds);
    if (rss_per_100k > 1.0) pass = false;
    if (fds_per_100k > 0) pass = false;
    if (unexpected > 0) pass = false;

    // Shutdown: SIGTERM, then look for anything left behind.
    const int code_rc = svc->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto left_procs = processes_in_group(pid);
    auto left_groups = service_groups(pid, mounts);
    long left_code = churn_code_dirs(opts.state_dir);
    std::printf(
        "shutdown: exit code %d; processes left in its group %zu; its cgroups left %zu; "
        "code dirs of deleted functions left %ld\n",
        code_rc, left_procs.size(), left_groups.size(), left_code);
    for (auto p : left_procs) std::printf("  left process %d\n", static_cast<int>(p));
    for (auto& g : left_groups) std::printf("  left cgroup %s\n", g.c_str());
    if (code_rc != 0 || !left_procs.empty() || !left_groups.empty() || left_code != 0) pass = false;
    std::printf("verdict: %s\n", pass ? "PASS" : "FAIL");
    if (keep) {
        std::printf("state kept in %s\n", tmp.path().c_str());
        // temp_dir removes on destruction; copy the state out first.
        const fs::path kept =
            fs::temp_directory_path() / ("lambench-soak-kept-" + std::to_string(pid));
        std::error_code ec;
        fs::copy(tmp.path(), kept, fs::copy_options::recursive, ec);
        std::printf("copied to %s\n", kept.c_str());
    }
    return pass ? 0 : 1;
}
