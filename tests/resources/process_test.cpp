// child_process: spawn, output, environment, errors, exit wording, termination, no leftovers.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>
#include <system_error>
#include <thread>

#include "test_util.hpp"

using namespace lambench::service;
using namespace lambench::service::test;
using namespace std::chrono_literals;

namespace {

exit_status run_to_end(const std::vector<std::string>& args) {
    auto c = child_process::spawn(helper_opts(args));
    return c.wait();
}

// No child of ours is left, not even a zombie.
void expect_no_children() {
    int st = 0;
    EXPECT_EQ(::waitpid(-1, &st, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
}

}  // namespace

TEST(Process, ExitCodeIsWordedExitStatus) {
    auto s = run_to_end({"exit", "3"});
    EXPECT_FALSE(s.signaled);
    EXPECT_EQ(s.code, 3);
    EXPECT_EQ(s.describe(), "exit status 3");
}

TEST(Process, ExitZeroIsWordedExitStatus0) {
    EXPECT_EQ(run_to_end({"exit", "0"}).describe(), "exit status 0");
}

TEST(Process, SigkillIsWordedSignalKilled) {
    auto c = child_process::spawn(helper_opts({"sleep"}));
    c.kill();
    auto s = c.wait();
    EXPECT_TRUE(s.signaled);
    EXPECT_EQ(s.code, SIGKILL);
    EXPECT_EQ(s.describe(), "signal: killed");
}

TEST(Process, SegfaultIsWordedLikeGo) {
    EXPECT_EQ(run_to_end({"segv"}).describe(), "signal: segmentation fault");
}

TEST(Process, AbortIsWordedLikeGo) {
    EXPECT_EQ(run_to_end({"abort"}).describe(), "signal: aborted");
}

TEST(Process, DescribeCoversOtherSignals) {
    EXPECT_EQ((exit_status{true, SIGTERM}).describe(), "signal: terminated");
    EXPECT_EQ((exit_status{true, SIGBUS}).describe(), "signal: bus error");
    EXPECT_EQ((exit_status{true, SIGFPE}).describe(), "signal: floating point exception");
    EXPECT_EQ((exit_status{true, SIGRTMIN + 2}).describe(),
              "signal: signal " + std::to_string(SIGRTMIN + 2));
}

TEST(Process, NonexistentProgramThrowsNamingExecve) {
    auto o = helper_opts({});
    o.argv = {"/nonexistent/bootstrap"};
    try {
        child_process::spawn(o);
        FAIL() << "spawn should throw";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT);
        EXPECT_NE(std::string(e.what()).find("execve /nonexistent/bootstrap"), std::string::npos)
            << e.what();
    }
    expect_no_children();
}

TEST(Process, NonExecutableFileThrowsEacces) {
    // A plain file without any execute bit: even root may not exec it.
    std::string path = "/tmp/lambench-noexec-" + std::to_string(::getpid());
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);
    ::chmod(path.c_str(), 0644);
    auto o = helper_opts({});
    o.argv = {path};
    try {
        child_process::spawn(o);
        FAIL() << "spawn should throw";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EACCES);
        EXPECT_NE(std::string(e.what()).find("execve"), std::string::npos);
    }
    ::unlink(path.c_str());
    expect_no_children();
}

TEST(Process, BadCwdThrowsNamingChdir) {
    auto o = helper_opts({"exit", "0"});
    o.cwd = "/nonexistent-dir";
    try {
        child_process::spawn(o);
        FAIL() << "spawn should throw";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT);
        EXPECT_NE(std::string(e.what()).find("chdir /nonexistent-dir"), std::string::npos)
            << e.what();
    }
    expect_no_children();
}

TEST(Process, EmptyArgvIsRejected) {
    spawn_options o;
    EXPECT_THROW(child_process::spawn(o), std::invalid_argument);
}

TEST(Process, BadEnvironmentNameIsRejected) {
    auto o = helper_opts({"exit", "0"});
    o.env["A=B"] = "x";
    EXPECT_THROW(child_process::spawn(o), std::invalid_argument);
    expect_no_children();
}

