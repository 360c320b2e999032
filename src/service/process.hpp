// A child process with RAII: spawn with env/cwd, stdout+stderr captured through one pipe,
// optionally placed into a resource_group before it execs (so init is accounted from the
// first instruction). The destructor SIGKILLs and reaps if still running.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lambench::service {

class resource_group;

struct exit_status {
    bool signaled = false;
    int code = 0;    // exit code, or the signal number when signaled
    std::string describe() const;  // "exit status 3" | "signal: killed" (Lambda's wording)
};

struct spawn_options {
    std::vector<std::string> argv;                // argv[0] = path of the program
    std::map<std::string, std::string> env;       // the whole environment (nothing inherited)
    std::string cwd;
    resource_group* group = nullptr;              // joined before exec when set
};

class child_process {
public:
    static child_process spawn(const spawn_options& opts);  // throws std::system_error
    child_process(child_process&&) noexcept;
    child_process& operator=(child_process&&) noexcept;
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process();

    pid_t pid() const { return pid_; }
    int output_fd() const { return out_fd_; }  // read end: stdout and stderr merged, non-blocking
    std::optional<exit_status> try_wait();      // non-blocking reap
    exit_status wait();                          // blocking reap
    void terminate();                            // SIGTERM, 2 s grace, then SIGKILL, then reap
    void kill();                                 // SIGKILL (no reap)

private:
    child_process(pid_t pid, int out_fd) : pid_(pid), out_fd_(out_fd) {}
    pid_t pid_ = -1;
    int out_fd_ = -1;
    std::optional<exit_status> status_;
};

}  // namespace lambench::service
