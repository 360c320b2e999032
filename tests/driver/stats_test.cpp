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
