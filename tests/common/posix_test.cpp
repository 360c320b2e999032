// The foundation's OS pieces: the state directory rule, atomic files, locks, child processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>

#include "posix/child_process.hpp"
#include "posix/file.hpp"
#include "posix/state_dir.hpp"

using namespace lambench::posix;
namespace fs = std::filesystem;

namespace {

// Sets (or unsets, for nullopt) environment variables for one scope.
class scoped_env {
  public:
    scoped_env(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value->c_str(), 1);
        else
            ::unsetenv(name);
    }
    ~scoped_env() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

fs::path temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "lambench-posix-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    return tmpl;
}

}  // namespace

TEST(state_dir, explicit_variable_wins) {
    scoped_env a("LAMBENCH_STATE_DIR", "/x/state"), b("XDG_STATE_HOME", "/xdg"),
        c("HOME", "/home/u");
    EXPECT_EQ(default_state_dir(), fs::path("/x/state"));
}

TEST(state_dir, xdg_state_home_comes_before_home) {
    scoped_env a("LAMBENCH_STATE_DIR", std::nullopt), b("XDG_STATE_HOME", "/xdg"),
        c("HOME", "/home/u");
    EXPECT_EQ(default_state_dir(), fs::path("/xdg/lambench"));
}

TEST(state_dir, home_then_password_database) {
    scoped_env a("LAMBENCH_STATE_DIR", std::nullopt), b("XDG_STATE_HOME", ""), c("HOME", "/home/u");
    EXPECT_EQ(default_state_dir(), fs::path("/home/u/.local/state/lambench"));
    scoped_env d("HOME", std::nullopt);
    auto dir = default_state_dir();
    EXPECT_EQ(dir.filename(), "lambench");
    EXPECT_EQ(dir.parent_path().filename(), "state");
}

TEST(file, atomic_write_replaces_with_mode_and_leaves_no_temp) {
    fs::path d = temp_dir();
    write_file_atomic(d / "f", "one", 0600);
    write_file_atomic(d / "f", "two\n", 0644);
    EXPECT_EQ(read_file(d / "f"), "two\n");
    struct stat st {};
    ASSERT_EQ(::stat((d / "f").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    EXPECT_FALSE(fs::exists(d / "f.tmp"));
    EXPECT_FALSE(read_file(d / "missing").has_value());
    EXPECT_THROW(write_file_atomic(d / "no" / "such" / "dir", "x", 0600), std::system_error);
    fs::remove_all(d);
}

TEST(file, read_reads_proc_files_to_the_end_and_names_failures) {
    // /proc files report size 0: a reader that trusts stat gets nothing.
    const auto status = read_file("/proc/self/status");
    ASSERT_TRUE(status.has_value());
    EXPECT_NE(status->find("VmRSS:"), std::string::npos);
    EXPECT_EQ(read_file_or_throw("/proc/self/status").substr(0, 5), "Name:");
    fs::path d = temp_dir();
    EXPECT_FALSE(read_file(d).has_value());  // a directory: open succeeds, read fails (EISDIR)
    try {
        read_file_or_throw(d / "missing");
        ADD_FAILURE() << "no exception";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), ENOENT);
        EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos);
    }
    fs::remove_all(d);
}

TEST(file, lock_excludes_a_second_holder_until_released) {
    fs::path d = temp_dir();
    auto lock = std::make_optional<file_lock>(d / "lock");
    // A child process tries the same lock without blocking: it must fail while we hold it.
    auto probe = [&] {
        spawn_options o;
        o.argv = {"/usr/bin/flock", "-n", (d / "lock").string(), "true"};
        o.env = std::nullopt;
        return child_process::spawn(o).wait().code;
    };
    EXPECT_NE(probe(), 0);
    lock.reset();
    EXPECT_EQ(probe(), 0);
    fs::remove_all(d);
}

