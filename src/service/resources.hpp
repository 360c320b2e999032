// Lambda's resource model on Linux cgroups: one resource_group per sandbox.
// CPU quota = memory_mb/1769 of a CPU (capped at host cores), hard memory limit with no swap,
// freeze/thaw between invocations, peak memory for "Max Memory Used".
// Detects cgroup v2 (unified) or v1 (cpu, memory, freezer hierarchies); never assumes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lambench::service {

enum class cgroup_mode { none, v1, v2 };
inline const char* cgroup_mode_name(cgroup_mode m) {
    return m == cgroup_mode::v1 ? "v1" : m == cgroup_mode::v2 ? "v2" : "none";
}

struct cgroup_support {
    cgroup_mode mode = cgroup_mode::none;
    bool cpu = false;      // CPU quota can be set
    bool memory = false;   // memory limit + peak available
    bool freezer = false;  // cgroup freezer available (else SIGSTOP/SIGCONT fallback)
    // Human-readable, e.g. "cgroup v1 (cpu, memory, freezer)" or
    // "cgroups unavailable: CPU share, memory cap and Max Memory Used are off".
    std::string describe() const;
    bool complete() const { return cpu && memory && freezer; }
    // Why a part is off or approximated (empty when complete and exact), e.g. "memory.peak
    // missing: Max Memory Used is polled from memory.current every 10 ms" or "disabled by
    // LAMBENCH_CGROUPS=off". describe() includes it.
    std::string note;
    // Directory under which groups are created; v1: one per hierarchy, space-separated.
    std::string parent;
};

// Probes once (cached). Honours LAMBENCH_CGROUP_ROOT to place groups under a given parent
// (a cgroup path such as "/lambench-ci", relative to each hierarchy's root) and
// LAMBENCH_CGROUPS = auto (default) | v1 | v2 | off (off = the SIGSTOP/killpg fallback).
const cgroup_support& detect_cgroups();

double cpu_share_for_memory(int memory_mb);  // memory/1769, capped at host cores; throws if <= 0
int host_cpu_count();                        // CPUs this process may run on (affinity mask)

// Kills and removes groups left behind by service instances that died without cleaning up
// ("lambench/<pid>" whose pid no longer exists). Runs once at detection; callable again.
void reap_stale_groups();

// Lets a signal reach `pid`: thaws the cgroup v1 freezer group holding it, if frozen. A frozen
// v1 task acts on no signal, not even SIGKILL, until thawed (v2 and SIGSTOP-stopped tasks do
// die), so child_process calls this before it waits for a killed child. Never throws.
void make_killable(pid_t pid) noexcept;

// Move-only owner of one cgroup (in each v1 hierarchy, or one v2 group). The destructor kills
// every process still inside, waits for them to go, and removes the group(s). Without cgroups
// (mode none) it still works: freeze = SIGSTOP, kill = killpg of the members' process groups,
// memory figures 0. A moved-from group may only be destroyed or assigned to. Methods may be
// called from several threads.
class resource_group {
  public:
    // name must be unique per service instance (e.g. "<function>-<sandbox id>") and a plain
    // file name (no '/'); memory_mb > 0. Sets the memory cap (no swap) and the proportional CPU
    // share. Throws std::invalid_argument for bad input, std::system_error naming the call.
    static resource_group create(const std::string& name, int memory_mb);
    resource_group(resource_group&&) noexcept;
    resource_group& operator=(resource_group&&) noexcept;
    resource_group(const resource_group&) = delete;
    resource_group& operator=(const resource_group&) = delete;
    ~resource_group();

    void add_process(pid_t pid);      // moves pid (and its future children) into the group
    void set_cpu_share(double cpus);  // <= 0 means unlimited (used for init_cpu = "full")
    void freeze();  // cgroup freezer (returns once frozen), else SIGSTOP to every member
    // The same, but returns once the kernel was asked: the members stop as they next run (a
    // member out of CPU quota only in its next period). thaw() works at any point after.
    void request_freeze();
    void thaw();
    std::uint64_t memory_peak_bytes() const;  // 0 when memory accounting is off
    std::uint64_t memory_current_bytes() const;
    bool oom_killed() const;  // an OOM kill happened in this group
    void kill_all();          // SIGKILL every member; waits (<= 2 s) until none runs; thawed after
    const cgroup_support& support() const;

    // Introspection: the group's name and size, its members, directories and freezer state.
    const std::string& name() const;
    int memory_mb() const;
    std::vector<pid_t> members() const;      // pids in the group (cgroup.procs; else tracked pids)
    std::vector<std::string> paths() const;  // the group's directories (empty without cgroups)
    bool frozen() const;
    // For child_process: the cgroup.procs files a forked child writes "0" into before exec
    // (empty without cgroups), and recording a member's pid without moving it (bookkeeping for
    // the SIGSTOP/killpg fallback).
    std::vector<std::string> join_files() const;
    void note_member(pid_t pid);

  private:
    struct impl;
    explicit resource_group(std::unique_ptr<impl> p);
    std::unique_ptr<impl> impl_;
};

}  // namespace lambench::service
