#include "driver/cost.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

using namespace lambench::driver;

TEST(Cost, X86InvocationIsBilledMsTimesGbTimesPricePlusRequest) {
    // 100 ms at 1024 MB: 0.1 s × 1 GB × 0.0000166667 + 0.0000002
    EXPECT_NEAR(invocation_cost(100, 1024, "x86_64"), 0.00000166667 + 0.0000002, 1e-15);
    EXPECT_NEAR(cost_per_million(100, 1024, "x86_64"), 1.86667, 1e-9);
}

TEST(Cost, Arm64IsCheaperPerGbSecond) {
    // 100 ms at 512 MB: 0.1 × 0.5 × 0.0000133334 + 0.0000002
    EXPECT_NEAR(invocation_cost(100, 512, "arm64"), 0.00000066667 + 0.0000002, 1e-15);
}

TEST(Cost, RequestPriceAloneAtZeroMs) {
    EXPECT_NEAR(cost_per_million(0, 128, "x86_64"), 0.20, 1e-12);
}

TEST(Cost, UnknownArchitectureThrows) {
    EXPECT_THROW(price_per_gb_second("sparc"), std::invalid_argument);
}

TEST(Cost, ColdBillsInitEvenWhenTheReportDoesNot) {
    EXPECT_DOUBLE_EQ(cold_billed_ms(10, 9.54, 12.31), 23);         // ceil 9.54 + ceil 12.31
    EXPECT_DOUBLE_EQ(cold_billed_ms(23, 9.54, 12.31), 23);         // already included
    EXPECT_DOUBLE_EQ(cold_billed_ms(10, 9.54, std::nan("")), 10);  // no init reported
}

TEST(Cost, RecommendationPicksCheapestFastestAndBalanced) {
    // 128 MB: slow but cheapest; 1769 MB: fastest but dear; 512 MB: the knee.
    std::vector<cost_point> pts{{128, 100, 1.0, 0}, {512, 20, 1.5, 0}, {1769, 12, 4.0, 0}};
    auto r = recommend(pts);
    EXPECT_EQ(r.cheapest_mb, 128);
    EXPECT_EQ(r.fastest_mb, 1769);
    // scores: 1·(100/12)=8.33, 1.5·(20/12)=2.5, 4·1=4 → 512
    EXPECT_EQ(r.balanced_mb, 512);
}

TEST(Cost, RecommendationBreaksTiesTowardTheOtherCriterion) {
    std::vector<cost_point> pts{{128, 10, 1.0, 0}, {256, 5, 1.0, 0}};
    auto r = recommend(pts);
    EXPECT_EQ(r.cheapest_mb, 256);  // same cost, faster
    EXPECT_EQ(r.fastest_mb, 256);
    EXPECT_EQ(recommend({}).cheapest_mb, 0);
}
