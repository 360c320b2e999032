// The cost flags `lambench run` and `lambench report` share: the monthly volume and free tier
// behind the recommendations' monthly figures.
#pragma once

#include <CLI/CLI.hpp>

#include "driver/cost.hpp"

namespace lambench::cli {

inline void add_cost_flags(CLI::App& app, driver::cost_options& o) {
    app.add_option("--invocations-per-month", o.invocations_per_month,
                   "monthly volume for the recommendations' monthly cost (default 1000000)")
        ->check(CLI::Range(0.0, 1e15));
    app.add_flag(
        "--free-tier", o.free_tier,
        "deduct Lambda's monthly free tier (1M requests, 400,000 GB-s) from monthly costs");
}

}  // namespace lambench::cli
