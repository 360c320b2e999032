// fork + execve rather than posix_spawn: the child must join its cgroups, drop privileges,
// change directory and close inherited descriptors between fork and exec, and report a failure
// of any of those steps with the step's name. Only async-signal-safe calls happen in the child
// between fork and exec (the callers are multithreaded), so everything the child needs is
// prepared in the parent first.
#include "posix/child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

#include "posix/unique_fd.hpp"

extern char** environ;

namespace lambench::posix {

namespace {

using namespace std::chrono_literals;

// Go's names for signals (syscall.Signal.String on Linux): Lambda's "Runtime exited with error"
// message is produced by Go's os.ProcessState, so "signal: killed", "signal: segmentation fault".
const char* go_signal_name(int sig) {
    struct entry {
        int sig;
        const char* name;
    };
    static constexpr entry names[] = {
        {SIGHUP, "hangup"},
        {SIGINT, "interrupt"},
        {SIGQUIT, "quit"},
        {SIGILL, "illegal instruction"},
        {SIGTRAP, "trace/breakpoint trap"},
        {SIGABRT, "aborted"},
        {SIGBUS, "bus error"},
        {SIGFPE, "floating point exception"},
        {SIGKILL, "killed"},
        {SIGUSR1, "user defined signal 1"},
        {SIGSEGV, "segmentation fault"},
        {SIGUSR2, "user defined signal 2"},
        {SIGPIPE, "broken pipe"},
        {SIGALRM, "alarm clock"},
        {SIGTERM, "terminated"},
        {SIGSTKFLT, "stack fault"},
        {SIGCHLD, "child exited"},
        {SIGCONT, "continued"},
        {SIGSTOP, "stopped (signal)"},
        {SIGTSTP, "stopped"},
        {SIGTTIN, "stopped (tty input)"},
        {SIGTTOU, "stopped (tty output)"},
        {SIGURG, "urgent I/O condition"},
        {SIGXCPU, "CPU time limit exceeded"},
        {SIGXFSZ, "file size limit exceeded"},
        {SIGVTALRM, "virtual timer expired"},
        {SIGPROF, "profiling timer expired"},
        {SIGWINCH, "window changed"},
        {SIGIO, "I/O possible"},
        {SIGPWR, "power failure"},
        {SIGSYS, "bad system call"},
    };
    for (const auto& e : names)
        if (e.sig == sig) return e.name;
    return nullptr;
}

// What the child sends through the error pipe when a step before exec fails.
struct child_failure {
    int step = 0;
    int err = 0;
    int index = 0;                 // which join file, for the join step
    const char* detail = nullptr;  // before_exec's step (static storage, same in the parent)
};
enum : int {
    step_join = 1,
    step_chdir,
    step_stdio,
    step_execve,
    step_setpgid,
    step_user,
    step_parent,
    step_before_exec
};

// A caller started with stdin/stdout/stderr closed gets pipe ends numbered 0-2; the child's
// dup2 onto 0-2 would then clobber them (or, for dup2(1, 1), keep CLOEXEC and lose stdout).
unique_fd above_stdio(unique_fd fd, const std::string& what) {
    if (fd.get() < 0) throw std::system_error(errno, std::generic_category(), what);
    if (fd.get() > 2) return fd;
    int moved = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) throw std::system_error(errno, std::generic_category(), "fcntl F_DUPFD_CLOEXEC");
    return unique_fd(moved);
}

std::pair<unique_fd, unique_fd> make_pipe() {
    int fds[2] = {-1, -1};
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe2");
    unique_fd r(fds[0]), w(fds[1]);
    return {above_stdio(std::move(r), "pipe2"), above_stdio(std::move(w), "pipe2")};
}

[[noreturn]] void child_fail(int fd, int step, int err, int index = 0,
                             const char* detail = nullptr) {
    child_failure f{step, err, index, detail};
    // Best effort: if the parent is gone there is nobody to tell.
    [[maybe_unused]] auto n = ::write(fd, &f, sizeof f);
    ::_exit(127);
}

exit_status from_wait_status(int st) {
    exit_status s;
    if (WIFSIGNALED(st)) {
        s.signaled = true;
        s.code = WTERMSIG(st);
    } else {
        s.code = WEXITSTATUS(st);
    }
    return s;
}

int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

}  // namespace

std::string exit_status::describe() const {
    if (!signaled) return "exit status " + std::to_string(code);
    if (const char* n = go_signal_name(code)) return std::string("signal: ") + n;
    return "signal: signal " + std::to_string(code);
}

