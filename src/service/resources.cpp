// Lambda's resource model on Linux cgroups (v1 and v2) with a signal-based fallback.
//
// Layout: every group lives under a per-service parent "<own cgroup>/lambench/<service pid>" in
// each hierarchy we use (or under LAMBENCH_CGROUP_ROOT). Using our own cgroup as the base keeps
// sandboxes inside whatever accounting the service itself is under, instead of escaping to the
// root. The parent is created on demand and removed when the last group of this process goes.
#include "resources.hpp"
#include "runtime/unique_fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <stop_token>
#include <system_error>
#include <thread>
#include <utility>

namespace lambench::service {

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

// CFS bandwidth period: 10 ms, not the kernel's default 100 ms. A throttled group may run its
// whole quota in one burst at the start of a period, so the error of a short piece of work is
// up to one period's quota. Measured here (tests/resources, fixed CPU work in 256-1769 MB
// groups): 5 ms of work was off by a median +72..+244% with 100 ms and -11..+3% with 10 ms;
// 250 ms of work by +2..+6% with 100 ms and under 1% with 10 ms. Shorter periods fall below
// the kernel's 1 ms minimum quota for small sizes, so the period is stretched until the quota
// reaches 1 ms (128 MB: 13.8 ms). LAMBENCH_CPU_PERIOD_US overrides the base period.
constexpr long default_cpu_period_us = 10'000;
constexpr long min_cpu_quota_us = 1'000;
constexpr long max_cpu_period_us = 1'000'000;

// 1,769 MB of memory buys one vCPU on Lambda.
constexpr double mb_per_vcpu = 1769.0;

[[noreturn]] void throw_errno(const std::string& what, int err) {
    throw std::system_error(err, std::generic_category(), what);
}

using unique_fd = lambench::runtime::detail::unique_fd;

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// cgroup files must be written with one write(2) per value: the kernel parses each write.
int try_write_file(const std::string& path, const std::string& value) {
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd.get() < 0) return errno;
    ssize_t n;
    do {
        n = ::write(fd.get(), value.data(), value.size());
    } while (n < 0 && errno == EINTR);
    if (n < 0) return errno;
    return 0;
}

void write_file(const std::string& path, const std::string& value) {
    if (int err = try_write_file(path, value)) throw_errno("write " + path, err);
}

