#include "deploy/prices.hpp"

#include <map>

namespace lambench::deploy {

std::optional<double> rds_hourly_usd(const std::string& instance_class) {
    static const std::map<std::string, double> hourly = {
        {"db.t4g.micro", 0.016}, {"db.t4g.small", 0.032}, {"db.t4g.medium", 0.065},
        {"db.t4g.large", 0.129}, {"db.t3.micro", 0.018},  {"db.t3.small", 0.036},
        {"db.t3.medium", 0.072}, {"db.t3.large", 0.145},
    };
    if (auto it = hourly.find(instance_class); it != hourly.end()) return it->second;
    return std::nullopt;
}

cost_estimate standing_cost(bool with_database, const std::string& instance_class) {
    cost_estimate c;
    if (!with_database) return c;
    const auto hourly = rds_hourly_usd(instance_class);
    c.known = hourly.has_value();
    c.per_month = hourly.value_or(0) * hours_per_month + rds_gp3_gb_month_usd * rds_storage_gb +
                  secret_month_usd;
    c.per_hour = c.per_month / hours_per_month;
    return c;
}

}  // namespace lambench::deploy
