// The one child-process type in the tree: fork + execve with options, move-only, and a
// destructor that stops and reaps. The service runs sandboxes with it (own process group,
// cgroup join before exec, output through a pipe), the driver runs `lambench serve` (output to a
// file, dies with the driver) and the database code runs initdb/pg_ctl (as the postgres user,
// output collected).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lambench::posix {

struct exit_status {
    bool signaled = false;
    int code = 0;  // exit code, or the signal number when signaled
    std::string describe()
        const;  // "exit status 3" | "signal: killed" (Go's, hence Lambda's wording)
    int shell_code() const { return signaled ? 128 + code : code; }
};

enum class output_to {
    pipe,     // stdout and stderr merged into one pipe: output_fd()
    file,     // stdout and stderr to output_file (created or truncated, 0644)
    inherit,  // the parent's
};

struct spawn_options {
    std::vector<std::string> argv;  // argv[0] = path of the program
    std::optional<std::map<std::string, std::string>>
        env;                         // the whole environment; nullopt inherits
    std::string cwd;                 // empty: the parent's
    bool cwd_fallback_root = false;  // a cwd the child cannot enter means "/" instead of an error
    output_to output = output_to::pipe;
    std::string output_file;
    bool nonblocking_output = true;       // the pipe's read end (for an event loop)
    std::vector<std::string> join_files;  // "0" is written into each before exec (cgroup.procs)
    bool new_process_group = true;        // kill()/terminate() then reach the child's children
    // Runs in the child after the cgroup join and the stdio set-up, before the user switch, chdir
    // and exec (e.g. to enter a mount namespace and set rlimits). Only async-signal-safe work
    // there: no allocation, no locks. Returns 0, or an errno with *step set to a string with
    // static storage naming what failed (the parent puts it in the exception).
    int (*before_exec)(const void* arg, const char** step) noexcept = nullptr;
    const void* before_exec_arg = nullptr;
    std::optional<uid_t> uid;  // drop to this user (setgroups(0), setgid, setuid)
    std::optional<gid_t> gid;
    bool die_with_parent = false;  // PR_SET_PDEATHSIG SIGTERM: a killed parent leaves no child
    bool ignore_sigint = false;    // Ctrl-C in the terminal is the parent's to handle
    // Called before the child is signalled or waited for after a kill, e.g. to thaw a cgroup v1
    // freezer that would otherwise hold the child (and waitpid) forever.
    void (*before_kill)(pid_t) noexcept = nullptr;
    // The destructor's grace: 0 = SIGKILL at once; else SIGTERM, this long, then SIGKILL.
    std::chrono::milliseconds stop_grace{0};
};

class child_process {
  public:
    // Throws std::invalid_argument for bad options, std::system_error naming the failed step
    // (fork, open, setuid, chdir, execve ...) with its errno.
    static child_process spawn(const spawn_options& opts);
    child_process() = default;  // empty: owns nothing
    child_process(child_process&&) noexcept;
    child_process& operator=(child_process&&) noexcept;
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process();

    pid_t pid() const { return pid_; }
    int output_fd() const { return out_fd_; }  // output_to::pipe only, else -1
    std::string read_output_to_end();          // blocking; for short-lived tools
    std::optional<exit_status> try_wait();     // non-blocking reap
    exit_status wait();                        // blocking reap
    bool running() { return pid_ > 0 && !try_wait(); }
    // SIGTERM, up to `grace`, then SIGKILL; reaped on return.
    void terminate(std::chrono::milliseconds grace = std::chrono::seconds(2));
    void kill();  // SIGKILL (the process group when it has its own); no reap

  private:
    void signal(int sig) const;
    pid_t pid_ = -1;
    int out_fd_ = -1;
    bool own_group_ = true;
    void (*before_kill_)(pid_t) noexcept = nullptr;
    std::chrono::milliseconds stop_grace_{0};
    std::optional<exit_status> status_;
};

}  // namespace lambench::posix
