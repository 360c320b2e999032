#include "driver/cost.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
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
    EXPECT_DOUBLE_EQ(cold_billed_ms(10, 9.54, 12.31), 22);         // ceil(9.54 + 12.31)
    EXPECT_DOUBLE_EQ(cold_billed_ms(22, 9.54, 12.31), 22);         // already included
    EXPECT_DOUBLE_EQ(cold_billed_ms(10, 9.5, 12.5), 22);           // not ceil + ceil = 23
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

// ---- The price table and the monthly engine. Hand-computed at each tier boundary. ----

namespace {

std::string repo_prices() {
    std::ifstream in(std::string(LAMBENCH_SOURCE_DIR) + "/data/lambda-prices.toml");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

monthly_usage usage(double gb_seconds, const std::string& arch = "x86_64") {
    // 1024 MB and 1000 ms per invocation: one GB-second per invocation.
    monthly_usage u;
    u.invocations = gb_seconds;
    u.billed_ms = 1000;
    u.memory_mb = 1024;
    u.architecture = arch;
    return u;
}

}  // namespace

TEST(Cost, EmbeddedTableIsTheRepositoryFile) {
    const price_table repo = parse_price_table(repo_prices(), "repo");
    const price_table& p = default_prices();
    EXPECT_EQ(p.as_of, repo.as_of);
    EXPECT_FALSE(p.source.empty());
    EXPECT_EQ(p.tiers("x86_64").size(), 3u);
    EXPECT_DOUBLE_EQ(p.tiers("arm64")[1].usd_per_gb_second,
                     repo.tiers("arm64")[1].usd_per_gb_second);
    EXPECT_DOUBLE_EQ(p.usd_per_request, 0.20 / 1e6);
}

TEST(Cost, X86TierBoundaries) {
    // Exactly 6 billion GB-s: all in tier 1.
    auto c = monthly(usage(6e9));
    EXPECT_NEAR(c.duration_usd, 6e9 * 0.0000166667, 1e-3);
    // 6 billion + 1 million: the last million at tier 2.
    c = monthly(usage(6e9 + 1e6));
    EXPECT_NEAR(c.duration_usd, 6e9 * 0.0000166667 + 1e6 * 0.000015, 1e-3);
    // 15 billion: tier 1 full, tier 2 full (9 billion).
    c = monthly(usage(15e9));
    EXPECT_NEAR(c.duration_usd, 6e9 * 0.0000166667 + 9e9 * 0.000015, 1e-2);
    // 20 billion: 5 billion in tier 3.
    c = monthly(usage(20e9));
    EXPECT_NEAR(c.duration_usd, 6e9 * 0.0000166667 + 9e9 * 0.000015 + 5e9 * 0.0000133334, 1e-2);
    EXPECT_NEAR(c.request_usd, 20e9 * 0.2 / 1e6, 1e-6);
}

TEST(Cost, Arm64TierBoundaries) {
    auto c = monthly(usage(7.5e9, "arm64"));
    EXPECT_NEAR(c.duration_usd, 7.5e9 * 0.0000133334, 1e-3);
    c = monthly(usage(18.75e9 + 1e9, "arm64"));
    EXPECT_NEAR(c.duration_usd, 7.5e9 * 0.0000133334 + 11.25e9 * 0.0000120001 + 1e9 * 0.0000106667,
                1e-2);
}

TEST(Cost, SmallMonthMatchesTheMarginalPrice) {
    // 1 million invocations of 100 ms at 512 MB: 50,000 GB-s, all in tier 1.
    monthly_usage u;
    u.invocations = 1e6;
    u.billed_ms = 100;
    u.memory_mb = 512;
    const auto c = monthly(u);
    EXPECT_NEAR(c.gb_seconds, 50'000, 1e-6);
    EXPECT_NEAR(c.total_usd(), cost_per_million(100, 512, "x86_64"), 1e-9);
    EXPECT_NEAR(c.total_usd(), 50'000 * 0.0000166667 + 0.20, 1e-9);
}

TEST(Cost, FreeTierTakesRequestsAndGbSecondsOff) {
    monthly_usage u;
    u.invocations = 3e6;
    u.billed_ms = 200;
    u.memory_mb = 1024;  // 600,000 GB-s
    u.free_tier = true;
    auto c = monthly(u);
    EXPECT_NEAR(c.duration_usd, 200'000 * 0.0000166667, 1e-9);
    EXPECT_NEAR(c.request_usd, 2e6 * 0.2 / 1e6, 1e-12);
    // Below the free tier: nothing to pay.
    u.invocations = 1e5;
    c = monthly(u);
    EXPECT_EQ(c.total_usd(), 0);
}

TEST(Cost, EphemeralStorageAbove512MbIsBilledPerGbSecond) {
    monthly_usage u;
    u.invocations = 1e6;
    u.billed_ms = 1000;
    u.memory_mb = 128;
    u.ephemeral_storage_mb = 512;
    EXPECT_EQ(monthly(u).storage_usd, 0);
    u.ephemeral_storage_mb = 10240;  // 9.5 GB above the free 512 MB, for 1e6 seconds
    EXPECT_NEAR(monthly(u).storage_usd, 9.5 * 1e6 * 0.0000000309, 1e-9);
}

TEST(Cost, RecommendationStatesTheMonthlyCostAtTheVolume) {
    std::vector<cost_point> pts{{128, 100, 1.0, 0, 100}, {1024, 10, 2.0, 0, 10}};
    cost_options o;
    o.invocations_per_month = 10e6;
    const auto r = recommend(pts, "x86_64", o);
    EXPECT_EQ(r.cheapest_mb, 128);
    // 10M × 0.1 s × 0.125 GB = 125,000 GB-s → $2.083 + $2.00 requests.
    EXPECT_NEAR(r.cheapest_monthly_usd, 125'000 * 0.0000166667 + 2.0, 1e-9);
    EXPECT_NEAR(r.fastest_monthly_usd, 100'000 * 0.0000166667 + 2.0, 1e-9);
    EXPECT_DOUBLE_EQ(r.invocations_per_month, 10e6);
}

TEST(Cost, MalformedPriceFilesAreRefusedWithTheKey) {
    const std::string good = repo_prices();
    auto expect_bad = [](const std::string& text, const std::string& needle) {
        try {
            parse_price_table(text, "p.toml");
            ADD_FAILURE() << "accepted: " << needle;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    expect_bad("as_of = [", "not valid TOML");
    expect_bad("source = \"x\"\n", "as_of");
    auto replace = [&](std::string from, std::string to) {
        std::string s = good;
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    expect_bad(replace("usd_per_million = 0.20", "usd_per_million = -1"),
               "requests.usd_per_million");
    expect_bad(replace("usd_per_million = 0.20", "usd_per_million = \"free\""),
               "requests.usd_per_million");
    expect_bad(replace("up_to_gb_seconds = 15_000_000_000", "up_to_gb_seconds = 1_000"),
               "must increase");
    expect_bad(good + "\n[[duration.riscv]]\nup_to_gb_seconds = 5\nusd_per_gb_second = 1\n",
               "last tier has no upper bound");
    EXPECT_THROW(default_prices().tiers("sparc"), std::invalid_argument);
}
