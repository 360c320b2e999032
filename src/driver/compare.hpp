// Two runs side by side, variant by variant: the same (variant, memory, phase) in A and B, B's
// median over A's with a bootstrap confidence interval, a Mann–Whitney U test, and a verdict that
// agrees with the medians shown: "faster"/"slower" only when the test rejects "same distribution"
// (p < 0.05) and the interval excludes 1, else "within noise".
#pragma once

#include <string>
#include <vector>

#include "driver/summary.hpp"

namespace lambench::driver {

struct run_delta {
    std::string variant;
    int memory_mb = 0;
    phase kind = phase::warm;
    std::string a_status, b_status;  // "ok" | "error" | "n/a" | "missing"
    double a_median = no_value, b_median = no_value;
    ratio_interval b_over_a;  // median(B) / median(A), 95 % bootstrap interval
    rank_test test;           // Mann–Whitney U of B against A
    bool significant = false;
    // "B 1.84 times faster [1.70, 1.99], p < 0.001",
    // "B 1.10 times slower [0.95, 1.30], p = 0.21 (within noise)", ...
    std::string verdict;
};

// The verdict for samples A and B alone (compare_runs applies it per cell).
inline constexpr double significance_level = 0.05;
run_delta judge(const std::vector<double>& a, const std::vector<double>& b);

std::vector<run_delta> compare_runs(const run_summary& a, const run_summary& b);
std::string render_comparison(const run_summary& a, const run_summary& b,
                              const std::vector<run_delta>& d, bool markdown);

}  // namespace lambench::driver
