// Statistics of one sample set: small pure functions over a vector of milliseconds.
// Every function accepts 0 and 1 samples and answers something defined (NaN where the
// quantity does not exist), so reporters never special-case empty cells.
#pragma once

#include <cstddef>
#include <vector>

namespace lambench::driver {

// Percentile p in [0, 100], linear interpolation between closest ranks (Hyndman & Fan type 7,
// the default of numpy and R): h = (n-1)·p/100, x[floor h] + (h - floor h)·(x[floor h+1] - x[floor
// h]).
double percentile(std::vector<double> xs, double p);
double median(std::vector<double> xs);
double mean(const std::vector<double>& xs);
// Sample standard deviation (divides by n-1); NaN for n < 2.
double stddev(const std::vector<double>& xs);
// Median absolute percentage error (nanobench): median over i of |x_i - median| / |x_i|,
// as a fraction (0.05 = 5 %). Robust spread for the headline "median ± MdAPE".
double mdape(const std::vector<double>& xs);
// Median absolute deviation (unscaled): median of |x_i - median|.
double mad(const std::vector<double>& xs);

// Distribution-free confidence interval for the median from order statistics: the ranks
// l and n+1-l where l is the largest rank with P(Binomial(n, 1/2) < l) <= (1-level)/2.
// For small n (< 6 at 95 %) no such rank exists and the interval is [min, max] with the
// coverage it really has (e.g. 0.9375 for n = 5), which is reported alongside.
struct interval {
    double low = 0, high = 0;
    double coverage = 0;  // exact coverage probability of [low, high]
};
interval median_ci(std::vector<double> xs, double level = 0.95);

// Outliers by the modified z-score of Iglewicz & Hoaglin: |0.6745·(x - median)/MAD| > 3.5.
// When MAD is 0 (more than half the samples identical) nothing is flagged: there is no scale.
std::vector<std::size_t> outliers_mad(const std::vector<double>& xs);

struct summary_stats {
    std::size_t n = 0;
    double min = 0, max = 0, mean = 0, median = 0, p90 = 0, p99 = 0, stddev = 0, mdape = 0;
    interval median_ci;
    std::size_t outliers = 0;
};
summary_stats summarize(const std::vector<double>& xs);

// "a is ratio ± uncertainty times b", the way hyperfine propagates it: ratio of means,
// σ_ratio = ratio·sqrt((σa/μa)² + (σb/μb)²). A missing σ (n < 2) counts as 0.
struct ratio {
    double value = 0, uncertainty = 0;
};
ratio ratio_of(const summary_stats& a, const summary_stats& b);

// Mann–Whitney U test, two-sided: do the two samples come from one distribution? Rank-based, so a
// few huge latencies weigh no more than any other sample above the rest — the test for skewed
// latency data. `u` is U of `b` (the number of pairs where b's value is the larger, ties counting
// ½). p is exact (the permutation distribution of U) when there are no ties and n_a + n_b <= 40,
// else the normal approximation with tie and continuity correction. p = NaN when either sample is
// empty; p = 1 when every value is the same.
struct rank_test {
    double u = 0, p = 0;
    bool exact = false;
};
rank_test mann_whitney(const std::vector<double>& a, const std::vector<double>& b);

// median(b) / median(a) with a percentile bootstrap confidence interval: `resamples` times, each
// sample resampled with replacement and the ratio of the resampled medians taken. The generator is
// seeded from `seed`, so one pair of inputs always gives one interval. NaN everywhere when either
// sample is empty or median(a) is 0.
struct ratio_interval {
    double value = 0, low = 0, high = 0;
    double level = 0.95;
    bool contains_one() const { return low <= 1 && 1 <= high; }
};
ratio_interval median_ratio(const std::vector<double>& a, const std::vector<double>& b,
                            double level = 0.95, int resamples = 2000,
                            unsigned long long seed = 0x6c616d62656e6368ULL);

}  // namespace lambench::driver
