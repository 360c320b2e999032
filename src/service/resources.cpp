// Lambda's resource model on Linux cgroups (v1 and v2) with a signal-based fallback: the free
// functions of resources.hpp. The rest lives by concern:
//   cgroup_fs.*            control-file and /proc helpers;
//   cgroup_discovery.*     mountinfo, v1/v2/hybrid detection, the parent chain, stale groups;
//   resource_group*.*      resource_group, with one backend per mode (signal, v1, v2).
#include "resources.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include "cgroup_discovery.hpp"
#include "cgroup_fs.hpp"

namespace lambench::service {

namespace {

// 1,769 MB of memory buys one vCPU on Lambda.
constexpr double mb_per_vcpu = 1769.0;

}  // namespace

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
    return cgroup::the_layout().support;
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
        const cgroup::layout& lay = cgroup::the_layout();
        if (lay.support.mode != cgroup_mode::v1 || lay.frz_h < 0 || pid <= 0) return;
        const cgroup::hierarchy& h = lay.hier[static_cast<std::size_t>(lay.frz_h)];
        auto text = cgroup::try_read_file("/proc/" + std::to_string(pid) + "/cgroup");
        if (!text) return;
        auto path = cgroup::cgroup_path_in(*text, "freezer");
        if (!path) return;
        std::string dir = cgroup::dir_for(cgroup::mount_entry{h.mount_root, h.mount, {}}, *path);
        // Only our own groups: never thaw something another program froze.
        if (!dir.starts_with(h.parent + "/")) return;
        auto state = cgroup::try_read_file(dir + "/freezer.state").value_or("");
        if (!state.starts_with("THAWED")) cgroup::try_write_file(dir + "/freezer.state", "THAWED");
    } catch (...) {
    }
}

void reap_stale_groups() {
    const cgroup::layout& l = cgroup::the_layout();  // before locking: detection takes the lock
    cgroup::reap_stale(l);
}

double cpu_share_for_memory(int memory_mb) {
    if (memory_mb <= 0) throw std::invalid_argument("memory size must be positive");
    return std::min(static_cast<double>(memory_mb) / mb_per_vcpu,
                    static_cast<double>(host_cpu_count()));
}

}  // namespace lambench::service
