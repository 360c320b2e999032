#include "bench/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <thread>
#include <utility>

namespace lambench::bench {

subprocess subprocess::spawn(const std::vector<std::string>& argv, const std::string& log_path) {
    if (argv.empty()) throw std::invalid_argument("subprocess::spawn: empty argv");
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd < 0) throw std::system_error(errno, std::generic_category(), "open(" + log_path + ")");
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int err = errno;
        ::close(log_fd);
        throw std::system_error(err, std::generic_category(), "fork");
    }
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) ::_exit(127);  // the driver died before prctl took effect
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        const int null_fd = ::open("/dev/null", O_RDONLY);
        if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
        // Ctrl-C is the driver's to handle: it stops the service itself, after recording.
        ::signal(SIGINT, SIG_IGN);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(log_fd);
    return subprocess(pid);
}

subprocess::subprocess(subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(other.status_), reaped_(other.reaped_) {}

subprocess& subprocess::operator=(subprocess&& other) noexcept {
    if (this != &other) {
        terminate();
        pid_ = std::exchange(other.pid_, -1);
        status_ = other.status_;
        reaped_ = other.reaped_;
    }
    return *this;
}

subprocess::~subprocess() { terminate(); }

bool subprocess::running() {
    if (pid_ < 0 || reaped_) return false;
    const pid_t r = ::waitpid(pid_, &status_, WNOHANG);
    if (r == pid_) {
        reaped_ = true;
        return false;
    }
    return true;
}

std::string subprocess::exit_description() const {
    if (!reaped_) return "running";
    if (WIFEXITED(status_)) return "exit status " + std::to_string(WEXITSTATUS(status_));
    if (WIFSIGNALED(status_)) return "signal " + std::to_string(WTERMSIG(status_));
    return "unknown status";
}

void subprocess::terminate(std::chrono::milliseconds grace) {
    if (pid_ < 0 || !running()) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
}

}  // namespace lambench::bench
