// Two runs side by side, variant by variant: the same (variant, memory, phase) in A and B,
// B's median over A's with the propagated uncertainty, and a verdict.
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
    ratio b_over_a;  // of means, hyperfine's propagation
    std::string
        verdict;  // "B 1.84 ± 0.05 times faster", "B 1.10 ± 0.20 times slower (within noise)", ...
};

std::vector<run_delta> compare_runs(const run_summary& a, const run_summary& b);
std::string render_comparison(const run_summary& a, const run_summary& b,
                              const std::vector<run_delta>& d, bool markdown);

}  // namespace lambench::driver
