#include "driver/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace lambench::driver {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// P(B <= k) for B ~ Binomial(n, 1/2), summed in log space so n in the thousands is fine.
double binomial_half_cdf(std::size_t n, std::size_t k) {
    double total = 0;
    const double log_half_n = static_cast<double>(n) * std::log(0.5);
    for (std::size_t i = 0; i <= k && i <= n; ++i) {
        const double log_choose = std::lgamma(static_cast<double>(n) + 1) -
                                  std::lgamma(static_cast<double>(i) + 1) -
                                  std::lgamma(static_cast<double>(n - i) + 1);
        total += std::exp(log_choose + log_half_n);
    }
    return std::min(total, 1.0);
}
}  // namespace

double percentile(std::vector<double> xs, double p) {
    if (xs.empty()) return nan;
    std::sort(xs.begin(), xs.end());
    const double h = static_cast<double>(xs.size() - 1) * std::clamp(p, 0.0, 100.0) / 100.0;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const auto hi = std::min(lo + 1, xs.size() - 1);
    return xs[lo] + (h - static_cast<double>(lo)) * (xs[hi] - xs[lo]);
}

double median(std::vector<double> xs) {
    return percentile(std::move(xs), 50);
}

double mean(const std::vector<double>& xs) {
    if (xs.empty()) return nan;
    return std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
}

double stddev(const std::vector<double>& xs) {
    if (xs.size() < 2) return nan;
    const double m = mean(xs);
    double ss = 0;
    for (double x : xs) ss += (x - m) * (x - m);
    return std::sqrt(ss / static_cast<double>(xs.size() - 1));
}

double mdape(const std::vector<double>& xs) {
    if (xs.empty()) return nan;
    const double m = median(xs);
    std::vector<double> errors;
    errors.reserve(xs.size());
    for (double x : xs) errors.push_back(x == 0 ? 0 : std::abs((x - m) / x));
    return median(std::move(errors));
}

double mad(const std::vector<double>& xs) {
    if (xs.empty()) return nan;
    const double m = median(xs);
    std::vector<double> dev;
    dev.reserve(xs.size());
    for (double x : xs) dev.push_back(std::abs(x - m));
    return median(std::move(dev));
}

interval median_ci(std::vector<double> xs, double level) {
    if (xs.empty()) return {nan, nan, 0};
    std::sort(xs.begin(), xs.end());
    const std::size_t n = xs.size();
    const double tail = (1 - level) / 2;
    // Largest 1-based rank l with P(B <= l-1) <= tail; at least 1 (the full range).
    std::size_t l = 1;
    while (l + 1 <= (n + 1) / 2 && binomial_half_cdf(n, l) <= tail) ++l;
    double coverage = 1 - 2 * (l >= 1 ? binomial_half_cdf(n, l - 1) : 0);
    if (l == 1) coverage = 1 - 2 * std::pow(0.5, static_cast<double>(n));
    if (n == 1) coverage = 0;  // one sample says nothing about where the median lies
    return {xs[l - 1], xs[n - l], coverage};
}

std::vector<std::size_t> outliers_mad(const std::vector<double>& xs) {
    std::vector<std::size_t> out;
    if (xs.size() < 3) return out;
    const double m = median(xs);
    const double d = mad(xs);
    if (d == 0) return out;
    for (std::size_t i = 0; i < xs.size(); ++i)
        if (std::abs(0.6745 * (xs[i] - m) / d) > 3.5) out.push_back(i);
    return out;
}

summary_stats summarize(const std::vector<double>& xs) {
    summary_stats s;
    s.n = xs.size();
    if (xs.empty()) {
        s.min = s.max = s.mean = s.median = s.p90 = s.p99 = s.stddev = s.mdape = nan;
        s.median_ci = median_ci(xs);
        return s;
    }
    const auto [lo, hi] = std::minmax_element(xs.begin(), xs.end());
    s.min = *lo;
    s.max = *hi;
    s.mean = mean(xs);
    s.median = median(xs);
    s.p90 = percentile(xs, 90);
    s.p99 = percentile(xs, 99);
    s.stddev = stddev(xs);
    s.mdape = mdape(xs);
    s.median_ci = median_ci(xs);
    s.outliers = outliers_mad(xs).size();
    return s;
}

ratio ratio_of(const summary_stats& a, const summary_stats& b) {
    if (a.n == 0 || b.n == 0 || b.mean == 0) return {nan, nan};
    const double r = a.mean / b.mean;
    const double ra = a.n > 1 && a.mean != 0 ? a.stddev / a.mean : 0;
    const double rb = b.n > 1 ? b.stddev / b.mean : 0;
    return {r, std::abs(r) * std::sqrt(ra * ra + rb * rb)};
}

}  // namespace lambench::driver