child_process child_process::spawn(const spawn_options& opts) {
    if (opts.argv.empty() || opts.argv[0].empty())
        throw std::invalid_argument("spawn: argv[0] (the program path) is required");
    if (opts.output == output_to::file && opts.output_file.empty())
        throw std::invalid_argument("spawn: output_to::file needs output_file");

    // Everything the child touches is built here: no allocation after fork.
    std::vector<char*> argv;
    argv.reserve(opts.argv.size() + 1);
    for (const auto& a : opts.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<std::string> env_storage;
    std::vector<char*> envp;
    if (opts.env) {
        env_storage.reserve(opts.env->size());
        for (const auto& [k, v] : *opts.env) {
            if (k.empty() || k.find('=') != std::string::npos ||
                k.find('\0') != std::string::npos || v.find('\0') != std::string::npos)
                throw std::invalid_argument("spawn: bad environment variable name '" + k + "'");
            env_storage.push_back(k + "=" + v);
        }
        envp.reserve(env_storage.size() + 1);
        for (auto& e : env_storage) envp.push_back(e.data());
        envp.push_back(nullptr);
    }
    char** child_env = opts.env ? envp.data() : environ;
    const std::vector<std::string>& join = opts.join_files;
    const char* cwd = opts.cwd.empty() ? nullptr : opts.cwd.c_str();
    const char* path = opts.argv[0].c_str();

    unique_fd out_r, out_w;
    if (opts.output == output_to::pipe) {
        std::tie(out_r, out_w) = make_pipe();
        if (opts.nonblocking_output && ::fcntl(out_r.get(), F_SETFL, O_NONBLOCK) != 0)
            throw std::system_error(errno, std::generic_category(), "fcntl O_NONBLOCK");
        // A larger pipe lets a chatty child write without blocking while nobody reads; failure
        // (pipe-max-size) just keeps the default 64 KiB.
        ::fcntl(out_r.get(), F_SETPIPE_SZ, 1 << 20);
    } else if (opts.output == output_to::file) {
        out_w = above_stdio(unique_fd(::open(opts.output_file.c_str(),
                                             O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)),
                            "open " + opts.output_file);
    }
    auto [err_r, err_w] = make_pipe();
    unique_fd devnull =
        above_stdio(unique_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC)), "open /dev/null");
    const pid_t parent = ::getpid();

    // Block all signals across fork so no handler of the parent runs in the child before the
    // child resets dispositions; restored in both afterwards.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = ::fork();
    if (pid < 0) {
        int e = errno;
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        throw std::system_error(e, std::generic_category(), "fork");
    }
    if (pid == 0) {
        const int efd = err_w.get();
        // Handlers and ignored signals (SIGPIPE is ignored by the service) would otherwise leak
        // into the child: reset every disposition, then unblock.
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; ++s) ::sigaction(s, &dfl, nullptr);
        if (opts.ignore_sigint) ::signal(SIGINT, SIG_IGN);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (opts.die_with_parent) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (::getppid() != parent) child_fail(efd, step_parent, ESRCH);  // died before prctl
        }
        if (opts.new_process_group && ::setpgid(0, 0) != 0) child_fail(efd, step_setpgid, errno);
        // Join the cgroups before exec so the child is accounted from its first instruction.
        for (std::size_t i = 0; i < join.size(); ++i) {
            int fd = ::open(join[i].c_str(), O_WRONLY | O_CLOEXEC);
            if (fd < 0) child_fail(efd, step_join, errno, static_cast<int>(i));
            if (::write(fd, "0", 1) != 1) child_fail(efd, step_join, errno, static_cast<int>(i));
            ::close(fd);
        }
        if (::dup2(devnull.get(), 0) < 0) child_fail(efd, step_stdio, errno);
        if (out_w.get() >= 0 && (::dup2(out_w.get(), 1) < 0 || ::dup2(out_w.get(), 2) < 0))
            child_fail(efd, step_stdio, errno);
        if (opts.before_exec) {
            const char* what = "before exec";
            if (int e = opts.before_exec(opts.before_exec_arg, &what); e != 0)
                child_fail(efd, step_before_exec, e, 0, what);
        }
        if (opts.gid || opts.uid) {
            if (::setgroups(0, nullptr) != 0) child_fail(efd, step_user, errno);
            if (opts.gid && ::setgid(*opts.gid) != 0) child_fail(efd, step_user, errno);
            if (opts.uid && ::setuid(*opts.uid) != 0) child_fail(efd, step_user, errno);
        }
        if (cwd && ::chdir(cwd) != 0) {
            if (!opts.cwd_fallback_root || ::chdir("/") != 0) child_fail(efd, step_chdir, errno);
        }
        // Close every other inherited descriptor (listening sockets, database connections) except
        // the error pipe, which is CLOEXEC and closes itself on a successful exec.
        if (efd > 3) ::close_range(3, static_cast<unsigned>(efd - 1), 0);
        ::close_range(static_cast<unsigned>(efd + 1), ~0U, 0);
        ::execve(path, argv.data(), child_env);
        child_fail(efd, step_execve, errno);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    // Also from the parent: whichever runs first, the group exists before we signal it.
    if (opts.new_process_group) ::setpgid(pid, pid);
    out_w.reset();
    err_w.reset();
    devnull.reset();

    child_failure f{};
    ssize_t n;
    do {
        n = ::read(err_r.get(), &f, sizeof f);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        int st = 0;
        while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        std::string what;
        switch (f.step) {
            case step_join:
                what = "write " + join.at(static_cast<std::size_t>(f.index));
                break;
            case step_chdir:
                what = "chdir " + opts.cwd;
                break;
            case step_stdio:
                what = "dup2";
                break;
            case step_setpgid:
                what = "setpgid";
                break;
            case step_user:
                what = "setgroups/setgid/setuid";
                break;
            case step_parent:
                what = "parent exited before the child started";
                break;
            case step_before_exec:
                what = f.detail ? f.detail : "before exec";
                break;
            default:
                what = "execve " + opts.argv[0];
                if (f.err == EACCES && opts.uid)
                    what += " (runs as uid " + std::to_string(*opts.uid) +
                            ": the file must be executable, and it and its directories readable, "
                            "by that user)";
                break;
        }
        throw std::system_error(f.err, std::generic_category(), what);
    }
    child_process c;
    c.pid_ = pid;
    c.out_fd_ = out_r.release();
    c.own_group_ = opts.new_process_group;
    c.before_kill_ = opts.before_kill;
    c.stop_grace_ = opts.stop_grace;
    return c;
}

