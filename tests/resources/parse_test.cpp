// The pure parts of the resource model: mountinfo parsing on v1-only, v2-only and hybrid hosts,
// /proc/<pid>/cgroup lines, control-file values, the CPU limit arithmetic and describe(). No
// cgroup is read or written.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "service/cgroup_discovery.hpp"
#include "service/cgroup_fs.hpp"
#include "service/resource_group.hpp"
#include "service/resources.hpp"

using namespace lambench::service;
using namespace lambench::service::cgroup;

namespace {

// A systemd host with the legacy layout (cpu and cpuacct share a hierarchy).
const char* v1_only =
    "22 27 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "25 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "26 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup "
    "cgroup rw,xattr,name=systemd\n"
    "29 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup "
    "cgroup rw,cpu,cpuacct\n"
    "30 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup "
    "cgroup rw,memory\n"
    "31 25 0:29 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:15 - cgroup "
    "cgroup rw,freezer\n"
    "32 25 0:30 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup "
    "rw,pids\n";

// A unified host (systemd 247+, most current distributions).
const char* v2_only =
    "22 27 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "35 22 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";

// The hybrid layout of this project's CI machine: v1 controllers plus a controller-less cgroup2.
const char* hybrid =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

std::vector<std::string> mountpoints(const std::vector<mount_entry>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.push_back(m.mountpoint);
    return out;
}

using strings = std::vector<std::string>;

}  // namespace

TEST(Mountinfo, V1OnlyHostHasCpuMemoryFreezerAndNoCgroup2) {
    auto v1 = parse_mountinfo(v1_only, false);
    ASSERT_EQ(mountpoints(v1), (strings{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory",
                                        "/sys/fs/cgroup/freezer"}));
    EXPECT_EQ(v1[0].controllers, strings{"cpu"});  // cpuacct is not one we use
    EXPECT_EQ(v1[1].controllers, strings{"memory"});
    EXPECT_EQ(v1[2].controllers, strings{"freezer"});
    for (const auto& m : v1) EXPECT_EQ(m.root, "/");
    EXPECT_TRUE(parse_mountinfo(v1_only, true).empty());
}

TEST(Mountinfo, V2OnlyHostHasOneCgroup2AndNoV1) {
    EXPECT_TRUE(parse_mountinfo(v2_only, false).empty());
    auto v2 = parse_mountinfo(v2_only, true);
    ASSERT_EQ(v2.size(), 1u);
    EXPECT_EQ(v2[0].mountpoint, "/sys/fs/cgroup");
    EXPECT_EQ(v2[0].root, "/");
    EXPECT_TRUE(v2[0].controllers.empty());
}

TEST(Mountinfo, HybridHostHasBoth) {
    auto v1 = parse_mountinfo(hybrid, false);
    EXPECT_EQ(mountpoints(v1),
              (strings{"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/freezer"}));
    auto v2 = parse_mountinfo(hybrid, true);
    EXPECT_EQ(mountpoints(v2), strings{"/sys/fs/cgroup/unified"});
}

TEST(Mountinfo, SharedHierarchyListsEachControllerInOptionOrder) {
    auto v1 = parse_mountinfo("40 30 0:40 / /cg rw - cgroup cgroup rw,memory,cpuacct,cpu\n", false);
    ASSERT_EQ(v1.size(), 1u);
    EXPECT_EQ(v1[0].controllers, (strings{"memory", "cpu"}));
}

TEST(Mountinfo, ContainerRootAndEscapedMountpointAreKept) {
    auto v1 = parse_mountinfo(
        "50 40 0:31 /docker/abc /mnt/my\\040cgroups ro,nosuid - cgroup cgroup rw,memory\n", false);
    ASSERT_EQ(v1.size(), 1u);
    EXPECT_EQ(v1[0].root, "/docker/abc");
    EXPECT_EQ(v1[0].mountpoint, "/mnt/my cgroups");
}

