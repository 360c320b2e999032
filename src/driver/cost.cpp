#include "driver/cost.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace lambench::driver {

extern const char* const embedded_lambda_prices;  // generated from data/lambda-prices.toml

namespace {

[[noreturn]] void bad(const std::string& source, const std::string& what) {
    throw std::invalid_argument(source + ": " + what);
}

double number(const toml::table& t, const std::string& path, const std::string& source) {
    const auto node = t.at_path(path);
    double v = 0;
    // Type first: toml++ converts between integer and float nodes with unchecked casts.
    if (node.is_integer())
        v = static_cast<double>(*node.value<std::int64_t>());
    else if (node.is_floating_point())
        v = *node.value<double>();
    else
        bad(source, "'" + path + "' must be a number");
    if (!std::isfinite(v) || v < 0) bad(source, "'" + path + "' must be a finite number >= 0");
    return v;
}

}  // namespace

const std::vector<price_tier>& price_table::tiers(const std::string& architecture) const {
    const auto it = duration.find(architecture);
    if (it == duration.end())
        throw std::invalid_argument("unknown architecture '" + architecture +
                                    "' (expected x86_64 or arm64)");
    return it->second;
}

price_table parse_price_table(const std::string& text, const std::string& source) {
    toml::table t;
    try {
        t = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
        bad(source, std::string("not valid TOML: ") + std::string(e.description()));
    }
    price_table p;
    if (auto d = t["as_of"].value<toml::date>())
        p.as_of = std::to_string(d->year) + "-" + (d->month < 10 ? "0" : "") +
                  std::to_string(d->month) + "-" + (d->day < 10 ? "0" : "") +
                  std::to_string(d->day);
    else
        bad(source, "'as_of' must be a date (YYYY-MM-DD)");
    p.source = t["source"].value_or(std::string());
    p.region = t["region"].value_or(std::string());
    if (p.source.empty()) bad(source, "'source' must say where the prices come from");
    p.usd_per_request = number(t, "requests.usd_per_million", source) / 1'000'000;
    p.storage_free_mb = static_cast<int>(number(t, "ephemeral_storage.free_mb", source));
    p.storage_usd_per_gb_second = number(t, "ephemeral_storage.usd_per_gb_second", source);
    p.free_requests = number(t, "free_tier.requests", source);
    p.free_gb_seconds = number(t, "free_tier.gb_seconds", source);
    const toml::table* dur = t["duration"].as_table();
    if (!dur || dur->empty()) bad(source, "'duration' must list tiers per architecture");
    for (const auto& [arch, node] : *dur) {
        const std::string key = "duration." + std::string(arch.str());
        const toml::array* arr = node.as_array();
        if (!arr || arr->empty()) bad(source, "'" + key + "' must be an array of tiers");
        std::vector<price_tier> tiers;
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const toml::table* tier = arr->get(i)->as_table();
            const std::string at = key + "[" + std::to_string(i) + "]";
            if (!tier) bad(source, "'" + at + "' must be a table");
            price_tier pt;
            pt.usd_per_gb_second = number(*tier, "usd_per_gb_second", source + " " + at);
            const bool last = i + 1 == arr->size();
            if (tier->contains("up_to_gb_seconds")) {
                if (last) bad(source, "'" + at + "': the last tier has no upper bound");
                pt.up_to_gb_seconds = number(*tier, "up_to_gb_seconds", source + " " + at);
                if (!tiers.empty() && pt.up_to_gb_seconds <= tiers.back().up_to_gb_seconds)
                    bad(source, "'" + at + "': tier bounds must increase");
            } else if (!last) {
                bad(source,
                    "'" + at + "' needs up_to_gb_seconds (only the last tier is unbounded)");
            }
            tiers.push_back(pt);
        }
        p.duration[std::string(arch.str())] = std::move(tiers);
    }
    return p;
}

const price_table& default_prices() {
    static const price_table table =
        parse_price_table(embedded_lambda_prices, "data/lambda-prices.toml");
    return table;
}

double price_per_gb_second(const std::string& architecture) {
    return default_prices().tiers(architecture).front().usd_per_gb_second;
}

double invocation_cost(double billed_ms, int memory_mb, const std::string& architecture) {
    return billed_ms / 1000.0 * (memory_mb / 1024.0) * price_per_gb_second(architecture) +
           default_prices().usd_per_request;
}

monthly_cost monthly(const monthly_usage& u, const price_table& prices) {
    monthly_cost c;
    const auto& tiers = prices.tiers(u.architecture);
    const double seconds = u.invocations * u.billed_ms / 1000.0;
    c.gb_seconds = seconds * (u.memory_mb / 1024.0);
    // Tier by tier: the part of the month's GB-seconds that falls in [previous bound, bound).
    double below = 0;
    for (const auto& t : tiers) {
        const double in_tier = std::max(0.0, std::min(c.gb_seconds, t.up_to_gb_seconds) - below);
        c.duration_usd += in_tier * t.usd_per_gb_second;
        below = t.up_to_gb_seconds;
        if (c.gb_seconds <= below) break;
    }
    double requests = u.invocations;
    if (u.free_tier) {
        c.duration_usd -=
            std::min(c.gb_seconds, prices.free_gb_seconds) * tiers.front().usd_per_gb_second;
        c.duration_usd = std::max(0.0, c.duration_usd);
        requests = std::max(0.0, requests - prices.free_requests);
    }
    c.request_usd = requests * prices.usd_per_request;
    const double extra_gb = std::max(0, u.ephemeral_storage_mb - prices.storage_free_mb) / 1024.0;
    c.storage_usd = extra_gb * seconds * prices.storage_usd_per_gb_second;
    return c;
}

double cold_billed_ms(double billed_ms, double duration_ms, double init_ms) {
    const double floor_ms = std::ceil(duration_ms + (std::isnan(init_ms) ? 0 : init_ms));
    return std::max(billed_ms, floor_ms);
}

recommendation recommend(const std::vector<cost_point>& points, const std::string& architecture,
                         const cost_options& options) {
    recommendation r;
    r.invocations_per_month = options.invocations_per_month;
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
    if (!balanced) balanced = cheapest;
    auto month = [&](const cost_point& p) {
        monthly_usage u;
        u.invocations = options.invocations_per_month;
        u.billed_ms = p.warm_billed_ms;
        u.memory_mb = p.memory_mb;
        u.architecture = architecture;
        u.free_tier = options.free_tier;
        try {
            return monthly(u).total_usd();
        } catch (const std::invalid_argument&) {
            return std::numeric_limits<double>::quiet_NaN();  // no price for this architecture
        }
    };
    r.cheapest_mb = cheapest->memory_mb;
    r.fastest_mb = fastest->memory_mb;
    r.balanced_mb = balanced->memory_mb;
    r.cheapest_monthly_usd = month(*cheapest);
    r.fastest_monthly_usd = month(*fastest);
    r.balanced_monthly_usd = month(*balanced);
    return r;
}

}  // namespace lambench::driver
