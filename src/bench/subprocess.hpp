// A child process owned by the driver (the private `lambench serve`). Move-only; the
// destructor terminates and reaps it. The child dies with the driver (PR_SET_PDEATHSIG), so a
// killed run does not leave a service behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace lambench::bench {

class subprocess {
public:
    // stdout and stderr of the child go to log_path (truncated). Throws std::system_error.
    static subprocess spawn(const std::vector<std::string>& argv, const std::string& log_path);
    subprocess(subprocess&& other) noexcept;
    subprocess& operator=(subprocess&& other) noexcept;
    subprocess(const subprocess&) = delete;
    subprocess& operator=(const subprocess&) = delete;
    ~subprocess();

    pid_t pid() const { return pid_; }
    bool running();  // reaps if it has exited
    std::string exit_description() const;  // "exit status 1" | "signal 9" | "running"
    // SIGTERM, then SIGKILL after `grace`, then reap. Idempotent.
    void terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

private:
    explicit subprocess(pid_t pid) : pid_(pid) {}
    pid_t pid_ = -1;
    int status_ = 0;
    bool reaped_ = false;
};

}  // namespace lambench::bench
