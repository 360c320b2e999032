// The signal backend: no cgroups (mode none, and every group until its directories exist).
// Members are the pids added or noted that still run; freeze = SIGSTOP, kill = SIGKILL, each to
// the member's whole process group; no CPU share, memory cap or memory figures.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cgroup_fs.hpp"
#include "resource_group.hpp"

namespace lambench::service::backend {

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

bool is_group_leader(pid_t pid) {
    return ::getpgid(pid) == pid;
}

class signal_backend final : public group_backend {
  public:
    using group_backend::group_backend;

    void limit_memory(const std::string&) override {}
    void limit_cpu(long, long) override {}

    std::vector<pid_t> members() const override {
        std::vector<pid_t> out;
        for (pid_t p : s_.tracked)
            if (cgroup::alive(p)) out.push_back(p);
        return out;
    }
    void freeze() override { freeze_with_signals(s_, members(), true); }
    void thaw() override { thaw_with_signals(s_, members(), true); }
    void kill_members() override {
        for (pid_t p : members()) signal_member(p, SIGKILL, true);
    }
    std::uint64_t memory_current() const override { return 0; }
    std::uint64_t memory_peak() const override { return 0; }
    bool oom_killed() const override { return false; }
};

}  // namespace

std::unique_ptr<group_backend> make_signal_backend(group_state& s) {
    return std::make_unique<signal_backend>(s);
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

void freeze_with_signals(group_state& s, const std::vector<pid_t>& members, bool whole_group) {
    for (pid_t p : members) signal_member(p, SIGSTOP, whole_group);
    s.signal_stopped = true;
    // SIGSTOP is asynchronous; wait until every member reports stopped.
    auto deadline = steady::now() + 2s;
    for (pid_t p : members) {
        while (!cgroup::is_stopped_or_gone(p) && steady::now() < deadline)
            std::this_thread::sleep_for(100us);
    }
}

void thaw_with_signals(group_state& s, const std::vector<pid_t>& members, bool whole_group) {
    for (pid_t p : members) signal_member(p, SIGCONT, whole_group);
    s.signal_stopped = false;
}

}  // namespace lambench::service::backend