TEST(Process, EnvironmentIsExactlyAsGiven) {
    ::setenv("LAMBENCH_SHOULD_NOT_LEAK", "1", 1);
    auto o = helper_opts({"env"});
    o.env = {{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}, {"TZ", ":UTC"}, {"EMPTY", ""}};
    auto c = child_process::spawn(o);
    auto out = read_output(c, 5s);
    EXPECT_EQ(c.wait().describe(), "exit status 0");
    auto got = lines(out);
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<std::string>{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001",
                                             "EMPTY=", "TZ=:UTC"}));
}

TEST(Process, CwdIsApplied) {
    auto o = helper_opts({"pwd"});
    o.cwd = "/tmp";
    auto c = child_process::spawn(o);
    EXPECT_EQ(read_output(c, 5s), "/tmp\n");
    c.wait();
}

TEST(Process, StdoutAndStderrShareOnePipe) {
    auto c = child_process::spawn(helper_opts({"both"}));
    EXPECT_EQ(read_output(c, 5s), "to-stdout\nto-stderr\n");
    EXPECT_EQ(c.wait().code, 0);
}

TEST(Process, OutputFdIsNonBlockingAndCloexec) {
    auto c = child_process::spawn(helper_opts({"sleep"}));
    EXPECT_TRUE(::fcntl(c.output_fd(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(c.output_fd(), F_GETFD) & FD_CLOEXEC);
    char b;
    EXPECT_EQ(::read(c.output_fd(), &b, 1), -1);
    EXPECT_EQ(errno, EAGAIN);
}

TEST(Process, OnlyStdioIsInherited) {
    // A descriptor without CLOEXEC, as a careless library would leave one.
    int leak = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(leak, 0);
    auto c = child_process::spawn(helper_opts({"fds"}));
    auto out = read_output(c, 5s);
    ::close(leak);
    c.wait();
    EXPECT_EQ(out, "0\n1\n2\n");
}

TEST(Process, WorksWhenTheParentHasNoStdio) {
    // A daemonized service may run with 0-2 closed; the pipes then get those numbers.
    int saved[3];
    for (int fd = 0; fd < 3; ++fd) saved[fd] = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
    for (int fd = 0; fd < 3; ++fd) ::close(fd);
    std::string out;
    exit_status st;
    {
        auto c = child_process::spawn(helper_opts({"both"}));
        out = read_output(c, 5s);
        st = c.wait();
    }
    for (int fd = 0; fd < 3; ++fd) {
        ::dup2(saved[fd], fd);
        ::close(saved[fd]);
    }
    EXPECT_EQ(out, "to-stdout\nto-stderr\n");
    EXPECT_EQ(st.describe(), "exit status 0");
}

TEST(Process, SignalDispositionsAndMaskAreReset) {
    auto old_pipe = ::signal(SIGPIPE, SIG_IGN);
    sigset_t term, old_mask;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &term, &old_mask);
    auto c = child_process::spawn(helper_opts({"signals"}));
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    ::signal(SIGPIPE, old_pipe);
    EXPECT_EQ(read_output(c, 5s), "sigpipe=default blocked_term=0\n");
    c.wait();
}

TEST(Process, ChildLeadsItsOwnProcessGroup) {
    auto c = child_process::spawn(helper_opts({"sleep"}));
    EXPECT_EQ(::getpgid(c.pid()), c.pid());
}

TEST(Process, TryWaitDoesNotBlock) {
    auto c = child_process::spawn(helper_opts({"sleep"}));
    EXPECT_FALSE(c.try_wait().has_value());
    c.kill();
    std::optional<exit_status> s;
    for (int i = 0; i < 500 && !s; ++i) {
        s = c.try_wait();
        if (!s) std::this_thread::sleep_for(2ms);
    }
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->describe(), "signal: killed");
    EXPECT_EQ(c.wait().describe(), "signal: killed");  // cached after the reap
}

