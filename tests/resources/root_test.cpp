// LAMBENCH_CGROUP_ROOT: groups go under a given cgroup path instead of
// "<own cgroup>/lambench/<pid>". main() sets it to a per-run path before anything probes.
#include <sys/stat.h>

#include <cstdlib>

#include "test_util.hpp"

using namespace lambench::service;
using namespace lambench::service::test;

namespace {
std::string root_name() {
    return "lambench-ctest-root-" + std::to_string(::getpid());
}
// Built with append: `"/" + std::string` trips g++ 12's -Wrestrict false positive (PR 105329).
std::string slash_root() {
    std::string s(1, '/');
    s.append(root_name());
    return s;
}
}  // namespace

TEST(CgroupRoot, GroupsGoUnderTheGivenRootAndItIsRemovedAfter) {
    REQUIRE_CGROUPS();
    auto parents = words(detect_cgroups().parent);
    ASSERT_FALSE(parents.empty());
    for (const auto& p : parents) EXPECT_TRUE(p.ends_with(slash_root())) << p;
    {
        auto g = resource_group::create("rooted", 256);
        for (const auto& p : g.paths()) {
            EXPECT_TRUE(p.ends_with(slash_root().append("/rooted"))) << p;
            EXPECT_TRUE(dir_exists(p)) << p;
        }
        auto c = child_process::spawn(helper_opts({"exit", "0"}, &g));
        EXPECT_EQ(c.wait().code, 0);
    }
    // We created the root, so we remove it once empty.
    for (const auto& p : parents) EXPECT_FALSE(dir_exists(p)) << p;
}

TEST(CgroupRoot, ARootThatAlreadyExistedIsKept) {
    REQUIRE_CGROUPS();
    auto parents = words(detect_cgroups().parent);
    for (const auto& p : parents) ASSERT_EQ(::mkdir(p.c_str(), 0755), 0) << p;
    {
        auto g = resource_group::create("kept", 128);
        EXPECT_FALSE(g.paths().empty());
    }
    for (const auto& p : parents) {
        EXPECT_TRUE(dir_exists(p)) << p;
        ::rmdir(p.c_str());
    }
}

int main(int argc, char** argv) {
    ::setenv("LAMBENCH_CGROUP_ROOT", slash_root().c_str(), 1);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
