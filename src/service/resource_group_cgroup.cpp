// What the v1 and v2 backends share: members from cgroup.procs, the cgroup freezer when the
// layout has one (else SIGSTOP/SIGCONT to each member, not to its process group: the members
// are exactly the group's processes), and killing by freezing, SIGKILL, thawing.
#include <signal.h>

#include <algorithm>

#include "cgroup_fs.hpp"
#include "resource_group.hpp"

namespace lambench::service::backend {

std::vector<pid_t> cgroup_backend::members() const {
    std::vector<pid_t> all;
    // v1 hierarchies should agree; union them so a straggler in one is not missed.
    for (const auto& d : s_.dirs) {
        for (pid_t p : cgroup::read_procs(d))
            if (std::find(all.begin(), all.end(), p) == all.end()) all.push_back(p);
    }
    return all;
}

void cgroup_backend::freeze() {
    if (has_freezer())
        freeze_cgroup();
    else
        freeze_with_signals(s_, members(), false);
}

void cgroup_backend::request_freeze() {
    if (has_freezer())
        request_freeze_cgroup();
    else
        freeze_with_signals(s_, members(), false);
}

void cgroup_backend::thaw() {
    if (has_freezer())
        thaw_cgroup();
    else
        thaw_with_signals(s_, members(), false);
}

void cgroup_backend::kill_members() {
    // Freeze first so nothing can fork while we kill, then thaw so the kills take effect.
    bool use_freezer = has_freezer();
    if (use_freezer) freeze_cgroup();
    for (pid_t p : members()) ::kill(p, SIGKILL);
    if (use_freezer) thaw_cgroup();
    if (s_.signal_stopped) {
        for (pid_t p : members()) ::kill(p, SIGCONT);
    }
}

void cgroup_backend::thaw_after_kill() {
    if (has_freezer()) thaw_cgroup();
}

}  // namespace lambench::service::backend
