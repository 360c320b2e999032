// resource_group without cgroups (LAMBENCH_CGROUPS=off, set by CTest): SIGSTOP/SIGCONT freeze,
// killpg, no memory figures — and a description that says so.
#include <signal.h>

#include <chrono>
#include <thread>

#include "test_util.hpp"

using namespace lambench::service;
using namespace lambench::service::test;
using namespace std::chrono_literals;

TEST(Fallback, ModeIsNoneAndDescribeSaysWhatIsOff) {
    const auto& s = detect_cgroups();
    EXPECT_EQ(s.mode, cgroup_mode::none);
    EXPECT_FALSE(s.cpu || s.memory || s.freezer);
    EXPECT_EQ(s.describe(),
              "cgroups unavailable (disabled by LAMBENCH_CGROUPS=off): CPU share, memory cap and "
              "Max Memory Used are off; freeze uses SIGSTOP/SIGCONT");
}

TEST(Fallback, GroupHasNoDirectoriesAndNoMemoryFigures) {
    auto g = resource_group::create("fallback-figures", 256);
    EXPECT_TRUE(g.paths().empty());
    EXPECT_TRUE(g.join_files().empty());
    g.set_cpu_share(0.5);  // accepted, no effect
    auto c = child_process::spawn(helper_opts({"alloc", "16"}, &g));
    EXPECT_EQ(c.wait().code, 0);
    EXPECT_EQ(g.memory_peak_bytes(), 0u);
    EXPECT_EQ(g.memory_current_bytes(), 0u);
    EXPECT_FALSE(g.oom_killed());
}

TEST(Fallback, FreezeStopsTheProcessWithSigstop) {
    auto g = resource_group::create("fallback-freeze", 256);
    auto c = child_process::spawn(helper_opts({"spin-cpu", "30"}, &g));
    EXPECT_EQ(g.members(), std::vector<pid_t>{c.pid()});
    g.freeze();
    EXPECT_TRUE(g.frozen());
    EXPECT_EQ(process_state(c.pid()), 'T');
    g.thaw();
    EXPECT_FALSE(g.frozen());
    for (int i = 0; i < 100 && process_state(c.pid()) == 'T'; ++i) std::this_thread::sleep_for(2ms);
    EXPECT_NE(process_state(c.pid()), 'T');
}

TEST(Fallback, KillAllReachesTheWholeProcessGroup) {
    auto g = resource_group::create("fallback-kill", 256);
    auto c = child_process::spawn(helper_opts({"fork-stay", "2"}, &g));
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (lines(out).size() < 2 && std::chrono::steady_clock::now() < deadline)
        out += read_output(c, 100ms, "\n");
    std::vector<pid_t> kids;
    for (auto& l : lines(out)) kids.push_back(static_cast<pid_t>(std::stol(l)));
    ASSERT_EQ(kids.size(), 2u);
    g.kill_all();
    EXPECT_EQ(c.wait().describe(), "signal: killed");
    for (pid_t k : kids) {
        for (int i = 0; i < 200 && process_alive(k); ++i) std::this_thread::sleep_for(5ms);
        EXPECT_FALSE(process_alive(k)) << k;
    }
}

TEST(Fallback, DestructorKillsTrackedProcesses) {
    auto g = std::make_unique<resource_group>(resource_group::create("fallback-dtor", 256));
    auto c = child_process::spawn(helper_opts({"sleep"}, g.get()));
    g->freeze();  // a stopped process must die too
    g.reset();
    EXPECT_EQ(c.wait().describe(), "signal: killed");
}
