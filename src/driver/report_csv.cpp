// CSV: one row per (variant, memory, phase); a skipped variant is one "n/a" row.
// Columns: function, profile, library, runtime, architecture, memory_mb, phase (cold|warm),
// status (ok|error|n/a), n (successful samples), failed, then the "time" statistics in ms
// (cold: Init + Duration; warm: Duration): median, mdape_pct, mean, stddev (n-1), min, max,
// p90, p99 (type-7 percentiles), ci_low/ci_high (95 % order-statistic CI of the median),
// init/duration/billed/round-trip medians, max_memory_mb, cost_per_million_usd, error.

#include <string>

#include "driver/format.hpp"
#include "driver/reporters.hpp"

namespace lambench::driver {

std::string render_csv(const run_summary& s) {
    std::string out =
        "function,profile,library,runtime,architecture,memory_mb,phase,status,n,failed,"
        "median_ms,mdape_pct,mean_ms,stddev_ms,min_ms,max_ms,p90_ms,p99_ms,ci_low_ms,ci_high_ms,"
        "init_median_ms,duration_median_ms,billed_median_ms,round_trip_median_ms,max_memory_mb,"
        "cost_per_million_usd,error\n";
    using format::csv_escape;
    using format::fixed;
    for (const auto& v : s.variants) {
        const std::string prefix = csv_escape(v.info.function) + "," + csv_escape(v.info.profile) +
                                   "," + csv_escape(v.info.library) + "," +
                                   csv_escape(v.info.runtime) + "," +
                                   csv_escape(v.info.architecture) + ",";
        if (v.skipped) {
            out += prefix + ",,n/a,0,0," + std::string(16, ',') + csv_escape(v.skip_reason) + "\n";
            continue;
        }
        for (const auto& c : v.cells) {
            const auto& t = c.total;
            out += prefix + std::to_string(c.memory_mb) + "," + to_string(c.kind) + "," +
                   (c.is_error() ? "error" : "ok") + "," + std::to_string(t.n) + "," +
                   std::to_string(c.failed) + "," + fixed(t.median, 3) + "," +
                   fixed(t.mdape * 100, 2) + "," + fixed(t.mean, 3) + "," + fixed(t.stddev, 3) +
                   "," + fixed(t.min, 3) + "," + fixed(t.max, 3) + "," + fixed(t.p90, 3) + "," +
                   fixed(t.p99, 3) + "," + fixed(t.median_ci.low, 3) + "," +
                   fixed(t.median_ci.high, 3) + "," + fixed(c.init.median, 3) + "," +
                   fixed(c.duration.median, 3) + "," + fixed(c.billed.median, 3) + "," +
                   fixed(c.round_trip.median, 3) + "," + fixed(c.max_memory_mb, 0) + "," +
                   fixed(c.cost_per_million, 6) + "," +
                   csv_escape(c.failed ? c.error_type + ": " + c.error_message : "") + "\n";
        }
    }
    return out;
}

}  // namespace lambench::driver