std::optional<std::string> try_read_file(const std::string& path) {
    unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return std::nullopt;
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return std::nullopt;
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

std::string read_file(const std::string& path) {
    unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) throw_errno("open " + path, errno);
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read " + path, errno);
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

std::uint64_t parse_u64(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return 0;
    return v;
}

// "key value" lines (memory.events, memory.oom_control, cgroup.events).
std::optional<std::uint64_t> keyed_value(const std::string& text, std::string_view key) {
    std::istringstream in(text);
    std::string k;
    std::uint64_t v = 0;
    while (in >> k >> v) {
        if (k == key) return v;
    }
    return std::nullopt;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        auto pos = s.find(sep, start);
        out.emplace_back(s.substr(start, pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mount(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        bool octal = s[i] == '\\';
        for (std::size_t j = 1; octal && j <= 3; ++j)
            octal = i + j < s.size() && s[i + j] >= '0' && s[i + j] <= '7';
        if (octal) {
            out.push_back(
                static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
            i += 3;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::string join_path(std::string a, std::string_view b) {
    while (!b.empty() && b.front() == '/') b.remove_prefix(1);
    if (b.empty()) return a;
    if (a.empty() || a.back() != '/') a.push_back('/');
    a.append(b);
    return a;
}

std::vector<pid_t> parse_pids(const std::string& text) {
    std::vector<pid_t> out;
    std::istringstream in(text);
    long v = 0;
    while (in >> v) out.push_back(static_cast<pid_t>(v));
    return out;
}

long cpu_period_us() {
    if (const char* e = std::getenv("LAMBENCH_CPU_PERIOD_US")) {
        long v = std::strtol(e, nullptr, 10);
        if (v >= 1000 && v <= 1'000'000) return v;
    }
    return default_cpu_period_us;
}

struct mount_entry {
    std::string root;                      // root of the mount inside the hierarchy
    std::string mountpoint;                // where it is mounted
    std::vector<std::string> controllers;  // v1 only
};

// Where one hierarchy keeps our groups.
struct hierarchy {
    std::string mount;                // mountpoint
    std::string mount_root;           // root of the mount inside the hierarchy
    std::string base;                 // directory our parent chain starts from (exists)
    std::string parent;               // base/lambench/<pid> (or the LAMBENCH_CGROUP_ROOT directory)
    std::vector<std::string> chain;   // directories from base (exclusive) to parent (inclusive)
    std::vector<std::string> enable;  // v2: controllers to enable along the chain
    bool chain_is_ours = true;        // "lambench/<pid>": remove when empty, whoever created it
};

struct layout {
    cgroup_support support;
    std::vector<hierarchy> hier;  // v2: one; v1: distinct hierarchies in use
    int cpu_h = -1, mem_h = -1, frz_h = -1;
    bool v1_memsw = false;
    bool v2_peak = false, v2_swap = false, v2_kill = false, v2_oom_group = false;
    long period_us = default_cpu_period_us;
};

std::mutex parent_mutex;  // guards parent chain creation/removal and live_groups
int live_groups = 0;
// Chain directories to remove when empty, outermost first: the ones this process created, and
// the shared "lambench" directory, which another service instance may have created but which
// must not outlive the last of them.
std::vector<std::string> created_dirs;

// v2: a group only gets cpu/memory files when its parent lists them in cgroup.subtree_control.
// Already-enabled controllers are skipped: re-enabling is pointless and a group with processes
// of its own ("no internal processes") refuses the write.
void enable_controllers(const std::string& dir, const std::vector<std::string>& ctrls) {
    auto file = dir + "/cgroup.subtree_control";
    auto current = split(try_read_file(file).value_or(""), ' ');
    for (auto& c : current)
        while (!c.empty() && c.back() == '\n') c.pop_back();
    std::string add;
    for (const auto& c : ctrls)
        if (std::find(current.begin(), current.end(), c) == current.end())
            add += (add.empty() ? "+" : " +") + c;
    if (!add.empty()) write_file(file, add);
}

// mkdir -p of the parent chain; records what we may remove later (see created_dirs).
void ensure_chain(const hierarchy& h) {
    if (!h.enable.empty()) enable_controllers(h.base, h.enable);
    for (int attempt = 0;; ++attempt) {
        bool raced = false;
        for (const auto& dir : h.chain) {
            if (::mkdir(dir.c_str(), 0755) == 0 || (errno == EEXIST && h.chain_is_ours)) {
                if (std::find(created_dirs.begin(), created_dirs.end(), dir) == created_dirs.end())
                    created_dirs.push_back(dir);
            } else if (errno == ENOENT && attempt < 5) {
                // Another service instance removed the shared "lambench" directory between our
                // mkdir of it and of our own directory inside: start over.
                raced = true;
                break;
            } else if (errno != EEXIST) {
                throw_errno("mkdir " + dir, errno);
            }
            if (!h.enable.empty()) enable_controllers(dir, h.enable);
        }
        if (!raced) return;
    }
}

// Removes the directories we created, innermost first, if they are empty by now.
void remove_chain_if_unused() {
    for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it) ::rmdir(it->c_str());
    created_dirs.erase(std::remove_if(created_dirs.begin(), created_dirs.end(),
                                      [](const std::string& d) { return !exists(d); }),
                       created_dirs.end());
}

std::vector<mount_entry> cgroup_mounts(bool v2) {
    std::vector<mount_entry> out;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
        auto sep = line.find(" - ");
        if (sep == std::string::npos) continue;
        auto pre = split(line.substr(0, sep), ' ');
        auto post = split(line.substr(sep + 3), ' ');
        if (pre.size() < 5 || post.size() < 3) continue;
        if (v2 != (post[0] == "cgroup2")) continue;
        if (!v2 && post[0] != "cgroup") continue;
        mount_entry m{unescape_mount(pre[3]), unescape_mount(pre[4]), {}};
        if (!v2) {
            for (auto& opt : split(post[2], ',')) {
                if (opt == "cpu" || opt == "memory" || opt == "freezer")
                    m.controllers.push_back(opt);
            }
            if (m.controllers.empty()) continue;
        }
        out.push_back(std::move(m));
    }
    return out;
}

// /proc/self/cgroup: "hierarchy-id:controllers:path"; v2 has id 0 and empty controllers.
std::string own_cgroup(const std::string& controller) {
    std::ifstream in("/proc/self/cgroup");
    std::string line;
    while (std::getline(in, line)) {
        auto a = line.find(':');
        auto b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        auto ctrls = split(line.substr(a + 1, b - a - 1), ',');
        if (controller.empty() ? line.substr(0, a) == "0" && ctrls.size() == 1 && ctrls[0].empty()
                               : std::find(ctrls.begin(), ctrls.end(), controller) != ctrls.end())
            return line.substr(b + 1);
    }
    return "/";
}

// Directory of the cgroup at `cg_path` (as /proc/self/cgroup names it) in a mount.
std::string dir_for(const mount_entry& m, std::string cg_path) {
    if (m.root != "/" && cg_path.starts_with(m.root)) cg_path = cg_path.substr(m.root.size());
    return join_path(m.mountpoint, cg_path);
}

hierarchy make_hierarchy(const mount_entry& m, const std::string& own_path) {
    hierarchy h;
    h.mount = m.mountpoint;
    h.mount_root = m.root;
    std::vector<std::string> rel;
    if (const char* root = std::getenv("LAMBENCH_CGROUP_ROOT"); root && *root) {
        std::string r = root;
        if (r.starts_with(m.mountpoint + "/")) r = r.substr(m.mountpoint.size());
        h.base = m.mountpoint;
        h.chain_is_ours = false;
        for (auto& part : split(r, '/'))
            if (!part.empty()) rel.push_back(part);
    } else {
        h.base = dir_for(m, own_path);
        rel = {"lambench", std::to_string(::getpid())};
    }
    std::string cur = h.base;
    for (auto& part : rel) {
        cur = join_path(cur, part);
        h.chain.push_back(cur);
    }
    h.parent = cur;
    return h;
}

// Creates a probe group to prove we may create groups and write the files we need. Returns
// what failed ("" when all is well), for the note describe() shows.
std::string probe(const hierarchy& h, const std::vector<std::string>& must_write) {
    std::lock_guard lock(parent_mutex);
    std::string error;
    try {
        ensure_chain(h);
        std::string dir = h.parent + "/probe-" + std::to_string(::getpid());
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
            error = "mkdir " + dir + ": " + std::strerror(errno);
        } else {
            for (const auto& f : must_write) {
                // The files we probe (cpu.max, memory.max, freezer.state, ...) echo a value
                // that is fine to write back; failure means no permission or no controller.
                auto cur = try_read_file(dir + "/" + f);
                int err = cur ? try_write_file(dir + "/" + f, *cur) : ENOENT;
                if (err != 0) {
                    error = "write " + dir + "/" + f + ": " + std::strerror(err);
                    break;
                }
            }
            ::rmdir(dir.c_str());
        }
    } catch (const std::system_error& e) {
        error = e.what();
        if (e.code().value() == EBUSY)
            error +=
                " (the group holds processes, so it may not enable controllers for "
                "children: run the service in a leaf cgroup of its own, or set "
                "LAMBENCH_CGROUP_ROOT)";
    }
    remove_chain_if_unused();
    return error;
}

// /proc/swaps has a header line, then one line per active swap area.
bool host_has_swap() {
    auto text = try_read_file("/proc/swaps").value_or("");
    return std::count(text.begin(), text.end(), '\n') > 1;
}

layout detect_v1(const std::vector<mount_entry>& mounts) {
    layout l;
    l.support.mode = cgroup_mode::v1;
    std::vector<std::string> notes;
    auto use = [&](const std::string& ctrl, const std::vector<std::string>& files) -> int {
        for (const auto& m : mounts) {
            if (std::find(m.controllers.begin(), m.controllers.end(), ctrl) == m.controllers.end())
                continue;
            for (std::size_t i = 0; i < l.hier.size(); ++i)
                if (l.hier[i].mount == m.mountpoint)
                    return probe(l.hier[i], files).empty() ? int(i) : -1;
            hierarchy h = make_hierarchy(m, own_cgroup(ctrl));
            if (auto err = probe(h, files); !err.empty()) {
                notes.push_back(ctrl + " hierarchy not usable: " + err);
                return -1;
            }
            l.hier.push_back(std::move(h));
            return static_cast<int>(l.hier.size() - 1);
        }
        return -1;
    };
    l.cpu_h = use("cpu", {"cpu.cfs_quota_us"});
    l.mem_h = use("memory", {"memory.limit_in_bytes"});
    l.frz_h = use("freezer", {"freezer.state"});
    l.support.cpu = l.cpu_h >= 0;
    l.support.memory = l.mem_h >= 0;
    l.support.freezer = l.frz_h >= 0;
    if (l.support.memory) {
        l.v1_memsw = exists(l.hier[std::size_t(l.mem_h)].mount + "/memory.memsw.limit_in_bytes");
        if (!l.v1_memsw && host_has_swap())
            notes.push_back(
                "memory.memsw missing (no swap accounting): swap only discouraged (swappiness 0)");
    }
    std::string n;
    for (auto& s : notes) n += (n.empty() ? "" : "; ") + s;
    l.support.note = n;
    for (auto& h : l.hier) l.support.parent += (l.support.parent.empty() ? "" : " ") + h.parent;
    return l;
}

layout detect_v2(const mount_entry& m) {
    layout l;
    l.support.mode = cgroup_mode::v2;
    std::vector<std::string> notes;
    auto own = own_cgroup("");
    auto available =
        split(try_read_file(dir_for(m, own) + "/cgroup.controllers").value_or(""), ' ');
    auto has = [&](const std::string& c) {
        return std::any_of(available.begin(), available.end(), [&](std::string s) {
            while (!s.empty() && s.back() == '\n') s.pop_back();
            return s == c;
        });
    };
    hierarchy h = make_hierarchy(m, own);
    for (const char* c : {"cpu", "memory"})
        if (has(c)) h.enable.emplace_back(c);
    // Prove we can set what we will set; without controllers, creating the group is the test.
    std::vector<std::string> files;
    if (has("cpu")) files.emplace_back("cpu.max");
    if (has("memory")) files.emplace_back("memory.max");
    bool ok = false;
    std::string why;
    auto try_with = [&](hierarchy cand) {
        auto err = probe(cand, files);
        if (err.empty()) {
            h = std::move(cand);
            return true;
        }
        why += (why.empty() ? "" : "; ") + err;
        return false;
    };
    ok = try_with(h);
    if (!ok && own != "/" && !std::getenv("LAMBENCH_CGROUP_ROOT")) {
        // "No internal processes": our own group holds processes, so it cannot enable
        // controllers for children. The root is exempt from that rule.
        hierarchy root = make_hierarchy(m, "/");
        root.enable = h.enable;
        ok = try_with(root);
    }
    if (!ok) {
        l.support.mode = cgroup_mode::none;
        l.support.note = "cgroup2 at " + m.mountpoint + " not usable: " + why;
        return l;
    }
    l.hier.push_back(h);
    l.cpu_h = l.mem_h = l.frz_h = 0;
    auto enabled = [&](const char* c) {
        return std::find(h.enable.begin(), h.enable.end(), c) != h.enable.end();
    };
    l.support.cpu = enabled("cpu");
    l.support.memory = enabled("memory");
    if (!l.support.cpu) l.cpu_h = -1;
    if (!l.support.memory) l.mem_h = -1;
    // Look at the files of a real child to learn what this kernel offers.
    {
        std::lock_guard lock(parent_mutex);
        try {
            ensure_chain(h);
            std::string dir = h.parent + "/probe-" + std::to_string(::getpid());
            ::mkdir(dir.c_str(), 0755);
            l.support.freezer = exists(dir + "/cgroup.freeze");
            l.v2_kill = exists(dir + "/cgroup.kill");
            l.v2_peak = exists(dir + "/memory.peak");
            l.v2_swap = exists(dir + "/memory.swap.max");
            l.v2_oom_group = exists(dir + "/memory.oom.group");
            ::rmdir(dir.c_str());
        } catch (const std::system_error&) {
        }
        remove_chain_if_unused();
    }
    if (!l.support.freezer) l.frz_h = -1;
    if (!l.support.cpu) notes.push_back("cpu controller not available in " + m.mountpoint);
    if (!l.support.memory) notes.push_back("memory controller not available in " + m.mountpoint);
    if (l.support.memory && !l.v2_peak)
        notes.push_back(
            "memory.peak missing: Max Memory Used is polled from memory.current every 10 ms");
    if (l.support.memory && !l.v2_swap && host_has_swap())
        notes.push_back("memory.swap.max missing: swap not capped");
    std::string n;
    for (auto& s : notes) n += (n.empty() ? "" : "; ") + s;
    l.support.note = n;
    l.support.parent = h.parent;
    return l;
}

// Groups left by a service instance that died without cleaning up ("lambench/<pid>" whose pid
// is gone): kill what still runs in them and remove them, so a crash does not leak sandboxes.
// A pid that exists again (reused) is left alone.
void reap_stale(const hierarchy& h) {
    if (!h.chain_is_ours || h.chain.empty()) return;
    const std::string& shared = h.chain.front();  // base/lambench
    DIR* d = ::opendir(shared.c_str());
    if (!d) return;
    std::vector<std::string> stale;
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n.empty() ||
            !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
            continue;
        if (exists("/proc/" + n)) continue;
        stale.push_back(shared + "/" + n);
    }
    ::closedir(d);
    for (const auto& parent : stale) {
        DIR* pd = ::opendir(parent.c_str());
        if (!pd) continue;
        std::vector<std::string> groups;
        while (dirent* e = ::readdir(pd))
            if (e->d_type == DT_DIR && e->d_name[0] != '.')
                groups.push_back(parent + "/" + e->d_name);
        ::closedir(pd);
        for (const auto& g : groups) {
            for (int round = 0; round < 100; ++round) {
                auto pids = parse_pids(try_read_file(g + "/cgroup.procs").value_or(""));
                if (pids.empty()) break;
                for (pid_t p : pids) ::kill(p, SIGKILL);
                try_write_file(g + "/cgroup.kill", "1");
                try_write_file(g + "/freezer.state", "THAWED");  // v1: frozen tasks ignore SIGKILL
                try_write_file(g + "/cgroup.freeze", "0");
                std::this_thread::sleep_for(1ms);
            }
            ::rmdir(g.c_str());
        }
        ::rmdir(parent.c_str());
    }
}

layout detect() {
    layout none;
    none.support.mode = cgroup_mode::none;
    std::string want = "auto";
    if (const char* e = std::getenv("LAMBENCH_CGROUPS"); e && *e) want = e;
    if (want == "off" || want == "none" || want == "0") {
        none.support.note = "disabled by LAMBENCH_CGROUPS=" + want;
        return none;
    }
    if (want != "auto" && want != "v1" && want != "v2") {
        none.support.note =
            "LAMBENCH_CGROUPS=" + want + " not understood (use auto, v1, v2 or off)";
        return none;
    }
    auto v1 = cgroup_mounts(false);
    auto v2 = cgroup_mounts(true);
    auto v2_has_controllers = [&] {
        if (v2.empty()) return false;
        auto text = try_read_file(dir_for(v2[0], own_cgroup("")) + "/cgroup.controllers");
        return text && text->find("memory") != std::string::npos &&
               text->find("cpu") != std::string::npos;
    };
    layout result = none;
    std::string why;
    if (want == "v2" || (want == "auto" && v2_has_controllers())) {
        if (v2.empty()) {
            why = "no cgroup2 mount";
        } else {
            result = detect_v2(v2[0]);
            if (result.support.mode == cgroup_mode::none) why = result.support.note;
        }
    } else if (!v1.empty()) {
        result = detect_v1(v1);
        if (!result.support.cpu && !result.support.memory && !result.support.freezer) {
            why = result.support.note.empty() ? "no writable cgroup v1 hierarchy"
                                              : result.support.note;
            result = none;
        }
        // A hybrid host whose v1 hierarchies are read-only may still offer a writable cgroup2.
        if (result.support.mode == cgroup_mode::none && want == "auto" && !v2.empty()) {
            layout alt = detect_v2(v2[0]);
            if (alt.support.mode != cgroup_mode::none) result = std::move(alt);
        }
    } else if (want == "auto" && !v2.empty()) {
        result = detect_v2(v2[0]);
        if (result.support.mode == cgroup_mode::none) why = result.support.note;
    } else {
        why = "no cgroup v1 hierarchy mounted";
    }
    if (result.support.mode != cgroup_mode::none && !result.support.cpu && !result.support.memory &&
        !result.support.freezer) {
        why = result.support.note;  // a group we can create but not control is no use
        result = none;
    }
    if (result.support.mode == cgroup_mode::none) {
        result.support.note = why.empty() ? "no usable cgroup mount" : why;
    }
    result.period_us = cpu_period_us();
    return result;
}

void reap_stale_in(const layout& l) {
    // Freezer first: a v1-frozen task dies only once thawed, and only then leaves the other
    // hierarchies' groups empty enough to remove.
    if (l.frz_h >= 0) reap_stale(l.hier[static_cast<std::size_t>(l.frz_h)]);
    for (std::size_t i = 0; i < l.hier.size(); ++i)
        if (static_cast<int>(i) != l.frz_h) reap_stale(l.hier[i]);
}

const layout& the_layout() {
    static const layout l = [] {
        layout d = detect();
        reap_stale_in(d);
        return d;
    }();
    return l;
}

bool is_group_leader(pid_t pid) {
    return ::getpgid(pid) == pid;
}

// SIGSTOP/SIGCONT/SIGKILL a member: the whole process group when it leads one (child_process
// makes every sandbox a group leader), so grandchildren are reached too.
void signal_member(pid_t pid, int sig, bool whole_group) {
    if (whole_group && is_group_leader(pid)) {
        ::kill(-pid, sig);
    } else {
        ::kill(pid, sig);
    }
}

// A stopped process shows state 'T' (or 't') in /proc/<pid>/stat; gone or zombie counts as done.
bool is_stopped_or_gone(pid_t pid) {
    auto stat = try_read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return true;
    auto close = stat->rfind(')');
    if (close == std::string::npos || close + 2 >= stat->size()) return true;
    char st = (*stat)[close + 2];
    return st == 'T' || st == 't' || st == 'Z' || st == 'X';
}

bool alive(pid_t pid) {
    auto stat = try_read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return false;
    auto close = stat->rfind(')');
    if (close == std::string::npos || close + 2 >= stat->size()) return false;
    char st = (*stat)[close + 2];
    return st != 'Z' && st != 'X';
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::string cgroup_support::describe() const {
    std::string s;
    if (mode == cgroup_mode::none) {
        s = "cgroups unavailable";
        if (!note.empty()) s += " (" + note + ")";
        s += ": CPU share, memory cap and Max Memory Used are off; freeze uses SIGSTOP/SIGCONT";
        return s;
    }
    s = mode == cgroup_mode::v1 ? "cgroup v1 (" : "cgroup v2 (";
    std::string on, off;
    auto add = [](std::string& list, const char* what) {
        list += (list.empty() ? "" : ", ") + std::string(what);
    };
    if (cpu)
        add(on, "cpu");
    else
        add(off, "CPU share");
    if (memory)
        add(on, "memory");
    else
        add(off, "memory cap and Max Memory Used");
    if (freezer)
        add(on, "freezer");
    else
        add(off, "freezer (SIGSTOP/SIGCONT instead)");
    s += on + ")";
    if (!off.empty()) s += "; off: " + off;
    if (!note.empty()) s += "; " + note;
    return s;
}

const cgroup_support& detect_cgroups() {
    return the_layout().support;
}

int host_cpu_count() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
}

void make_killable(pid_t pid) noexcept {
    try {
        const layout& lay = the_layout();
        if (lay.support.mode != cgroup_mode::v1 || lay.frz_h < 0 || pid <= 0) return;
        const hierarchy& h = lay.hier[static_cast<std::size_t>(lay.frz_h)];
        auto text = try_read_file("/proc/" + std::to_string(pid) + "/cgroup");
        if (!text) return;
        std::istringstream in(*text);
        std::string line;
        while (std::getline(in, line)) {
            auto a = line.find(':');
            auto b = line.find(':', a + 1);
            if (a == std::string::npos || b == std::string::npos) continue;
            auto ctrls = split(line.substr(a + 1, b - a - 1), ',');
            if (std::find(ctrls.begin(), ctrls.end(), "freezer") == ctrls.end()) continue;
            std::string dir = dir_for(mount_entry{h.mount_root, h.mount, {}}, line.substr(b + 1));
            // Only our own groups: never thaw something another program froze.
            if (!dir.starts_with(h.parent + "/")) return;
            auto state = try_read_file(dir + "/freezer.state").value_or("");
            if (!state.starts_with("THAWED")) try_write_file(dir + "/freezer.state", "THAWED");
            return;
        }
    } catch (...) {
    }
}

void reap_stale_groups() {
    const layout& l = the_layout();  // before locking: detection takes the lock itself
    std::lock_guard lock(parent_mutex);
    reap_stale_in(l);
}

double cpu_share_for_memory(int memory_mb) {
    if (memory_mb <= 0) throw std::invalid_argument("memory size must be positive");
    return std::min(static_cast<double>(memory_mb) / mb_per_vcpu,
                    static_cast<double>(host_cpu_count()));
}

struct resource_group::impl {
    // One sandbox's group is driven from more than one thread (invoke path, reaper, timeouts).
    mutable std::mutex mu;
    std::string name;
    int memory_mb = 0;
    const layout* lay = nullptr;
    std::vector<std::string> dirs;  // parallel to lay->hier
    std::vector<pid_t> tracked;     // pids added/noted, for the fallback
    bool frozen = false;
    bool signal_stopped = false;                         // frozen with SIGSTOP (fallback)
    mutable std::atomic<std::uint64_t> sampled_peak{0};  // without memory.peak only

    std::string file(int h, const char* name_) const {
        return dirs[static_cast<std::size_t>(h)] + "/" + name_;
    }
    void track(pid_t pid);

    void record_usage(std::uint64_t v) const {
        auto seen = sampled_peak.load();
        while (v > seen && !sampled_peak.compare_exchange_weak(seen, v)) {
        }
    }
    // Kernels before 5.19 have no memory.peak: poll memory.current instead (10 ms), so
    // Max Memory Used misses at most a spike shorter than that.
    void start_poller() {
        poller = std::jthread([this](std::stop_token st) {
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            const auto current = file(0, "memory.current");
            while (!cv.wait_for(lock, st, 10ms, [&] { return st.stop_requested(); })) {
                if (auto text = try_read_file(current)) record_usage(parse_u64(*text));
            }
        });
    }
    std::jthread poller;  // declared last: stops (and joins) before the rest goes
    bool cgroups() const { return !dirs.empty(); }

    std::vector<pid_t> members() const {
        if (cgroups()) {
            std::vector<pid_t> all;
            // v1 hierarchies should agree; union them so a straggler in one is not missed.
            for (const auto& d : dirs) {
                auto text = try_read_file(d + "/cgroup.procs");
                if (!text) continue;
                for (pid_t p : parse_pids(*text))
                    if (std::find(all.begin(), all.end(), p) == all.end()) all.push_back(p);
            }
            return all;
        }
        std::vector<pid_t> out;
        for (pid_t p : tracked)
            if (alive(p)) out.push_back(p);
        return out;
    }

    void signal_all(int sig) {
        if (cgroups()) {
            for (pid_t p : members()) ::kill(p, sig);
        } else {
            for (pid_t p : members()) signal_member(p, sig, true);
        }
    }

    void kill_members() {
        if (!cgroups()) {
            signal_all(SIGKILL);
            return;
        }
        if (lay->support.mode == cgroup_mode::v2 && lay->v2_kill) {
            write_file(file(0, "cgroup.kill"), "1");
            return;
        }
        // Freeze first so nothing can fork while we kill, then thaw so the kills take effect.
        bool use_freezer = lay->frz_h >= 0;
        if (use_freezer) freeze_cgroup();
        for (pid_t p : members()) ::kill(p, SIGKILL);
        if (use_freezer) thaw_cgroup();
        if (signal_stopped) {
            for (pid_t p : members()) ::kill(p, SIGCONT);
        }
    }

    void freeze_cgroup() {
        if (lay->support.mode == cgroup_mode::v1) {
            auto state = file(lay->frz_h, "freezer.state");
            write_file(state, "FROZEN");
            auto deadline = steady::now() + 5s;
            auto last_write = steady::now();
            auto pause = 50us;
            for (;;) {
                auto s = read_file(state);
                if (s.starts_with("FROZEN")) return;
                if (steady::now() > deadline)
                    throw std::runtime_error("freeze " + state + ": still " + s + " after 5 s");
                std::this_thread::sleep_for(pause);
                pause = std::min<std::chrono::microseconds>(pause * 2, 2ms);
                // A v1 freeze attempt can stall on a task in an uninterruptible sleep;
                // writing FROZEN again retries it.
                if (steady::now() - last_write > 20ms) {
                    write_file(state, "FROZEN");
                    last_write = steady::now();
                }
            }
        } else {
            write_file(file(0, "cgroup.freeze"), "1");
            auto events = file(0, "cgroup.events");
            auto deadline = steady::now() + 5s;
            auto pause = 50us;
            for (;;) {
                if (keyed_value(read_file(events), "frozen").value_or(0) == 1) return;
                if (steady::now() > deadline)
                    throw std::runtime_error("freeze " + events + ": not frozen after 5 s");
                std::this_thread::sleep_for(pause);
                pause = std::min<std::chrono::microseconds>(pause * 2, 2ms);
            }
        }
    }

    void thaw_cgroup() {
        if (lay->support.mode == cgroup_mode::v1)
            write_file(file(lay->frz_h, "freezer.state"), "THAWED");
        else
            write_file(file(0, "cgroup.freeze"), "0");
    }

    void freeze_signals() {
        auto pids = members();
        for (pid_t p : pids) signal_member(p, SIGSTOP, !cgroups());
        signal_stopped = true;
        // SIGSTOP is asynchronous; wait until every member reports stopped.
        auto deadline = steady::now() + 2s;
        for (pid_t p : pids) {
            while (!is_stopped_or_gone(p) && steady::now() < deadline)
                std::this_thread::sleep_for(100us);
        }
    }

    void thaw_signals() {
        for (pid_t p : members()) signal_member(p, SIGCONT, !cgroups());
        signal_stopped = false;
    }

    // Kill everything, wait until the groups are empty, remove them.
    void destroy() noexcept {
        if (poller.joinable()) {
            poller.request_stop();
            poller.join();
        }
        try {
            auto deadline = steady::now() + 5s;
            do {
                try {
                    kill_members();
                } catch (const std::exception&) {
                }
                if (members().empty()) break;
                std::this_thread::sleep_for(1ms);
            } while (steady::now() < deadline);
        } catch (...) {
        }
        for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
            // rmdir fails with EBUSY while a killed member is still exiting.
            auto deadline = steady::now() + 2s;
            while (::rmdir(it->c_str()) != 0 && errno == EBUSY && steady::now() < deadline)
                std::this_thread::sleep_for(1ms);
        }
        std::lock_guard lock(parent_mutex);
        if (--live_groups == 0) remove_chain_if_unused();
    }
};

resource_group::resource_group(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
resource_group::resource_group(resource_group&&) noexcept = default;
resource_group& resource_group::operator=(resource_group&& o) noexcept {
    if (this != &o) {
        if (impl_) impl_->destroy();
        impl_ = std::move(o.impl_);
    }
    return *this;
}
resource_group::~resource_group() {
    if (impl_) impl_->destroy();
}

resource_group resource_group::create(const std::string& name, int memory_mb) {
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\n') != std::string::npos)
        throw std::invalid_argument("resource_group name must be a plain file name: '" + name +
                                    "'");
    if (memory_mb <= 0) throw std::invalid_argument("resource_group memory size must be positive");
    const layout& lay = the_layout();
    auto p = std::make_unique<impl>();
    p->name = name;
    p->memory_mb = memory_mb;
    p->lay = &lay;
    {
        std::lock_guard lock(parent_mutex);
        ++live_groups;
    }
    resource_group g(std::move(p));  // from here on the destructor cleans up
    if (lay.support.mode == cgroup_mode::none) return g;
    {
        std::lock_guard lock(parent_mutex);
        for (const auto& h : lay.hier) {
            ensure_chain(h);
            std::string dir = h.parent + "/" + name;
            if (::mkdir(dir.c_str(), 0755) != 0) throw_errno("mkdir " + dir, errno);
            g.impl_->dirs.push_back(dir);
        }
    }
    auto bytes = std::to_string(static_cast<std::uint64_t>(memory_mb) * 1024 * 1024);
    if (lay.mem_h >= 0) {
        if (lay.support.mode == cgroup_mode::v1) {
            write_file(g.impl_->file(lay.mem_h, "memory.limit_in_bytes"), bytes);
            // memsw = memory + swap; equal to the memory limit means no swap at all.
            if (lay.v1_memsw)
                write_file(g.impl_->file(lay.mem_h, "memory.memsw.limit_in_bytes"), bytes);
            else  // best effort: keeps the group's pages in RAM where swap is not accounted
                try_write_file(g.impl_->file(lay.mem_h, "memory.swappiness"), "0");
        } else {
            write_file(g.impl_->file(0, "memory.max"), bytes);
            if (lay.v2_swap) write_file(g.impl_->file(0, "memory.swap.max"), "0");
            // An OOM ends the whole sandbox, as on Lambda, not just the largest process in it.
            if (lay.v2_oom_group) write_file(g.impl_->file(0, "memory.oom.group"), "1");
        }
    }
    // Default to the proportional share; the service lifts it for init_cpu = "full".
    g.set_cpu_share(cpu_share_for_memory(memory_mb));
    if (lay.support.mode == cgroup_mode::v2 && lay.mem_h >= 0 && !lay.v2_peak)
        g.impl_->start_poller();
    return g;
}

void resource_group::add_process(pid_t pid) {
    std::lock_guard lock(impl_->mu);
    if (pid <= 0) throw std::invalid_argument("add_process: bad pid " + std::to_string(pid));
    for (const auto& d : impl_->dirs) write_file(d + "/cgroup.procs", std::to_string(pid));
    impl_->track(pid);
}

void resource_group::note_member(pid_t pid) {
    std::lock_guard lock(impl_->mu);
    impl_->track(pid);
}

void resource_group::impl::track(pid_t pid) {
    auto& t = tracked;
    // Forget pids that are gone so a long-lived group does not grow the list forever.
    t.erase(std::remove_if(t.begin(), t.end(), [](pid_t p) { return !alive(p); }), t.end());
    if (std::find(t.begin(), t.end(), pid) == t.end()) t.push_back(pid);
}

std::vector<std::string> resource_group::join_files() const {
    std::vector<std::string> out;
    for (const auto& d : impl_->dirs) out.push_back(d + "/cgroup.procs");
    return out;
}

void resource_group::set_cpu_share(double cpus) {
    std::lock_guard lock(impl_->mu);
    const layout& lay = *impl_->lay;
    if (lay.cpu_h < 0) return;
    long period = lay.period_us;
    long quota = -1;
    if (cpus > 0) {
        cpus = std::min(cpus, static_cast<double>(host_cpu_count()));
        period =
            std::clamp(std::max(period, std::lround(std::ceil(double(min_cpu_quota_us) / cpus))),
                       min_cpu_quota_us, max_cpu_period_us);
        quota = std::max(min_cpu_quota_us, std::lround(cpus * static_cast<double>(period)));
    }
    if (lay.support.mode == cgroup_mode::v1) {
        // Period first: a quota is validated against the current period.
        write_file(impl_->file(lay.cpu_h, "cpu.cfs_period_us"), std::to_string(period));
        write_file(impl_->file(lay.cpu_h, "cpu.cfs_quota_us"), std::to_string(quota));
    } else {
        write_file(impl_->file(0, "cpu.max"),
                   (quota < 0 ? std::string("max") : std::to_string(quota)) + " " +
                       std::to_string(period));
    }
}

// freeze() and thaw() act even when the flag says there is nothing to do: make_killable may
// have thawed the group behind our back, and writing the state again costs microseconds.
void resource_group::freeze() {
    // Without memory.peak, the end of each invocation is a good moment to sample the usage.
    if (impl_->lay->support.mode == cgroup_mode::v2 && !impl_->lay->v2_peak &&
        impl_->lay->mem_h >= 0)
        memory_current_bytes();
    std::lock_guard lock(impl_->mu);
    if (impl_->lay->frz_h >= 0 && impl_->cgroups())
        impl_->freeze_cgroup();
    else
        impl_->freeze_signals();
    impl_->frozen = true;
}

void resource_group::thaw() {
    std::lock_guard lock(impl_->mu);
    if (impl_->lay->frz_h >= 0 && impl_->cgroups())
        impl_->thaw_cgroup();
    else
        impl_->thaw_signals();
    impl_->frozen = false;
}

bool resource_group::frozen() const {
    std::lock_guard lock(impl_->mu);
    return impl_->frozen;
}

std::uint64_t resource_group::memory_current_bytes() const {
    const layout& lay = *impl_->lay;
    if (lay.mem_h < 0) return 0;
    auto v = parse_u64(read_file(impl_->file(lay.mem_h, lay.support.mode == cgroup_mode::v1
                                                            ? "memory.usage_in_bytes"
                                                            : "memory.current")));
    impl_->record_usage(v);
    return v;
}

std::uint64_t resource_group::memory_peak_bytes() const {
    const layout& lay = *impl_->lay;
    if (lay.mem_h < 0) return 0;
    if (lay.support.mode == cgroup_mode::v1)
        return parse_u64(read_file(impl_->file(lay.mem_h, "memory.max_usage_in_bytes")));
    if (lay.v2_peak) return parse_u64(read_file(impl_->file(0, "memory.peak")));
    memory_current_bytes();  // no memory.peak: the best we have is the largest value seen
    return impl_->sampled_peak.load();
}

bool resource_group::oom_killed() const {
    const layout& lay = *impl_->lay;
    if (lay.mem_h < 0) return false;
    if (lay.support.mode == cgroup_mode::v2)
        return keyed_value(read_file(impl_->file(0, "memory.events")), "oom_kill").value_or(0) > 0;
    auto oc = read_file(impl_->file(lay.mem_h, "memory.oom_control"));
    if (auto v = keyed_value(oc, "oom_kill")) return *v > 0;
    // Kernels before 4.13 lack the oom_kill counter; hitting the limit is the closest sign.
    return parse_u64(read_file(impl_->file(lay.mem_h, "memory.failcnt"))) > 0;
}

void resource_group::kill_all() {
    std::lock_guard lock(impl_->mu);
    impl_->kill_members();
    // Leave the group thawed and empty, ready to take a fresh process (a v2 group stays frozen
    // after cgroup.kill otherwise, and would freeze the next member on arrival).
    if (impl_->frozen && impl_->cgroups() && impl_->lay->frz_h >= 0) impl_->thaw_cgroup();
    impl_->frozen = false;
    impl_->signal_stopped = false;
    // Wait briefly so callers can rely on "no member runs any more" afterwards.
    auto deadline = steady::now() + 2s;
    while (steady::now() < deadline) {
        auto m = impl_->members();
        if (m.empty()) break;
        bool any_alive = std::any_of(m.begin(), m.end(), alive);
        if (!any_alive) break;
        std::this_thread::sleep_for(500us);
    }
}

const cgroup_support& resource_group::support() const {
    return impl_->lay->support;
}
const std::string& resource_group::name() const {
    return impl_->name;
}
int resource_group::memory_mb() const {
    return impl_->memory_mb;
}
std::vector<pid_t> resource_group::members() const {
    std::lock_guard lock(impl_->mu);
    return impl_->members();
}
std::vector<std::string> resource_group::paths() const {
    return impl_->dirs;
}

}  // namespace lambench::service