TEST(child_process, output_exit_status_and_environment) {
    spawn_options o;
    o.argv = {"/bin/sh", "-c", "echo out; echo err >&2; echo $ONLY; exit 3"};
    o.env = std::map<std::string, std::string>{{"ONLY", "this"}};
    o.nonblocking_output = false;
    auto c = child_process::spawn(o);
    EXPECT_EQ(c.read_output_to_end(), "out\nerr\nthis\n");
    auto st = c.wait();
    EXPECT_FALSE(st.signaled);
    EXPECT_EQ(st.code, 3);
    EXPECT_EQ(st.describe(), "exit status 3");
}

TEST(child_process, output_to_a_file_and_cwd) {
    fs::path d = temp_dir();
    spawn_options o;
    o.argv = {"/bin/sh", "-c", "pwd"};
    o.env = std::nullopt;
    o.cwd = d.string();
    o.output = output_to::file;
    o.output_file = (d / "log").string();
    EXPECT_EQ(child_process::spawn(o).wait().code, 0);
    EXPECT_EQ(read_file(d / "log"), fs::canonical(d).string() + "\n");
    fs::remove_all(d);
}

TEST(child_process, failures_name_the_step) {
    spawn_options o;
    o.argv = {"/no/such/program"};
    try {
        child_process::spawn(o);
        FAIL() << "spawned a missing program";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("execve /no/such/program"), std::string::npos)
            << e.what();
        EXPECT_EQ(e.code().value(), ENOENT);
    }
    o.argv = {"/bin/true"};
    o.cwd = "/no/such/dir";
    EXPECT_THROW(child_process::spawn(o), std::system_error);
    o.cwd_fallback_root = true;
    EXPECT_EQ(child_process::spawn(o).wait().code, 0);
    o.env = std::map<std::string, std::string>{{"A=B", "x"}};
    EXPECT_THROW(child_process::spawn(o), std::invalid_argument);
    EXPECT_THROW(child_process::spawn(spawn_options{}), std::invalid_argument);
}

TEST(child_process, before_exec_runs_in_the_child_and_its_failure_names_the_step) {
    spawn_options o;
    o.argv = {"/bin/sh", "-c", "ulimit -n"};
    // Runs in the child only: the limit it sets is the child's, the parent's stays.
    o.before_exec = [](const void* arg, const char** step) noexcept -> int {
        rlimit r{*static_cast<const rlim_t*>(arg), *static_cast<const rlim_t*>(arg)};
        if (::setrlimit(RLIMIT_NOFILE, &r) != 0) {
            *step = "setrlimit in the test hook";
            return errno;
        }
        return 0;
    };
    static const rlim_t limit = 77;
    o.before_exec_arg = &limit;
    auto c = child_process::spawn(o);
    EXPECT_EQ(c.read_output_to_end(), "77\n");
    EXPECT_EQ(c.wait().code, 0);
    rlimit mine{};
    ::getrlimit(RLIMIT_NOFILE, &mine);
    EXPECT_NE(mine.rlim_cur, limit);

    o.before_exec = [](const void*, const char** step) noexcept -> int {
        *step = "the hook's own step";
        return EPERM;
    };
    try {
        child_process::spawn(o);
        FAIL() << "a failing hook must stop the spawn";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("the hook's own step"), std::string::npos) << e.what();
        EXPECT_EQ(e.code().value(), EPERM);
    }
}

TEST(child_process, terminate_escalates_and_the_destructor_reaps) {
    spawn_options o;
    o.argv = {"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"};
    o.nonblocking_output = false;
    auto c = child_process::spawn(o);
    pid_t pid = c.pid();
    char ready[6] = {};
    ASSERT_EQ(::read(c.output_fd(), ready, 6), 6) << "the child ignores SIGTERM from here on";
    auto t0 = std::chrono::steady_clock::now();
    c.terminate(std::chrono::milliseconds(200));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
    ASSERT_TRUE(c.try_wait());
    EXPECT_TRUE(c.try_wait()->signaled);
    EXPECT_EQ(c.try_wait()->describe(), "signal: killed");
    pid_t second;
    {
        auto d = child_process::spawn(o);
        second = d.pid();
    }
    EXPECT_NE(::kill(second, 0), 0) << "the destructor killed and reaped the child";
    EXPECT_NE(::kill(pid, 0), 0);
}