child_process::child_process(child_process&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      out_fd_(std::exchange(o.out_fd_, -1)),
      own_group_(o.own_group_),
      before_kill_(o.before_kill_),
      stop_grace_(o.stop_grace_),
      status_(std::exchange(o.status_, std::nullopt)) {}

child_process& child_process::operator=(child_process&& o) noexcept {
    if (this == &o) return *this;
    // The old child goes into a temporary, whose destructor stops and reaps it.
    child_process old(std::move(*this));
    pid_ = std::exchange(o.pid_, -1);
    out_fd_ = std::exchange(o.out_fd_, -1);
    own_group_ = o.own_group_;
    before_kill_ = o.before_kill_;
    stop_grace_ = o.stop_grace_;
    status_ = std::exchange(o.status_, std::nullopt);
    return *this;
}

child_process::~child_process() {
    if (pid_ > 0 && !status_) {
        if (stop_grace_.count() > 0) {
            try {
                terminate(stop_grace_);
            } catch (...) {
            }
        }
        if (!status_) {
            // Still unreaped, so the pid (and its process group id) cannot have been reused.
            signal(SIGKILL);
            int st = 0;
            while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
            }
        }
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    pid_ = -1;
    out_fd_ = -1;
}

void child_process::signal(int sig) const {
    if (own_group_) ::kill(-pid_, sig);
    ::kill(pid_, sig);
    if (sig == SIGKILL && before_kill_) before_kill_(pid_);
}

std::string child_process::read_output_to_end() {
    std::string out;
    if (out_fd_ < 0) return out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(out_fd_, buf, sizeof buf);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            pollfd p{out_fd_, POLLIN, 0};
            ::poll(&p, 1, 100);
            continue;
        }
        break;
    }
    return out;
}

std::optional<exit_status> child_process::try_wait() {
    if (status_) return status_;
    if (pid_ <= 0) return std::nullopt;
    int st = 0;
    pid_t r;
    do {
        r = ::waitpid(pid_, &st, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r < 0) throw std::system_error(errno, std::generic_category(), "waitpid");
    if (r == 0) return std::nullopt;
    status_ = from_wait_status(st);
    return status_;
}

exit_status child_process::wait() {
    if (status_) return *status_;
    if (pid_ <= 0) throw std::logic_error("wait on an empty child_process");
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0) {
        if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
    }
    status_ = from_wait_status(st);
    return *status_;
}

void child_process::kill() {
    if (pid_ <= 0 || status_) return;
    // The whole process group when it has one: a child's own children must not outlive it.
    signal(SIGKILL);
}

void child_process::terminate(std::chrono::milliseconds grace) {
    if (pid_ <= 0 || status_ || try_wait()) return;
    signal(SIGTERM);
    // A frozen (cgroup v1 freezer) or stopped child would sit on the SIGTERM for the whole grace.
    if (before_kill_) before_kill_(pid_);
    signal(SIGCONT);
    // Wait for a graceful exit; a pidfd lets us sleep in poll instead of spinning.
    unique_fd pfd(pidfd_open(pid_));
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (!try_wait()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        if (pfd.get() >= 0) {
            pollfd p{pfd.get(), POLLIN, 0};
            ::poll(&p, 1, static_cast<int>(left.count()));
        } else {
            std::this_thread::sleep_for(5ms);
        }
    }
    if (!status_) {
        // Leader not reaped yet: kill the rest of its group while the group id is still ours.
        signal(SIGKILL);
        wait();
    }
}

}  // namespace lambench::posix
