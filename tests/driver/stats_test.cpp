#include "driver/stats.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace lambench::driver;

namespace {
const std::vector<double> one_to_ten{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
}

TEST(Stats, MeanMedianOfOneToTen) {
    EXPECT_DOUBLE_EQ(mean(one_to_ten), 5.5);
    EXPECT_DOUBLE_EQ(median(one_to_ten), 5.5);
}

TEST(Stats, PercentilesInterpolateBetweenClosestRanks) {
    // h = (n-1)·p/100: p90 → h = 8.1 → 9 + 0.1·(10-9); p99 → h = 8.91.
    EXPECT_NEAR(percentile(one_to_ten, 90), 9.1, 1e-12);
    EXPECT_NEAR(percentile(one_to_ten, 99), 9.91, 1e-12);
    EXPECT_DOUBLE_EQ(percentile(one_to_ten, 0), 1);
    EXPECT_DOUBLE_EQ(percentile(one_to_ten, 100), 10);
    EXPECT_DOUBLE_EQ(percentile({3, 1, 2}, 50), 2);  // unsorted input
}

TEST(Stats, StddevDividesByNMinusOne) {
    // Σ(x-5.5)² = 82.5; /9 → 9.1666…
    EXPECT_NEAR(stddev(one_to_ten), std::sqrt(82.5 / 9), 1e-12);
    EXPECT_DOUBLE_EQ(stddev({2, 4}), std::sqrt(2.0));
}

TEST(Stats, MdapeIsMedianOfRelativeDeviations) {
    // |x-5.5|/x sorted: …, 0.375 (x=4), 0.3888… (x=9), … → median (0.375 + 3.5/9) / 2.
    EXPECT_NEAR(mdape(one_to_ten), (0.375 + 3.5 / 9) / 2, 1e-12);
    EXPECT_DOUBLE_EQ(mdape({5, 5, 5}), 0);
}

TEST(Stats, MadOfOneToTen) {
    // |x-5.5| = 4.5 3.5 2.5 1.5 .5 .5 1.5 2.5 3.5 4.5 → median 2.5
    EXPECT_DOUBLE_EQ(mad(one_to_ten), 2.5);
}

TEST(Stats, MedianConfidenceIntervalUsesOrderStatistics) {
    // n = 10: ranks 2 and 9; coverage 1 - 2·P(B ≤ 1) = 1 - 2·11/1024.
    auto ci = median_ci(one_to_ten);
    EXPECT_DOUBLE_EQ(ci.low, 2);
    EXPECT_DOUBLE_EQ(ci.high, 9);
    EXPECT_NEAR(ci.coverage, 1 - 22.0 / 1024, 1e-12);
    // n = 5: no pair reaches 95 %: the full range with its real coverage 1 - 2/32.
    auto small = median_ci({5, 1, 4, 2, 3});
    EXPECT_DOUBLE_EQ(small.low, 1);
    EXPECT_DOUBLE_EQ(small.high, 5);
    EXPECT_NEAR(small.coverage, 0.9375, 1e-12);
}

TEST(Stats, MedianCiOfLargeSampleIsNarrow) {
    std::vector<double> xs;
    for (int i = 1; i <= 100; ++i) xs.push_back(i);
    // n = 100: P(B ≤ 39) = 0.0176 ≤ 0.025 < P(B ≤ 40) = 0.0284 → ranks 40 and 61.
    auto ci = median_ci(xs);
    EXPECT_DOUBLE_EQ(ci.low, 40);
    EXPECT_DOUBLE_EQ(ci.high, 61);
    EXPECT_GE(ci.coverage, 0.95);
}

TEST(Stats, OutliersByModifiedZScore) {
    // median 11, MAD 1: 100 has |0.6745·89| ≫ 3.5; 12 has 0.6745.
    auto out = outliers_mad({10, 11, 10, 12, 11, 10, 100});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0], 6u);
    EXPECT_TRUE(outliers_mad({1, 1, 1, 1, 50}).empty());  // MAD 0: no scale, nothing flagged
}

TEST(Stats, EmptyInputGivesNanAndZeroCount) {
    auto s = summarize({});
    EXPECT_EQ(s.n, 0u);
    EXPECT_TRUE(std::isnan(s.median));
    EXPECT_TRUE(std::isnan(s.mean));
    EXPECT_TRUE(std::isnan(s.stddev));
    EXPECT_TRUE(std::isnan(s.mdape));
    EXPECT_TRUE(std::isnan(s.median_ci.low));
    EXPECT_EQ(s.outliers, 0u);
    EXPECT_TRUE(std::isnan(percentile({}, 50)));
}

TEST(Stats, SingleSampleHasNoSpread) {
    auto s = summarize({7});
    EXPECT_EQ(s.n, 1u);
    EXPECT_DOUBLE_EQ(s.min, 7);
    EXPECT_DOUBLE_EQ(s.max, 7);
    EXPECT_DOUBLE_EQ(s.median, 7);
    EXPECT_DOUBLE_EQ(s.p99, 7);
    EXPECT_TRUE(std::isnan(s.stddev));
    EXPECT_DOUBLE_EQ(s.mdape, 0);
    EXPECT_DOUBLE_EQ(s.median_ci.low, 7);
    EXPECT_DOUBLE_EQ(s.median_ci.coverage, 0);
}

