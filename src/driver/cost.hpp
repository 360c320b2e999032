// The Lambda price model (docs/architecture.md, "Cost"): billed ms × memory GB × price per
// GB-s by architecture, plus $0.20 per million requests. First tier only; no free tier.
#pragma once

#include <string>
#include <vector>

namespace lambench::driver {

inline constexpr double price_per_gb_s_x86_64 = 0.0000166667;
inline constexpr double price_per_gb_s_arm64 = 0.0000133334;
inline constexpr double price_per_request = 0.20 / 1'000'000;

// Throws std::invalid_argument for anything but "x86_64" / "arm64".
double price_per_gb_second(const std::string& architecture);

// Memory GB is memory_mb / 1024, as AWS bills it.
double invocation_cost(double billed_ms, int memory_mb, const std::string& architecture);
inline double cost_per_million(double billed_ms, int memory_mb, const std::string& architecture) {
    return invocation_cost(billed_ms, memory_mb, architecture) * 1'000'000;
}

// Billed ms of a cold invocation: the REPORT's Billed Duration, but never less than
// ceil(Duration) + ceil(Init Duration) — INIT is billed for on-demand functions since
// August 2025, and a service that still reports the old figure must not look cheaper.
double cold_billed_ms(double billed_ms, double duration_ms, double init_ms);

// One memory size of one variant, as the recommendation sees it.
struct cost_point {
    int memory_mb = 0;
    double warm_median_ms = 0;  // warm Duration median
    double warm_cost_per_million = 0;
    double cold_cost_per_million = 0;
};

// Which memory size to choose for a variant: cheapest (warm cost per million; ties → faster),
// fastest (warm median; ties → cheaper), balanced (smallest product of cost and latency, each
// normalised by the best value across sizes: the knee of the cost/speed curve).
struct recommendation {
    int cheapest_mb = 0, fastest_mb = 0, balanced_mb = 0;
};
recommendation recommend(const std::vector<cost_point>& points);

}  // namespace lambench::driver
