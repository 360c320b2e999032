#include "driver/cost.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace lambench::driver {

double price_per_gb_second(const std::string& architecture) {
    if (architecture == "x86_64") return price_per_gb_s_x86_64;
    if (architecture == "arm64") return price_per_gb_s_arm64;
    throw std::invalid_argument("unknown architecture '" + architecture +
                                "' (expected x86_64 or arm64)");
}

double invocation_cost(double billed_ms, int memory_mb, const std::string& architecture) {
    return billed_ms / 1000.0 * (memory_mb / 1024.0) * price_per_gb_second(architecture) +
           price_per_request;
}

double cold_billed_ms(double billed_ms, double duration_ms, double init_ms) {
    const double floor_ms = std::ceil(duration_ms) + (std::isnan(init_ms) ? 0 : std::ceil(init_ms));
    return std::max(billed_ms, floor_ms);
}

recommendation recommend(const std::vector<cost_point>& points) {
    recommendation r;
    if (points.empty()) return r;
    double best_cost = std::numeric_limits<double>::infinity();
    double best_time = std::numeric_limits<double>::infinity();
    for (const auto& p : points) {
        best_cost = std::min(best_cost, p.warm_cost_per_million);
        best_time = std::min(best_time, p.warm_median_ms);
    }
    const cost_point* cheapest = nullptr;
    const cost_point* fastest = nullptr;
    const cost_point* balanced = nullptr;
    double best_score = std::numeric_limits<double>::infinity();
    for (const auto& p : points) {
        if (!cheapest || p.warm_cost_per_million < cheapest->warm_cost_per_million ||
            (p.warm_cost_per_million == cheapest->warm_cost_per_million &&
             p.warm_median_ms < cheapest->warm_median_ms))
            cheapest = &p;
        if (!fastest || p.warm_median_ms < fastest->warm_median_ms ||
            (p.warm_median_ms == fastest->warm_median_ms &&
             p.warm_cost_per_million < fastest->warm_cost_per_million))
            fastest = &p;
        const double score = (best_cost > 0 ? p.warm_cost_per_million / best_cost : 1) *
                             (best_time > 0 ? p.warm_median_ms / best_time : 1);
        if (score < best_score) {
            best_score = score;
            balanced = &p;
        }
    }
    r.cheapest_mb = cheapest->memory_mb;
    r.fastest_mb = fastest->memory_mb;
    r.balanced_mb = balanced ? balanced->memory_mb : cheapest->memory_mb;
    return r;
}

}  // namespace lambench::driver
