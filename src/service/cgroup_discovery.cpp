#include "cgroup_discovery.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>
#include <utility>

#include "cgroup_fs.hpp"

namespace lambench::service::cgroup {

namespace {

using namespace std::chrono_literals;

// ---- The parent chain ------------------------------------------------------------------------

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

// v1 freezer: since Linux 6.1 the first frozen group in the system switches a static key on
// (freezer_active) and thawing the last one switches it off again; each switch patches kernel
// text and took 10-20 ms here, on the service's event loop, for every freeze and every thaw of
// a lone sandbox. An empty group kept frozen while this process has sandboxes holds the key on,
// so a sandbox's freeze or thaw costs tens of microseconds. Removed with the parent chain.
std::string freezer_anchor;

void ensure_freezer_anchor(const hierarchy& h) {
    if (!freezer_anchor.empty()) return;
    std::string dir = h.parent + "/freezer-anchor";
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return;  // only an optimisation
    freezer_anchor = dir;
    try_write_file(dir + "/freezer.state", "FROZEN");
}

// Removes the directories we created, innermost first, if they are empty by now.
void remove_chain_if_unused() {
    if (!freezer_anchor.empty()) {
        try_write_file(freezer_anchor + "/freezer.state", "THAWED");
        ::rmdir(freezer_anchor.c_str());
        freezer_anchor.clear();
    }
    for (auto it = created_dirs.rbegin(); it != created_dirs.rend(); ++it) ::rmdir(it->c_str());
    created_dirs.erase(std::remove_if(created_dirs.begin(), created_dirs.end(),
                                      [](const std::string& d) { return !exists(d); }),
                       created_dirs.end());
}

// ---- Detection -------------------------------------------------------------------------------

long cpu_period_us() {
    if (const char* e = std::getenv("LAMBENCH_CPU_PERIOD_US")) {
        long v = std::strtol(e, nullptr, 10);
        if (v >= 1000 && v <= 1'000'000) return v;
    }
    return default_cpu_period_us;
}

// A /proc/self file, read through an ifstream ("" when it cannot be opened).
std::string slurp(const char* path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::vector<mount_entry> cgroup_mounts(bool v2) {
    return parse_mountinfo(slurp("/proc/self/mountinfo"), v2);
}

// Our own cgroup for `controller` ("" = v2), "/" when /proc/self/cgroup does not name one.
std::string own_cgroup(const std::string& controller) {
    return cgroup_path_in(slurp("/proc/self/cgroup"), controller).value_or("/");
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

// ---- Reaping ---------------------------------------------------------------------------------

// Groups left by a service instance that died without cleaning up ("lambench/<pid>" whose pid
// is gone): kill what still runs in them and remove them, so a crash does not leak sandboxes.
// A pid that exists again (reused) is left alone.
void reap_hierarchy(const hierarchy& h) {
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
                auto pids = read_procs(g);
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

void reap_stale_in(const layout& l) {
    // Freezer first: a v1-frozen task dies only once thawed, and only then leaves the other
    // hierarchies' groups empty enough to remove.
    if (l.frz_h >= 0) reap_hierarchy(l.hier[static_cast<std::size_t>(l.frz_h)]);
    for (std::size_t i = 0; i < l.hier.size(); ++i)
        if (static_cast<int>(i) != l.frz_h) reap_hierarchy(l.hier[i]);
}

}  // namespace

// ---- Pure parsing ----------------------------------------------------------------------------

std::vector<mount_entry> parse_mountinfo(std::string_view mountinfo, bool v2) {
    std::vector<mount_entry> out;
    std::istringstream in{std::string(mountinfo)};
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

std::optional<std::string> cgroup_path_in(std::string_view proc_cgroup,
                                          const std::string& controller) {
    std::istringstream in{std::string(proc_cgroup)};
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
    return std::nullopt;
}

std::string dir_for(const mount_entry& m, std::string cg_path) {
    if (m.root != "/" && cg_path.starts_with(m.root)) cg_path = cg_path.substr(m.root.size());
    return join_path(m.mountpoint, cg_path);
}

// ---- The layout and the parent chain ---------------------------------------------------------

const layout& the_layout() {
    static const layout l = [] {
        layout d = detect();
        reap_stale_in(d);
        return d;
    }();
    return l;
}

void reap_stale(const layout& l) {
    std::lock_guard lock(parent_mutex);
    reap_stale_in(l);
}

void register_group() {
    std::lock_guard lock(parent_mutex);
    ++live_groups;
}

void unregister_group() {
    std::lock_guard lock(parent_mutex);
    if (--live_groups == 0) remove_chain_if_unused();
}

void make_group_dirs(const layout& l, const std::string& name, std::vector<std::string>& dirs) {
    std::lock_guard lock(parent_mutex);
    for (std::size_t i = 0; i < l.hier.size(); ++i) {
        const hierarchy& h = l.hier[i];
        ensure_chain(h);
        if (l.support.mode == cgroup_mode::v1 && static_cast<int>(i) == l.frz_h)
            ensure_freezer_anchor(h);
        std::string dir = h.parent + "/" + name;
        if (::mkdir(dir.c_str(), 0755) != 0) throw_errno("mkdir " + dir, errno);
        dirs.push_back(dir);
    }
}

}  // namespace lambench::service::cgroup