TEST(Mountinfo, MalformedAndOtherLinesAreSkipped) {
    const char* text =
        "garbage without separator\n"
        "1 2 3 - cgroup cgroup rw,memory\n"          // too few fields before " - "
        "1 2 0:3 / /cg rw - cgroup cgroup\n"         // too few after
        "1 2 0:3 / /cg rw - cgroupfs x rw,memory\n"  // another file system type
        "\n";
    EXPECT_TRUE(parse_mountinfo(text, false).empty());
    EXPECT_TRUE(parse_mountinfo(text, true).empty());
    EXPECT_TRUE(parse_mountinfo("", false).empty());
}

TEST(Mountinfo, UnescapeOctalOnly) {
    EXPECT_EQ(unescape_mount("a\\040b\\011c\\012d\\134e"), "a b\tc\nd\\e");
    EXPECT_EQ(unescape_mount("no\\escape\\12"), "no\\escape\\12");  // not three octal digits
    EXPECT_EQ(unescape_mount("\\0"), "\\0");
    EXPECT_EQ(unescape_mount(""), "");
}

TEST(ProcCgroup, FindsEachControllerAndTheV2Line) {
    const char* text =
        "12:freezer:/user.slice\n"
        "11:memory:/user.slice/session-1.scope\n"
        "4:cpu,cpuacct:/system.slice\n"
        "1:name=systemd:/user.slice/session-1.scope\n"
        "0::/init.scope\n";
    EXPECT_EQ(cgroup_path_in(text, "freezer"), "/user.slice");
    EXPECT_EQ(cgroup_path_in(text, "memory"), "/user.slice/session-1.scope");
    EXPECT_EQ(cgroup_path_in(text, "cpu"), "/system.slice");
    EXPECT_EQ(cgroup_path_in(text, "cpuacct"), "/system.slice");
    EXPECT_EQ(cgroup_path_in(text, ""), "/init.scope");
    EXPECT_EQ(cgroup_path_in(text, "pids"), std::nullopt);
    EXPECT_EQ(cgroup_path_in(text, "cpu,cpuacct"), std::nullopt);  // one controller at a time
}

TEST(ProcCgroup, V2OnlyAndMalformed) {
    EXPECT_EQ(cgroup_path_in("0::/\n", ""), "/");
    EXPECT_EQ(cgroup_path_in("0::/\n", "memory"), std::nullopt);
    EXPECT_EQ(cgroup_path_in("no colons\n3:memory\n", "memory"), std::nullopt);
    EXPECT_EQ(cgroup_path_in("", ""), std::nullopt);
    // Only hierarchy 0 with no controllers is the v2 line.
    EXPECT_EQ(cgroup_path_in("5::/odd\n", ""), std::nullopt);
}

TEST(ProcCgroup, DirForStripsTheMountRoot) {
    mount_entry host{"/", "/sys/fs/cgroup/memory", {"memory"}};
    EXPECT_EQ(dir_for(host, "/"), "/sys/fs/cgroup/memory");
    EXPECT_EQ(dir_for(host, "/user.slice/x"), "/sys/fs/cgroup/memory/user.slice/x");
    mount_entry container{"/docker/abc", "/sys/fs/cgroup/memory", {"memory"}};
    EXPECT_EQ(dir_for(container, "/docker/abc"), "/sys/fs/cgroup/memory");
    EXPECT_EQ(dir_for(container, "/docker/abc/sub"), "/sys/fs/cgroup/memory/sub");
    EXPECT_EQ(dir_for(container, "/elsewhere"), "/sys/fs/cgroup/memory/elsewhere");
}

TEST(ControlFiles, ParseU64) {
    EXPECT_EQ(parse_u64("123\n"), 123u);
    EXPECT_EQ(parse_u64("12 \n"), 12u);
    EXPECT_EQ(parse_u64("18446744073709551615\n"), 18446744073709551615u);
    EXPECT_EQ(parse_u64("max\n"), 0u);
    EXPECT_EQ(parse_u64("12x"), 0u);
    EXPECT_EQ(parse_u64(""), 0u);
}

TEST(ControlFiles, KeyedValue) {
    EXPECT_EQ(keyed_value("populated 1\nfrozen 0\n", "frozen"), 0u);
    EXPECT_EQ(keyed_value("populated 1\nfrozen 1\n", "frozen"), 1u);
    EXPECT_EQ(keyed_value("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n", "oom_kill"), 2u);
    EXPECT_EQ(keyed_value("oom_kill_disable 0\nunder_oom 0\n", "oom_kill"), std::nullopt);
    EXPECT_EQ(keyed_value("", "oom_kill"), std::nullopt);
}