TEST(Stats, RatioPropagatesRelativeErrorsLikeHyperfine) {
    summary_stats a, b;
    a.n = b.n = 10;
    a.mean = 20, a.stddev = 2;
    b.mean = 10, b.stddev = 1;
    auto r = ratio_of(a, b);
    EXPECT_DOUBLE_EQ(r.value, 2);
    EXPECT_NEAR(r.uncertainty, 2 * std::sqrt(0.01 + 0.01), 1e-12);
    a.n = 1;  // no σ for one sample: counts as 0
    EXPECT_NEAR(ratio_of(a, b).uncertainty, 0.2, 1e-12);
    b.n = 0;
    EXPECT_TRUE(std::isnan(ratio_of(a, b).value));
}

// Mann–Whitney U: exact p from the permutation distribution. For a = {1,2,3}, b = {4,5,6} every
// b exceeds every a: U = 9, and only 1 of the C(6,3) = 20 arrangements is that extreme on each
// side, so the two-sided p is 2/20.
TEST(Stats, MannWhitneyExactSmallSamples) {
    auto t = mann_whitney({1, 2, 3}, {4, 5, 6});
    EXPECT_TRUE(t.exact);
    EXPECT_DOUBLE_EQ(t.u, 9);
    EXPECT_NEAR(t.p, 0.1, 1e-12);
    // Mirror image: U = 0, same p.
    t = mann_whitney({4, 5, 6}, {1, 2, 3});
    EXPECT_DOUBLE_EQ(t.u, 0);
    EXPECT_NEAR(t.p, 0.1, 1e-12);
    // Interleaved: U = 4.5 is impossible without ties; {1,3,5} vs {2,4,6}: U = 6 of 9,
    // P(U >= 6) = 7/20 for sizes (3, 3), so p = 0.7.
    t = mann_whitney({1, 3, 5}, {2, 4, 6});
    EXPECT_DOUBLE_EQ(t.u, 6);
    EXPECT_NEAR(t.p, 0.7, 1e-12);
}

TEST(Stats, MannWhitneyNormalApproximationWithTies) {
    // Ties force the normal approximation; identical samples give U = n²/2 and p = 1.
    std::vector<double> a(30, 1.0), b(30, 1.0);
    auto t = mann_whitney(a, b);
    EXPECT_FALSE(t.exact);
    EXPECT_DOUBLE_EQ(t.u, 450);
    EXPECT_DOUBLE_EQ(t.p, 1);
    // 30 vs 30 with b shifted well above a: p tiny. With U = 900 (complete separation), z ≈ 6.6.
    for (int i = 0; i < 30; ++i) {
        a[static_cast<std::size_t>(i)] = 1 + i % 3;
        b[static_cast<std::size_t>(i)] = 10 + i % 3;
    }
    t = mann_whitney(a, b);
    EXPECT_DOUBLE_EQ(t.u, 900);
    EXPECT_LT(t.p, 1e-9);
    EXPECT_TRUE(std::isnan(mann_whitney({}, {1}).p));
}

TEST(Stats, MannWhitneyLargeSampleMatchesKnownZ) {
    // 25 vs 25 distinct values, b = a + 0.5 interleaved: a = 0..24, b = 0.5..24.5. Each b_j
    // exceeds a_0..a_j: U = Σ(j+1) = 325; μ = 312.5, σ² = 25·25·51/12 = 2656.25, z = (12.5 - 0.5)
    // / 51.54 = 0.2328, two-sided p = 0.8159.
    std::vector<double> a, b;
    for (int i = 0; i < 25; ++i) {
        a.push_back(i);
        b.push_back(i + 0.5);
    }
    const auto t = mann_whitney(a, b);
    EXPECT_FALSE(t.exact);  // 50 > 40 samples
    EXPECT_DOUBLE_EQ(t.u, 325);
    EXPECT_NEAR(t.p, 0.8159, 5e-4);
}

TEST(Stats, MedianRatioIntervalIsDeterministicAndBracketsTheRatio) {
    std::vector<double> a, b;
    for (int i = 0; i < 50; ++i) {
        a.push_back(1.0 + 0.01 * (i % 10));
        b.push_back(2.0 + 0.02 * (i % 10));
    }
    const auto r = median_ratio(a, b);
    EXPECT_NEAR(r.value, 2.0, 1e-9);
    EXPECT_LE(r.low, r.value);
    EXPECT_GE(r.high, r.value);
    EXPECT_GT(r.low, 1.9);
    EXPECT_LT(r.high, 2.1);
    EXPECT_FALSE(r.contains_one());
    const auto again = median_ratio(a, b);
    EXPECT_EQ(again.low, r.low);
    EXPECT_EQ(again.high, r.high);
    EXPECT_TRUE(std::isnan(median_ratio({}, b).value));
    EXPECT_TRUE(std::isnan(median_ratio({0, 0, 0}, b).value));
}
