// Where this host's cgroups are and how we may use them: mountinfo parsing, v1/v2/hybrid
// detection with probe groups, the per-service parent chain our groups live under, and the
// reaping of groups left behind by dead service instances. Internal to the service; the public
// face is detect_cgroups() and reap_stale_groups() in resources.hpp.
//
// Layout: every group lives under a per-service parent "<own cgroup>/lambench/<service pid>" in
// each hierarchy we use (or under LAMBENCH_CGROUP_ROOT). Using our own cgroup as the base keeps
// sandboxes inside whatever accounting the service itself is under, instead of escaping to the
// root. The parent is created on demand and removed when the last group of this process goes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resources.hpp"

namespace lambench::service::cgroup {

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

// One cgroup mount from /proc/self/mountinfo.
struct mount_entry {
    std::string root;                      // root of the mount inside the hierarchy
    std::string mountpoint;                // where it is mounted
    std::vector<std::string> controllers;  // v1 only
};

// The cgroup mounts in a mountinfo text: v2 = the cgroup2 mounts; otherwise the cgroup (v1)
// mounts that carry cpu, memory or freezer (controllers lists which of the three).
std::vector<mount_entry> parse_mountinfo(std::string_view mountinfo, bool v2);

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mount(std::string_view s);

// The cgroup path of `controller` in a /proc/<pid>/cgroup text ("hierarchy-id:controllers:path"
// lines); controller "" means the v2 line (id 0, no controllers). nullopt when there is none.
std::optional<std::string> cgroup_path_in(std::string_view proc_cgroup,
                                          const std::string& controller);

// Directory of the cgroup at `cg_path` (as /proc/<pid>/cgroup names it) in a mount.
std::string dir_for(const mount_entry& m, std::string cg_path);

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

// What detection found: the public summary plus what the resource group needs.
struct layout {
    cgroup_support support;
    std::vector<hierarchy> hier;             // v2: one; v1: distinct hierarchies in use
    int cpu_h = -1, mem_h = -1, frz_h = -1;  // index into hier of each controller, -1 = off
    bool v1_memsw = false;
    bool v2_peak = false, v2_swap = false, v2_kill = false, v2_oom_group = false;
    long period_us = default_cpu_period_us;
};

// Detects once (and reaps stale groups then); the same object for the life of the process.
const layout& the_layout();

// Kills and removes groups of dead service instances under each hierarchy (the freezer's
// first); takes the parent lock.
void reap_stale(const layout& l);

// The parent chain, shared by every group of this process.
// register_group() counts a live group; unregister_group() uncounts it and, when it was the
// last, removes the chain directories that are empty by now.
void register_group();
void unregister_group();
// Creates <parent>/<name> in each hierarchy (creating the parent chain first), appending each
// directory to `dirs` as it is made, so a caller can clean up after a throw. Throws
// std::system_error "mkdir <dir>" (or "write <file>" when enabling v2 controllers fails).
void make_group_dirs(const layout& l, const std::string& name, std::vector<std::string>& dirs);

}  // namespace lambench::service::cgroup
