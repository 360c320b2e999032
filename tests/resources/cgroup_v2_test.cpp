// The cgroup v2 code path, forced with LAMBENCH_CGROUPS=v2 (set by CTest). On this hybrid host
// the cgroup2 mount has no cpu/memory controllers, so this exercises the v2 freezer
// (cgroup.freeze/cgroup.events), cgroup.kill and cleanup; on a unified host, everything.
#include <chrono>
#include <thread>

#include "test_util.hpp"

using namespace lambench::service;
using namespace lambench::service::test;
using namespace std::chrono_literals;

namespace {
bool has_cgroup2_mount() {
    return slurp("/proc/self/mountinfo").find(" - cgroup2 ") != std::string::npos;
}
}  // namespace

#define REQUIRE_V2()                                                                      \
    do {                                                                                  \
        if (!has_cgroup2_mount()) GTEST_SKIP() << "no cgroup2 mount on this host";        \
        REQUIRE_CGROUPS();                                                                \
        ASSERT_EQ(detect_cgroups().mode, cgroup_mode::v2) << detect_cgroups().describe(); \
    } while (0)

TEST(CgroupV2, DetectionReportsV2AndWhatIsMissing) {
    REQUIRE_V2();
    const auto& s = detect_cgroups();
    std::printf("[ detected ] %s\n", s.describe().c_str());
    EXPECT_TRUE(s.describe().starts_with("cgroup v2 ("));
    if (!s.cpu) {
        EXPECT_NE(s.describe().find("off: CPU share"), std::string::npos);
    }
}

TEST(CgroupV2, FreezeStopsAndThawResumes) {
    REQUIRE_V2();
    if (!detect_cgroups().freezer) GTEST_SKIP() << "kernel without cgroup.freeze";
    auto g = resource_group::create("v2-freeze", 1769);
    auto c = child_process::spawn(helper_opts({"spin-cpu", "30"}, &g));
    g.freeze();
    EXPECT_NE(slurp(g.paths().at(0) + "/cgroup.events").find("frozen 1"), std::string::npos);
    g.thaw();
    EXPECT_NE(slurp(g.paths().at(0) + "/cgroup.events").find("frozen 0"), std::string::npos);
}

TEST(CgroupV2, KillAllAndDestructorLeaveNothing) {
    REQUIRE_V2();
    auto g = std::make_unique<resource_group>(resource_group::create("v2-kill", 256));
    auto c = child_process::spawn(helper_opts({"fork-tree", "2"}, g.get()));
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (lines(out).size() < 2 && std::chrono::steady_clock::now() < deadline)
        out += read_output(c, 100ms, "\n");
    std::vector<pid_t> kids;
    for (auto& l : lines(out)) kids.push_back(static_cast<pid_t>(std::stol(l)));
    ASSERT_EQ(kids.size(), 2u);
    EXPECT_EQ(g->members().size(), 3u);
    g->kill_all();
    EXPECT_EQ(c.wait().describe(), "signal: killed");
    for (pid_t k : kids) {
        for (int i = 0; i < 200 && process_alive(k); ++i) std::this_thread::sleep_for(5ms);
        EXPECT_FALSE(process_alive(k)) << k;
    }
    auto dirs = g->paths();
    g.reset();
    for (const auto& d : dirs) EXPECT_FALSE(dir_exists(d)) << d;
}
