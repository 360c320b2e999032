// The Lambda price model: billed duration × memory × a tiered price per GB-second by
// architecture, a fee per request, ephemeral storage above 512 MB, and optionally the free tier.
// Every figure comes from one data file, data/lambda-prices.toml, embedded at build time.
#pragma once

#include <limits>
#include <map>
#include <string>
#include <vector>

namespace lambench::driver {

struct price_tier {
    double up_to_gb_seconds = std::numeric_limits<double>::infinity();  // monthly, cumulative
    double usd_per_gb_second = 0;
};

struct price_table {
    std::string as_of, source, region;
    double usd_per_request = 0;
    int storage_free_mb = 512;
    double storage_usd_per_gb_second = 0;
    double free_requests = 0, free_gb_seconds = 0;
    std::map<std::string, std::vector<price_tier>> duration;  // architecture → tiers, ascending

    // Throws std::invalid_argument for an architecture the table has no price for.
    const std::vector<price_tier>& tiers(const std::string& architecture) const;
};

// Parses a price file (the format of data/lambda-prices.toml). Throws std::invalid_argument
// naming the file and the key for anything missing, negative, or tiers out of order.
price_table parse_price_table(const std::string& toml_text, const std::string& source_name);
// The embedded table (parsed once).
const price_table& default_prices();

// Marginal price of one invocation in the first duration tier plus the request fee, no free tier:
// the per-invocation figure of the tables. Memory GB is memory_mb / 1024, as AWS bills it.
double invocation_cost(double billed_ms, int memory_mb, const std::string& architecture);
inline double cost_per_million(double billed_ms, int memory_mb, const std::string& architecture) {
    return invocation_cost(billed_ms, memory_mb, architecture) * 1'000'000;
}
// The first tier's price per GB-second (throws std::invalid_argument for an unknown architecture).
double price_per_gb_second(const std::string& architecture);

// A month of one function at one memory size.
struct monthly_usage {
    double invocations = 0;
    double billed_ms = 0;  // per invocation
    int memory_mb = 128;
    int ephemeral_storage_mb = 512;
    std::string architecture = "x86_64";
    bool free_tier = false;  // deduct the monthly free requests and GB-seconds
};
struct monthly_cost {
    double gb_seconds = 0, duration_usd = 0, request_usd = 0, storage_usd = 0;
    double total_usd() const { return duration_usd + request_usd + storage_usd; }
};
// Duration is priced tier by tier over the month's GB-seconds (this function alone in the
// account). The free tier's GB-seconds are taken off the first tier's bottom, its requests off
// the request count.
monthly_cost monthly(const monthly_usage& u, const price_table& prices = default_prices());

// Billed ms of a cold invocation: the REPORT's Billed Duration, but never less than
// ceil(Init Duration + Duration) — INIT is billed for on-demand functions since August 2025, and
// a service that still reports the old figure must not look cheaper.
double cold_billed_ms(double billed_ms, double duration_ms, double init_ms);

// One memory size of one variant, as the recommendation sees it.
struct cost_point {
    int memory_mb = 0;
    double warm_median_ms = 0;  // warm Duration median
    double warm_cost_per_million = 0;
    double cold_cost_per_million = 0;
    double warm_billed_ms = 0;  // warm Billed Duration median
};

// Which memory size to choose for a variant: cheapest (warm cost per million; ties → faster),
// fastest (warm median; ties → cheaper), balanced (smallest product of cost and latency, each
// normalised by the best value across sizes: the knee of the cost/speed curve). Each choice also
// states its monthly cost at the volume given to recommend().
struct recommendation {
    int cheapest_mb = 0, fastest_mb = 0, balanced_mb = 0;
    double cheapest_monthly_usd = 0, fastest_monthly_usd = 0, balanced_monthly_usd = 0;
    double invocations_per_month = 0;
};

// How the monthly figures are computed.
struct cost_options {
    double invocations_per_month = 1'000'000;
    bool free_tier = false;
};

recommendation recommend(const std::vector<cost_point>& points,
                         const std::string& architecture = "x86_64",
                         const cost_options& options = {});

}  // namespace lambench::driver
