// The one plain result record every reporter formats: a run's samples reduced to statistics
// per (variant, memory, phase), with cost, recommendations, ratios and typed warnings.
// Built from the results file only, so `lambench report` redraws any past run.
#pragma once

#include <string>
#include <vector>

#include "driver/cost.hpp"
#include "driver/results.hpp"
#include "driver/stats.hpp"

namespace lambench::driver {

struct cell {
    int memory_mb = 0;
    phase kind = phase::warm;
    std::size_t planned = 0, attempted = 0, failed = 0;
    summary_stats duration;      // Duration of successful samples
    summary_stats init;          // Init Duration (cold only)
    summary_stats total;         // cold: Init + Duration per sample ("cold start"); warm: Duration
    summary_stats billed;        // Billed Duration (cold: with INIT, see cold_billed_ms)
    summary_stats round_trip;    // client round trip (streaming: time to last byte)
    summary_stats first_byte;    // streaming functions: client time to first byte
    std::vector<double> totals;  // the distribution behind `total`, in sample order
    double max_memory_mb = no_value;
    double cost_per_million = no_value;     // USD per million invocations at the median billed ms
    std::string error_type, error_message;  // the first failure, if any
    std::size_t cold_without_init = 0;      // cold samples whose REPORT had no Init Duration

    bool has_data() const { return total.n > 0; }
    bool is_error() const { return total.n == 0 && failed > 0; }
};

struct variant_summary {
    variant_info info;
    bool skipped = false;
    std::string skip_reason;
    std::vector<cell> cells;  // memory ascending, cold before warm
    recommendation rec;
    bool has_recommendation = false;

    const cell* find(int memory_mb, phase kind) const;
};

enum class warning_kind {
    too_few_samples,
    high_spread,
    cgroups_off,
    debug_build,
    failures,
    cold_without_init
};
const char* to_string(warning_kind k);

struct warning {
    warning_kind kind;
    std::string subject;  // e.g. "hello/static @ 128 MB warm", or "" for the run
    std::string message;  // what was seen
    std::string advice;   // what to change
};
std::string format_warning(const warning& w);  // "warning [high-spread] subject: message; advice"

struct run_summary {
    run_header header;
    std::vector<variant_summary> variants;  // plan order, then any variant seen only in samples
    std::vector<int> memory;                // all memory sizes, ascending
    std::vector<warning> warnings;
    std::vector<std::string> read_warnings;
    cost_options cost;  // the volume the recommendations' monthly costs assume
    std::size_t total_samples = 0, failed_samples = 0;

    const variant_summary* find(const std::string& function, const std::string& profile) const;
    std::vector<std::string> functions() const;  // in plan order
    std::vector<std::string> profiles() const;   // in plan order
};

// Thresholds behind the warnings, stated once.
inline constexpr std::size_t min_cold_samples = 5, min_warm_samples = 10;
inline constexpr double high_spread_mdape = 0.10;

// `cost` sets the monthly volume (and free tier) behind the recommendations' monthly figures.
run_summary summarize(const results& r, const cost_options& cost = {});

// The measured size closest to `wanted` (ties: the smaller); `wanted` when nothing was measured.
int nearest_memory(const std::vector<int>& memory, int wanted);

// "1.84 ± 0.05" for a ratio of two cells' totals (hyperfine's propagation).
struct comparison {
    std::string faster, slower;  // variant ids
    int memory_mb = 0;
    phase kind = phase::warm;
    ratio r;
};
// Per function, memory and phase: the fastest profile against each other profile.
std::vector<comparison> compare_profiles(const run_summary& s);

}  // namespace lambench::driver
