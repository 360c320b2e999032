// A spawned test child with RAII: stderr captured, waited for with a timeout, killed and reaped
// by the destructor if still running.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace lambench::runtime::testing {

class child {
  public:
    // env_overrides: name → value; a value of "\x01unset" removes the variable.
    static constexpr const char* unset = "\x01unset";

    child(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env) {
        std::map<std::string, std::string> merged;
        for (char** e = environ; *e != nullptr; ++e) {
            std::string kv(*e);
            auto eq = kv.find('=');
            if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
        }
        for (auto& [k, v] : env) {
            if (v == unset)
                merged.erase(k);
            else
                merged[k] = v;
        }
        std::vector<std::string> env_strings;
        for (auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
        std::vector<char*> envp;
        for (auto& s : env_strings) envp.push_back(s.data());
        envp.push_back(nullptr);
        std::vector<std::string> args = argv;
        std::vector<char*> argvp;
        for (auto& s : args) argvp.push_back(s.data());
        argvp.push_back(nullptr);

        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            throw std::system_error(errno, std::generic_category(), "pipe2");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], STDERR_FILENO);
        int rc = ::posix_spawn(&pid_, argvp[0], &fa, nullptr, argvp.data(), envp.data());
        posix_spawn_file_actions_destroy(&fa);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            throw std::system_error(rc, std::generic_category(), "posix_spawn " + argv[0]);
        }
        err_fd_ = fds[0];
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;
    ~child() {
        if (!status_) {
            ::kill(pid_, SIGKILL);
            int st;
            ::waitpid(pid_, &st, 0);
        }
        if (err_fd_ >= 0) ::close(err_fd_);
    }

    // The raw wait status, or nullopt when still running after `timeout`.
    std::optional<int> wait_for(std::chrono::milliseconds timeout) {
        auto until = std::chrono::steady_clock::now() + timeout;
        while (!status_) {
            drain_stderr();
            int st;
            pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) {
                status_ = st;
                break;
            }
            if (std::chrono::steady_clock::now() > until) return std::nullopt;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        drain_stderr();
        return status_;
    }

    // Exit code, or -signal when killed by a signal, or nullopt on timeout.
    std::optional<int> exit_code(std::chrono::milliseconds timeout) {
        auto st = wait_for(timeout);
        if (!st) return std::nullopt;
        if (WIFEXITED(*st)) return WEXITSTATUS(*st);
        return -WTERMSIG(*st);
    }

    const std::string& stderr_text() {
        drain_stderr();
        return err_;
    }

  private:
    void drain_stderr() {
        for (;;) {
            pollfd p{err_fd_, POLLIN, 0};
            if (::poll(&p, 1, 0) <= 0) return;
            char buf[4096];
            ssize_t n = ::read(err_fd_, buf, sizeof buf);
            if (n <= 0) return;
            err_.append(buf, static_cast<std::size_t>(n));
        }
    }

    pid_t pid_ = -1;
    int err_fd_ = -1;
    std::optional<int> status_;
    std::string err_;
};

}  // namespace lambench::runtime::testing
