#include <fmt/format.h>

#include <algorithm>

#include "driver/format.hpp"
#include "driver/reporters.hpp"

namespace lambench::driver {

namespace {

std::string cell_block(const variant_summary& v, const cell& c) {
    std::string out =
        fmt::format("{} @ {} MB, {}\n", v.info.id(), c.memory_mb,
                    c.kind == phase::cold ? "cold start (Init + Duration)" : "warm (Duration)");
    if (c.is_error()) {
        out += fmt::format("  error: {}: {} ({} of {} failed)\n", c.error_type, c.error_message,
                           c.failed, c.attempted);
        return out;
    }
    if (!c.has_data()) return out + "  no samples\n";
    std::string detail;
    if (c.kind == phase::cold)
        detail = fmt::format("Init: {}, Duration: {}, ", format::ms(c.init.median),
                             format::ms(c.duration.median));
    detail += fmt::format("Billed: {}, Max memory: {}", format::whole_ms(c.billed.median),
                          format::mb(c.max_memory_mb));
    out += fmt::format("  Time (median ± MdAPE):  {:>9} ± {:>7}    [{}]\n",
                       format::ms(c.total.median), format::percent(c.total.mdape), detail);
    out +=
        fmt::format("  Range (min … max):      {:>9} … {:>9}    {} run{}", format::ms(c.total.min),
                    format::ms(c.total.max), c.total.n, c.total.n == 1 ? "" : "s");
    if (c.failed) out += fmt::format(", {} failed", c.failed);
    if (c.total.outliers)
        out += fmt::format(", {} outlier{}", c.total.outliers, c.total.outliers == 1 ? "" : "s");
    out += "\n";
    out += fmt::format("  Median 95 % CI:         {:>9} … {:>9}    (coverage {:.1f} %)\n",
                       format::ms(c.total.median_ci.low), format::ms(c.total.median_ci.high),
                       c.total.median_ci.coverage * 100);
    if (c.first_byte.n > 0)  // a streaming function: the client's view of its stream
        out += fmt::format("  Client first … last byte: {:>7} … {:>9}    (medians)\n",
                           format::ms(c.first_byte.median), format::ms(c.round_trip.median));
    out += fmt::format("  Cost:                   {} per million invocations\n",
                       format::usd(c.cost_per_million));
    return out;
}

}  // namespace

std::string render_console_variant(const run_summary&, const variant_summary& v) {
    if (v.skipped) return fmt::format("{}: n/a ({})\n\n", v.info.id(), v.skip_reason);
    // A variant that failed the same way everywhere (e.g. no artifact) is one line, not a page.
    const bool all_same_error =
        !v.cells.empty() && std::all_of(v.cells.begin(), v.cells.end(), [&](const cell& c) {
            return c.is_error() && c.error_type == v.cells.front().error_type &&
                   c.error_message == v.cells.front().error_message;
        });
    if (all_same_error)
        return fmt::format("{}: error: {}: {}\n\n", v.info.id(), v.cells.front().error_type,
                           v.cells.front().error_message);
    std::string out;
    for (const auto& c : v.cells) out += cell_block(v, c) + "\n";
    if (v.has_recommendation)
        out += fmt::format(
            "{}: cheapest at {} MB ({}/month), fastest at {} MB ({}/month), balanced pick {} MB "
            "({}/month), at {} invocations a month\n\n",
            v.info.id(), v.rec.cheapest_mb, format::monthly_usd(v.rec.cheapest_monthly_usd),
            v.rec.fastest_mb, format::monthly_usd(v.rec.fastest_monthly_usd), v.rec.balanced_mb,
            format::monthly_usd(v.rec.balanced_monthly_usd),
            format::count(v.rec.invocations_per_month));
    return out;
}

std::string render_console_summary(const run_summary& s) {
    std::string out;
    const auto cmp = compare_profiles(s);
    if (!cmp.empty()) {
        out += "Summary\n";
        std::string last_head;
        for (const auto& c : cmp) {
            const std::string head =
                fmt::format("  {} @ {} MB, {}: '{}' ran\n", c.faster.substr(0, c.faster.find('/')),
                            c.memory_mb, to_string(c.kind), c.faster);
            if (head != last_head) out += head;
            last_head = head;
            out += fmt::format("    {:.2f} ± {:.2f} times faster than '{}'\n", c.r.value,
                               c.r.uncertainty, c.slower);
        }
    }
    out += fmt::format("{} samples, {} failed\n", s.total_samples, s.failed_samples);
    return out;
}

std::string render_console(const run_summary& s) {
    std::string out;
    for (const auto& v : s.variants) out += render_console_variant(s, v);
    out += render_console_summary(s);
    return out;
}

}  // namespace lambench::driver
