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

namespace {

// Midranks (1-based) of the pooled samples, and Σ(t³ - t) over tie groups.
struct pooled_ranks {
    std::vector<double> rank_of_b;  // rank of each b value
    double tie_term = 0;
};
pooled_ranks rank_pooled(const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<std::pair<double, bool>> all;  // value, from b
    all.reserve(a.size() + b.size());
    for (double x : a) all.emplace_back(x, false);
    for (double x : b) all.emplace_back(x, true);
    std::sort(all.begin(), all.end(),
              [](const auto& l, const auto& r) { return l.first < r.first; });
    pooled_ranks out;
    for (std::size_t i = 0; i < all.size();) {
        std::size_t j = i;
        while (j < all.size() && all[j].first == all[i].first) ++j;
        const double t = static_cast<double>(j - i);
        const double midrank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
        for (std::size_t k = i; k < j; ++k)
            if (all[k].second) out.rank_of_b.push_back(midrank);
        out.tie_term += t * t * t - t;
        i = j;
    }
    return out;
}

// P(U <= u) under the null for sample sizes m, n without ties: the number of arrangements with
// U = k satisfies c(m, n, k) = c(m-1, n, k-n) + c(m, n-1, k) (the largest value is from the first
// sample or not); divided by C(m+n, m).
double exact_u_cdf(std::size_t m, std::size_t n, double u) {
    const std::size_t max_u = m * n;
    // c[i][j] is the count vector for sizes (i, j); build row by row.
    std::vector<std::vector<std::vector<double>>> c(m + 1, std::vector<std::vector<double>>(n + 1));
    for (std::size_t i = 0; i <= m; ++i)
        for (std::size_t j = 0; j <= n; ++j) {
            auto& v = c[i][j];
            v.assign(i * j + 1, 0.0);
            if (i == 0 || j == 0) {
                v[0] = 1;
                continue;
            }
            for (std::size_t k = 0; k <= i * j; ++k) {
                double count = 0;
                if (k >= j && k - j < c[i - 1][j].size()) count += c[i - 1][j][k - j];
                if (k < c[i][j - 1].size()) count += c[i][j - 1][k];
                v[k] = count;
            }
        }
    double total = 0, below = 0;
    for (std::size_t k = 0; k <= max_u; ++k) {
        total += c[m][n][k];
        if (static_cast<double>(k) <= u + 1e-9) below += c[m][n][k];
    }
    return below / total;
}

}  // namespace

rank_test mann_whitney(const std::vector<double>& a, const std::vector<double>& b) {
    rank_test t;
    if (a.empty() || b.empty()) {
        t.u = t.p = nan;
        return t;
    }
    const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
    const pooled_ranks r = rank_pooled(a, b);
    double rank_sum = 0;
    for (double x : r.rank_of_b) rank_sum += x;
    t.u = rank_sum - nb * (nb + 1) / 2;  // pairs (a_i, b_j) with b_j > a_i, ties ½
    const double mu = na * nb / 2;
    const double n = na + nb;
    if (r.tie_term == 0 && a.size() + b.size() <= 40) {
        // U of b under the null is distributed like U of the first sample with sizes (nb, na).
        const double lower = exact_u_cdf(b.size(), a.size(), t.u);
        const double upper = 1 - exact_u_cdf(b.size(), a.size(), t.u - 1);
        t.p = std::min(1.0, 2 * std::min(lower, upper));
        t.exact = true;
        return t;
    }
    const double var = na * nb / 12 * ((n + 1) - r.tie_term / (n * (n - 1)));
    if (var <= 0) {
        t.p = 1;  // every value equal: no evidence of any difference
        return t;
    }
    const double z = std::max(0.0, std::abs(t.u - mu) - 0.5) / std::sqrt(var);
    t.p = std::min(1.0, std::erfc(z / std::sqrt(2.0)));
    return t;
}

ratio_interval median_ratio(const std::vector<double>& a, const std::vector<double>& b,
                            double level, int resamples, unsigned long long seed) {
    ratio_interval out;
    out.level = level;
    const double ma = median(a);
    if (a.empty() || b.empty() || ma == 0 || std::isnan(ma)) {
        out.value = out.low = out.high = nan;
        return out;
    }
    out.value = median(b) / ma;
    // splitmix64: tiny, well mixed, and the same sequence on every platform.
    auto next = [&seed] {
        seed += 0x9e3779b97f4a7c15ULL;
        unsigned long long z = seed;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    auto resampled_median = [&](const std::vector<double>& xs, std::vector<double>& buf) {
        buf.resize(xs.size());
        for (auto& x : buf) x = xs[next() % xs.size()];
        return median(buf);
    };
    std::vector<double> ratios, buf;
    ratios.reserve(static_cast<std::size_t>(std::max(resamples, 1)));
    for (int i = 0; i < resamples; ++i) {
        const double da = resampled_median(a, buf);
        const double db = resampled_median(b, buf);
        if (da != 0) ratios.push_back(db / da);
    }
    if (ratios.empty()) {
        out.low = out.high = out.value;
        return out;
    }
    const double tail = (1 - level) / 2 * 100;
    out.low = percentile(ratios, tail);
    out.high = percentile(ratios, 100 - tail);
    // The point estimate lies in its own interval even when the bootstrap distribution is lumpy
    // (few distinct values).
    out.low = std::min(out.low, out.value);
    out.high = std::max(out.high, out.value);
    return out;
}

}  // namespace lambench::driver
