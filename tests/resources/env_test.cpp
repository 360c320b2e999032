// A LAMBENCH_CGROUPS value we do not understand (set by CTest) turns cgroups off and says why,
// rather than guessing.
#include "test_util.hpp"

using namespace lambench::service;

TEST(CgroupEnv, UnknownModeIsOffAndExplained) {
    const auto& s = detect_cgroups();
    EXPECT_EQ(s.mode, cgroup_mode::none);
    EXPECT_NE(
        s.describe().find("LAMBENCH_CGROUPS=sideways not understood (use auto, v1, v2 or off)"),
        std::string::npos)
        << s.describe();
}