TEST(ControlFiles, PidsSplitJoin) {
    EXPECT_EQ(parse_pids("1\n23\n456\n"), (std::vector<pid_t>{1, 23, 456}));
    EXPECT_TRUE(parse_pids("").empty());
    EXPECT_EQ(split("a,,b", ','), (strings{"a", "", "b"}));
    EXPECT_EQ(split("", ','), strings{""});
    EXPECT_EQ(split("cpu memory\n", ' '), (strings{"cpu", "memory\n"}));
    EXPECT_EQ(join_path("/a", "/b/c"), "/a/b/c");
    EXPECT_EQ(join_path("/a/", "b"), "/a/b");
    EXPECT_EQ(join_path("/a", "/"), "/a");
    EXPECT_EQ(join_path("", "b"), "/b");
}

TEST(CpuLimit, ProportionalShareAtTheBasePeriod) {
    auto one = backend::cpu_limit_for(1769 / 1769.0, default_cpu_period_us, 4);
    EXPECT_EQ(one.period_us, 10'000);
    EXPECT_EQ(one.quota_us, 10'000);
    auto quarter = backend::cpu_limit_for(256 / 1769.0, default_cpu_period_us, 4);
    EXPECT_EQ(quarter.period_us, 10'000);
    EXPECT_EQ(quarter.quota_us, 1'447);
    auto slow = backend::cpu_limit_for(1.0, 100'000, 4);  // LAMBENCH_CPU_PERIOD_US=100000
    EXPECT_EQ(slow.period_us, 100'000);
    EXPECT_EQ(slow.quota_us, 100'000);
}

TEST(CpuLimit, SmallSharesStretchThePeriodToTheMinimumQuota) {
    auto l = backend::cpu_limit_for(128 / 1769.0, default_cpu_period_us, 4);  // "128 MB: 13.8 ms"
    EXPECT_EQ(l.period_us, 13'821);
    EXPECT_EQ(l.quota_us, min_cpu_quota_us);
    auto tiny = backend::cpu_limit_for(0.0005, default_cpu_period_us, 4);
    EXPECT_EQ(tiny.period_us, max_cpu_period_us);
    EXPECT_EQ(tiny.quota_us, min_cpu_quota_us);
}

TEST(CpuLimit, CappedAtHostCoresAndUnlimited) {
    auto capped = backend::cpu_limit_for(8.0, default_cpu_period_us, 2);
    EXPECT_EQ(capped.period_us, 10'000);
    EXPECT_EQ(capped.quota_us, 20'000);
    for (double none : {0.0, -1.0}) {
        auto l = backend::cpu_limit_for(none, default_cpu_period_us, 2);
        EXPECT_EQ(l.period_us, 10'000);
        EXPECT_EQ(l.quota_us, -1);
    }
}

TEST(Describe, NoneV1AndPartialV2) {
    cgroup_support none;
    none.note = "disabled by LAMBENCH_CGROUPS=off";
    EXPECT_EQ(none.describe(),
              "cgroups unavailable (disabled by LAMBENCH_CGROUPS=off): CPU share, memory cap and "
              "Max Memory Used are off; freeze uses SIGSTOP/SIGCONT");
    cgroup_support v1;
    v1.mode = cgroup_mode::v1;
    v1.cpu = v1.memory = v1.freezer = true;
    EXPECT_EQ(v1.describe(), "cgroup v1 (cpu, memory, freezer)");
    EXPECT_TRUE(v1.complete());
    cgroup_support v2;
    v2.mode = cgroup_mode::v2;
    v2.freezer = true;
    v2.note = "cpu controller not available in /sys/fs/cgroup/unified";
    EXPECT_EQ(v2.describe(),
              "cgroup v2 (freezer); off: CPU share, memory cap and Max Memory Used; cpu controller "
              "not available in /sys/fs/cgroup/unified");
    EXPECT_FALSE(v2.complete());
}
