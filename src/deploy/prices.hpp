// What leaving the deployed setup up costs, for `lambench aws deploy`'s estimate. Every figure
// in one place, with where it comes from: on-demand list prices for us-east-1 (N. Virginia),
// as published on https://aws.amazon.com/rds/postgresql/pricing/ and
// https://aws.amazon.com/secrets-manager/pricing/, noted in 2025 and not re-checked from a
// machine without internet access. Other regions cost somewhat more; the estimate says so.
// Lambda itself costs nothing while idle; its per-invocation price is driver/cost.hpp's.
#pragma once

#include <optional>
#include <string>

namespace lambench::deploy {

inline constexpr const char* price_source =
    "us-east-1 on-demand list prices (aws.amazon.com/rds/postgresql/pricing, "
    "aws.amazon.com/secrets-manager/pricing), noted 2025";

// RDS for PostgreSQL, Single-AZ, per instance-hour; nullopt for a class not listed here.
std::optional<double> rds_hourly_usd(const std::string& instance_class);

inline constexpr double rds_gp3_gb_month_usd = 0.115;  // storage, per GB-month
inline constexpr int rds_storage_gb = 20;              // AllocatedStorage in the template
inline constexpr double secret_month_usd = 0.40;       // one Secrets Manager secret
inline constexpr double hours_per_month = 730;         // AWS's billing month

struct cost_estimate {
    bool known = true;     // false: the instance class has no price here
    double per_hour = 0;   // everything, spread over the hours of a month
    double per_month = 0;  // instance + storage + secret
};
// The standing cost of the stack; zero without a database (the role and the security group are
// free, and so are functions that are not invoked).
cost_estimate standing_cost(bool with_database, const std::string& instance_class);

}  // namespace lambench::deploy
