// lambench compare's verdicts on constructed samples: identical, shifted, heavy-tailed, and the
// case a review found contradictory (medians 0.120 vs 0.150 ms reported as "B 3.87 ± 7.18 times
// faster" because the ratio was of means).
#include "driver/compare.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace lambench::driver;

namespace {

bool within_noise(const run_delta& d) {
    return d.verdict.find("within noise") != std::string::npos;
}

// A deterministic, right-skewed latency sample: a body around `base` with a long tail.
std::vector<double> skewed(double base, int n, unsigned seed, double tail = 0) {
    std::vector<double> xs;
    unsigned long long s = seed;
    for (int i = 0; i < n; ++i) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        const double u = static_cast<double>(s >> 11) / 9007199254740992.0;  // [0, 1)
        xs.push_back(base * (1 + 0.1 * u) + (i % 25 == 0 ? tail : 0));
    }
    return xs;
}

}  // namespace

TEST(Compare, IdenticalSamplesAreWithinNoise) {
    const auto a = skewed(0.12, 40, 1);
    const auto d = judge(a, a);
    EXPECT_NEAR(d.b_over_a.value, 1, 1e-12);
    EXPECT_TRUE(d.b_over_a.contains_one());
    EXPECT_FALSE(d.significant);
    EXPECT_TRUE(within_noise(d)) << d.verdict;
}

TEST(Compare, ShiftedSamplesAreSignificantInTheDirectionOfTheMedians) {
    const auto a = skewed(0.120, 40, 1), b = skewed(0.150, 40, 2);
    const auto slower = judge(a, b);
    EXPECT_TRUE(slower.significant) << slower.verdict;
    EXPECT_NEAR(slower.b_over_a.value, 1.25, 0.03);
    EXPECT_EQ(slower.verdict.rfind("B 1.2", 0), 0u) << slower.verdict;
    EXPECT_NE(slower.verdict.find("times slower"), std::string::npos) << slower.verdict;
    EXPECT_LT(slower.test.p, 0.001);
    const auto faster = judge(b, a);
    EXPECT_TRUE(faster.significant);
    EXPECT_NE(faster.verdict.find("times faster"), std::string::npos) << faster.verdict;
    // The interval of the inverse is the inverse interval.
    EXPECT_GT(faster.b_over_a.high, 0);
    EXPECT_LT(faster.b_over_a.high, 1);
}

TEST(Compare, HeavyTailDoesNotContradictTheMedians) {
    // The review's case: B's median is higher, but A has huge outliers that make A's mean larger.
    // The old ratio of means said "B ... times faster"; the verdict must follow the medians.
    const auto a = skewed(0.120, 50, 3, /*tail=*/40.0), b = skewed(0.150, 50, 4);
    const auto d = judge(a, b);
    EXPECT_GT(d.b_over_a.value, 1);
    EXPECT_NE(d.verdict.find("times slower"), std::string::npos) << d.verdict;
    EXPECT_TRUE(d.significant) << d.verdict;
}

TEST(Compare, OverlappingSamplesWithADifferentMedianAreWithinNoise) {
    // Two small samples whose medians differ by 10 % but whose spreads overlap: the rank test
    // cannot tell them apart and the interval contains 1.
    const std::vector<double> a = {1.0, 1.4, 0.8, 1.2, 0.9}, b = {1.1, 0.85, 1.3, 1.15, 0.95};
    const auto d = judge(a, b);
    EXPECT_NEAR(d.b_over_a.value, 1.1, 1e-9);
    EXPECT_GT(d.test.p, 0.05);
    EXPECT_TRUE(d.b_over_a.contains_one());
    EXPECT_TRUE(within_noise(d)) << d.verdict;
}

TEST(Compare, IntervalExcludingOneButTestNotRejectingIsStillNoise) {
    // Three samples each: the smallest exact two-sided p is 0.1, so even complete separation is
    // "within noise" at 5 %, whatever the bootstrap interval says.
    const auto d = judge({1, 1.01, 1.02}, {2, 2.01, 2.02});
    EXPECT_NEAR(d.test.p, 0.1, 1e-12);
    EXPECT_FALSE(d.significant);
    EXPECT_TRUE(within_noise(d)) << d.verdict;
}

// A run on the aws target says where it ran in the header lines (region, and the endpoint when
// overridden); a local run's lines are unchanged.
TEST(Compare, HeaderNamesTheAwsTargetAndItsEndpoint) {
    run_summary local, aws;
    local.header.suite = aws.header.suite = "hello";
    local.header.target = "local";
    local.header.start_time = "2026-01-01T00:00:00Z";
    local.header.machine.host = "box";
    aws.header.target = "aws";
    aws.header.region = "eu-west-1";
    aws.header.endpoint = "http://127.0.0.1:9311";
    aws.header.start_time = "2026-01-01T01:00:00Z";
    aws.header.machine.host = "box";
    const std::string text = render_comparison(local, aws, {}, false);
    EXPECT_EQ(text.substr(0, text.find("\n\n")),
              "A: hello (2026-01-01T00:00:00Z, box)\n"
              "B: hello (2026-01-01T01:00:00Z, box, aws eu-west-1 at http://127.0.0.1:9311)");
    aws.header.endpoint.clear();
    EXPECT_NE(render_comparison(local, aws, {}, true).find("(box, lambench , aws eu-west-1)"),
              std::string::npos);
}
