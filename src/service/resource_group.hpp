// Inside resource_group (declared in resources.hpp): one backend per mode behind a small
// interface, so the public methods hold the locking and the flow, and each backend the files
// and signals of its mode:
//   - signal (resource_group_signal.cpp): no cgroups; freeze = SIGSTOP, kill = killpg of the
//     tracked members' process groups, no memory figures;
//   - v1 and v2 (resource_group_v1.cpp, resource_group_v2.cpp) over a shared cgroup part
//     (resource_group_cgroup.cpp): members from cgroup.procs; the cgroup freezer when there is
//     one, else SIGSTOP/SIGCONT to each member.
// A group starts on the signal backend and moves to its mode's backend once all its directories
// exist, so a group whose creation failed half-way (made in one v1 hierarchy, not the next) is
// cleaned up without reaching for a directory it does not have.
// Internal to the service.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cgroup_discovery.hpp"

namespace lambench::service::backend {

// What a backend acts on, owned by the resource_group. Guarded by the group's mutex where the
// public method takes it (see resources.hpp).
struct group_state {
    const cgroup::layout* lay = nullptr;
    std::vector<std::string> dirs;  // parallel to lay->hier; empty without cgroups
    std::vector<pid_t> tracked;     // pids added/noted, for the fallback
    bool signal_stopped = false;    // frozen with SIGSTOP (fallback)

    // <dir of hierarchy h>/<name>
    std::string file(int h, const char* name) const {
        return dirs[static_cast<std::size_t>(h)] + "/" + name;
    }
};

class group_backend {
  public:
    explicit group_backend(group_state& s) : s_(s) {}
    virtual ~group_backend() = default;
    group_backend(const group_backend&) = delete;
    group_backend& operator=(const group_backend&) = delete;

    // At creation, when memory accounting is on: the hard cap of `bytes`, with no swap.
    virtual void limit_memory(const std::string& bytes) = 0;
    // When the CPU controller is on: quota_us per period_us (quota < 0: unlimited).
    virtual void limit_cpu(long period_us, long quota_us) = 0;
    // At the end of creation, after the limits; stop() before destruction (never throws).
    virtual void start() {}
    virtual void stop() noexcept {}

    virtual std::vector<pid_t> members() const = 0;
    // Called by resource_group::freeze() before it takes the group's lock.
    virtual void before_freeze() {}
    // Return once every member is frozen (or stopped, or gone).
    virtual void freeze() = 0;
    // Ask for the freeze and return at once (thaw() is valid at any point after); backends
    // without an asynchronous freezer freeze as freeze() does.
    virtual void request_freeze() { freeze(); }
    virtual void thaw() = 0;
    // SIGKILL every member (cgroup.kill where there is one); does not wait.
    virtual void kill_members() = 0;
    // After kill_members() on a frozen group: leave the group thawed for the next member.
    virtual void thaw_after_kill() {}
    // When memory accounting is on.
    virtual std::uint64_t memory_current() const = 0;
    virtual std::uint64_t memory_peak() const = 0;
    virtual bool oom_killed() const = 0;

  protected:
    group_state& s_;
};

std::unique_ptr<group_backend> make_signal_backend(group_state& s);
std::unique_ptr<group_backend> make_v1_backend(group_state& s);
std::unique_ptr<group_backend> make_v2_backend(group_state& s);

// The part of v1 and v2 that does not depend on the mode: members from cgroup.procs, the
// cgroup freezer when the layout has one (else SIGSTOP/SIGCONT to each member), and killing by
// freezing, SIGKILL to each member, thawing.
class cgroup_backend : public group_backend {
  public:
    using group_backend::group_backend;

    std::vector<pid_t> members() const override;
    void freeze() override;
    void request_freeze() override;
    void thaw() override;
    void kill_members() override;
    void thaw_after_kill() override;

  protected:
    bool has_freezer() const { return s_.lay->frz_h >= 0; }
    virtual void freeze_cgroup() = 0;          // returns once frozen
    virtual void request_freeze_cgroup() = 0;  // writes the freezer file only
    virtual void thaw_cgroup() = 0;
};

// The SIGSTOP/SIGCONT freezer, also used by cgroup groups without a freezer controller.
// whole_group: signal the process group of each member that leads one (child_process makes
// every sandbox a group leader), so grandchildren outside any cgroup are reached too.
void signal_member(pid_t pid, int sig, bool whole_group);
void freeze_with_signals(group_state& s, const std::vector<pid_t>& members, bool whole_group);
void thaw_with_signals(group_state& s, const std::vector<pid_t>& members, bool whole_group);

// What to write for a share of `cpus` CPUs (> 0; <= 0 = unlimited) at a base period: the
// period stretched so the quota reaches min_cpu_quota_us (see the CFS note in
// cgroup_discovery.hpp), the share capped at host_cpus.
struct cpu_limit {
    long period_us = 0;
    long quota_us = -1;  // -1 = unlimited
};
cpu_limit cpu_limit_for(double cpus, long base_period_us, int host_cpus);

}  // namespace lambench::service::backend