TEST(Process, TerminateUsesSigtermFirst) {
    auto c = child_process::spawn(helper_opts({"ready-sleep"}));
    ASSERT_EQ(read_output(c, 5s, "ready\n"), "ready\n");
    auto t0 = std::chrono::steady_clock::now();
    c.terminate();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
    EXPECT_EQ(c.wait().describe(), "signal: terminated");
}

TEST(Process, TerminateEscalatesToSigkillAfterTwoSeconds) {
    auto c = child_process::spawn(helper_opts({"ignore-term"}));
    ASSERT_EQ(read_output(c, 5s, "ready\n"), "ready\n");
    auto t0 = std::chrono::steady_clock::now();
    c.terminate();
    auto took = std::chrono::steady_clock::now() - t0;
    EXPECT_GE(took, 1900ms);
    EXPECT_LT(took, 3500ms);
    EXPECT_EQ(c.wait().describe(), "signal: killed");
}

TEST(Process, DestructorKillsAndReapsWholeGroup) {
    pid_t leader = -1;
    std::vector<pid_t> kids;
    {
        auto c = child_process::spawn(helper_opts({"fork-stay", "2"}));
        leader = c.pid();
        std::string out;
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (lines(out).size() < 2 && std::chrono::steady_clock::now() < deadline)
            out += read_output(c, 100ms, "\n");
    }
    // The leader was reaped by the destructor: no zombie, no process.
    EXPECT_FALSE(process_alive(leader));
    EXPECT_EQ(::kill(leader, 0), -1);
    expect_no_children();
}

TEST(Process, DestructorKillsGrandchildrenInTheGroup) {
    std::vector<pid_t> kids;
    {
        auto c = child_process::spawn(helper_opts({"fork-stay", "2"}));
        std::string out;
        auto deadline = std::chrono::steady_clock::now() + 5s;
        while (lines(out).size() < 2 && std::chrono::steady_clock::now() < deadline)
            out += read_output(c, 100ms, "\n");
        for (auto& l : lines(out)) kids.push_back(static_cast<pid_t>(std::stol(l)));
        ASSERT_EQ(kids.size(), 2u);
        for (pid_t k : kids) EXPECT_TRUE(process_alive(k));
    }
    // Orphaned grandchildren are reparented and reaped by init; give it a moment.
    for (pid_t k : kids) {
        for (int i = 0; i < 200 && process_alive(k); ++i) std::this_thread::sleep_for(5ms);
        EXPECT_FALSE(process_alive(k)) << k;
    }
}

TEST(Process, MoveTransfersOwnership) {
    auto a = child_process::spawn(helper_opts({"sleep"}));
    pid_t pid = a.pid();
    child_process b = std::move(a);
    EXPECT_EQ(a.pid(), -1);
    EXPECT_EQ(b.pid(), pid);
    auto c = child_process::spawn(helper_opts({"exit", "7"}));
    b = std::move(c);  // kills and reaps the sleeper
    EXPECT_FALSE(process_alive(pid));
    EXPECT_EQ(b.wait().describe(), "exit status 7");
}

// Not a pass/fail figure: prints what spawning costs, for the report.
TEST(Process, SpawnLatencyIsReported) {
    constexpr int n = 40;
    std::vector<double> spawn_us, total_us;
    for (int i = 0; i < n; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        auto c = child_process::spawn(helper_opts({"exit", "0"}));
        auto t1 = std::chrono::steady_clock::now();
        c.wait();
        auto t2 = std::chrono::steady_clock::now();
        spawn_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        total_us.push_back(std::chrono::duration<double, std::micro>(t2 - t0).count());
    }
    std::sort(spawn_us.begin(), spawn_us.end());
    std::sort(total_us.begin(), total_us.end());
    std::printf("[ figures ] spawn() median %.0f us (p90 %.0f); spawn+exit+reap median %.0f us\n",
                spawn_us[n / 2], spawn_us[n * 9 / 10], total_us[n / 2]);
    EXPECT_LT(spawn_us[n / 2], 50'000.0);
}
