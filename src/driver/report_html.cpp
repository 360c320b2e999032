// The HTML report: one self-contained file (inline CSS and SVG, no script, no fonts, no
// network) so it opens offline and can be attached to an issue. Charts are drawn here.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "driver/format.hpp"
#include "driver/reporters.hpp"

namespace lambench::driver {

namespace {

using format::html_escape;

constexpr const char* palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                   "#9467bd", "#8c564b", "#e377c2", "#17becf"};
const char* colour(std::size_t i) {
    return palette[i % std::size(palette)];
}

struct series {
    std::string name;
    std::vector<double> x, y, low, high;  // low/high: error bar (NaN = none)
};

// Rounds a range outward to "nice" tick steps (1, 2, 5 × 10^k).
std::vector<double> ticks(double lo, double hi, int count = 5) {
    if (!(hi > lo)) hi = lo + 1;
    const double raw = (hi - lo) / count;
    const double mag = std::pow(10, std::floor(std::log10(raw)));
    double step = mag;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (raw <= m * mag) {
            step = m * mag;
            break;
        }
    std::vector<double> out;
    // From the tick at or below lo to the first tick at or above hi, so nothing is clipped.
    const double first = std::floor(lo / step) * step;
    for (int i = 0; i < 100; ++i) {
        const double t = first + step * i;
        out.push_back(t);
        if (t >= hi - step * 1e-9) break;
    }
    return out;
}

std::string tick_label(double v) {
    if (std::abs(v) >= 1000) return fmt::format("{:.0f}", v);
    if (std::abs(v) >= 10) return fmt::format("{:.0f}", v);
    if (std::abs(v) >= 1) return fmt::format("{:.1f}", v);
    if (v == 0) return "0";
    return fmt::format("{:.3g}", v);
}

// A line/scatter chart with optional error bars. Categorical x when `categories` is set
// (memory sizes), numeric otherwise.
std::string chart(const std::string& title, const std::string& x_label, const std::string& y_label,
                  const std::vector<series>& data, const std::vector<std::string>& categories,
                  bool lines, bool zero_based = true) {
    const double w = 560, h = 300, left = 64, right = 150, top = 36, bottom = 44;
    const double pw = w - left - right, ph = h - top - bottom;
    double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
    double ymax = 0, ymin = std::numeric_limits<double>::infinity();
    for (const auto& s : data) {
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            if (std::isnan(s.y[i])) continue;
            xmin = std::min(xmin, s.x[i]);
            xmax = std::max(xmax, s.x[i]);
            ymax = std::max(ymax, std::isnan(s.high[i]) ? s.y[i] : std::max(s.y[i], s.high[i]));
            ymin = std::min(ymin, std::isnan(s.low[i]) ? s.y[i] : std::min(s.y[i], s.low[i]));
        }
    }
    std::string out = fmt::format(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
        "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"{2}\">\n"
        "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>\n"
        "<text x=\"{3}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{2}</text>\n",
        w, h, html_escape(title), left);
    if (!std::isfinite(xmin)) {
        out += fmt::format(
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"#666\">no data</text>\n</svg>\n",
            left + 10, top + ph / 2);
        return out;
    }
    const bool categorical = !categories.empty();
    auto sx = [&](double x) {
        if (categorical) {
            const double n = static_cast<double>(categories.size());
            return left + (x + 0.5) * pw / n;
        }
        const double span = xmax > xmin ? xmax - xmin : 1;
        return left + (x - xmin) / span * pw;
    };
    // Latency charts start at 0 (honest ratios); cost differences are small next to the
    // request price, so that chart zooms into the data's range.
    const double ylo = zero_based ? 0 : ymin - (ymax - ymin) * 0.1;
    const auto yt = ticks(ylo, ymax + (ymax - ylo) * 0.05);
    const double ybase = yt.front();
    const double ytop = yt.back() > ybase ? yt.back() : ybase + 1;
    auto sy = [&](double y) { return top + ph - (y - ybase) / (ytop - ybase) * ph; };
    // Axes and grid.
    for (double t : yt)
        out += fmt::format(
            "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#e0e0e0\"/>"
            "<text x=\"{3}\" y=\"{4:.1f}\" font-size=\"10\" text-anchor=\"end\">{5}</text>\n",
            left, left + pw, sy(t), left - 4, sy(t) + 3, tick_label(t));
    if (categorical) {
        for (std::size_t i = 0; i < categories.size(); ++i)
            out += fmt::format(
                "<text x=\"{:.1f}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>\n",
                sx(static_cast<double>(i)), top + ph + 14, html_escape(categories[i]));
    } else {
        for (double t : ticks(xmin, xmax))
            if (t >= xmin && t <= xmax)
                out += fmt::format(
                    "<text x=\"{:.1f}\" y=\"{}\" font-size=\"10\" "
                    "text-anchor=\"middle\">{}</text>\n",
                    sx(t), top + ph + 14, tick_label(t));
    }
    out += fmt::format(
        "<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#333\"/>"
        "<line x1=\"{0}\" x2=\"{3}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#333\"/>\n"
        "<text x=\"{4:.1f}\" y=\"{5}\" font-size=\"11\" text-anchor=\"middle\">{6}</text>\n"
        "<text x=\"14\" y=\"{7:.1f}\" font-size=\"11\" text-anchor=\"middle\" "
        "transform=\"rotate(-90 14 {7:.1f})\">{8}</text>\n",
        left, top, top + ph, left + pw, left + pw / 2, h - 8, html_escape(x_label), top + ph / 2,
        html_escape(y_label));
    // Series.
    for (std::size_t k = 0; k < data.size(); ++k) {
        const auto& s = data[k];
        const char* c = colour(k);
        std::string points;
        for (std::size_t i = 0; i < s.x.size(); ++i) {
            if (std::isnan(s.y[i])) continue;
            const double px = sx(s.x[i]), py = sy(s.y[i]);
            points += fmt::format("{:.1f},{:.1f} ", px, py);
            if (!std::isnan(s.low[i]) && !std::isnan(s.high[i]))
                out += fmt::format(
                    "<path class=\"errorbar\" d=\"M{0:.1f} {1:.1f}V{2:.1f}M{3:.1f} "
                    "{1:.1f}H{4:.1f}M{3:.1f} {2:.1f}H{4:.1f}\" "
                    "stroke=\"{5}\" fill=\"none\"/>\n",
                    px, sy(s.low[i]), sy(s.high[i]), px - 4, px + 4, c);
            out += fmt::format(
                "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\"><title>{}: "
                "{}</title></circle>\n",
                px, py, c, html_escape(s.name), format::ms_value(s.y[i]));
        }
        if (lines && !points.empty())
            out += fmt::format(
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n",
                points, c);
        const double ly = top + 10 + static_cast<double>(k) * 16;
        out += fmt::format(
            "<rect x=\"{0}\" y=\"{1:.1f}\" width=\"10\" height=\"10\" fill=\"{2}\"/>"
            "<text x=\"{3}\" y=\"{4:.1f}\" font-size=\"11\">{5}</text>\n",
            left + pw + 12, ly - 9, c, left + pw + 26, ly, html_escape(s.name));
    }
    return out + "</svg>\n";
}

// Distribution of every sample of each variant at one memory size: a strip of dots plus the
// median, so outliers and bimodality are visible.
std::string strip_chart(const std::string& title,
                        const std::vector<std::pair<std::string, std::vector<double>>>& rows) {
    const double w = 560, row_h = 22, left = 150, right = 20, top = 30;
    const double h = top + row_h * static_cast<double>(std::max<std::size_t>(rows.size(), 1)) + 34;
    const double pw = w - left - right;
    double xmax = 0;
    for (const auto& r : rows)
        for (double v : r.second) xmax = std::max(xmax, v);
    const auto xt = ticks(0, xmax > 0 ? xmax * 1.05 : 1);
    const double xtop = xt.back() > 0 ? xt.back() : 1;
    auto sx = [&](double v) { return left + v / xtop * pw; };
    std::string out = fmt::format(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
        "viewBox=\"0 0 {0} {1}\" role=\"img\" aria-label=\"{2}\">\n"
        "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>\n"
        "<text x=\"10\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{2}</text>\n",
        w, h, html_escape(title));
    const double bottom_y = top + row_h * static_cast<double>(rows.size());
    for (double t : xt)
        out += fmt::format(
            "<line x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#e0e0e0\"/>"
            "<text x=\"{0:.1f}\" y=\"{3}\" font-size=\"10\" text-anchor=\"middle\">{4}</text>\n",
            sx(t), top, bottom_y, bottom_y + 14, tick_label(t));
    out += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">ms</text>\n",
        left + pw / 2, bottom_y + 28);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double cy = top + row_h * (static_cast<double>(i) + 0.5);
        out += fmt::format(
            "<text x=\"{}\" y=\"{:.1f}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
            left - 6, cy + 4, html_escape(rows[i].first));
        for (double v : rows[i].second)
            out += fmt::format(
                "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\" "
                "fill-opacity=\"0.5\"/>\n",
                sx(v), cy, colour(i));
        if (!rows[i].second.empty()) {
            const double med = median(rows[i].second);
            out += fmt::format(
                "<line class=\"median\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" "
                "y2=\"{2:.1f}\" "
                "stroke=\"#000\" stroke-width=\"2\"/>\n",
                sx(med), cy - 8, cy + 8);
        }
    }
    return out + "</svg>\n";
}

std::string td(const std::string& s, bool num = true) {
    return std::string(num ? "<td class=\"n\">" : "<td>") + s + "</td>";
}

}  // namespace

std::string render_html(const run_summary& s) {
    const auto& h = s.header;
    const auto& m = h.machine;
    std::string out = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>lambench — {0}</title>\n<style>\n"
        "body{{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}}\n"
        "h1{{font-size:22px}} h2{{font-size:17px;margin-top:28px}}\n"
        "table{{border-collapse:collapse;margin:8px 0;font-size:13px;background:#fff}}\n"
        "td,th{{border:1px solid #ccc;padding:3px 8px}} td.n{{text-align:right}}\n"
        "td.err{{color:#b00;font-weight:bold}} td.na{{color:#888}}\n"
        ".charts{{display:flex;flex-wrap:wrap;gap:12px}} .chart{{border:1px solid #ddd}}\n"
        ".warn{{color:#8a5a00}} .ctx{{font-size:13px;color:#444}}\n"
        "</style>\n</head>\n<body>\n<h1>lambench results — suite {0}</h1>\n",
        html_escape(h.suite.empty() ? "(unnamed)" : h.suite));
    out += fmt::format(
        "<p class=\"ctx\">Run {} on target <code>{}</code>: {} ({} cores, {}, {}), cgroups {}, "
        "init CPU {}, lambench {} ({}, {} build). {} cold and {} warm samples per variant and "
        "memory size. Points are medians; error bars are the 95 % confidence interval of the "
        "median (order statistics).</p>\n",
        html_escape(h.start_time), html_escape(h.target), html_escape(m.host), m.cores,
        html_escape(m.cpu_model), html_escape(m.kernel), html_escape(m.cgroup_mode),
        html_escape(m.init_cpu), html_escape(m.lambench_version), html_escape(m.git_sha),
        html_escape(m.build_type), h.cold, h.warm);

    std::vector<std::string> categories;
    categories.reserve(s.memory.size());
    for (int mem : s.memory) categories.push_back(std::to_string(mem) + " MB");
    auto memory_index = [&](int mem) {
        return static_cast<double>(std::find(s.memory.begin(), s.memory.end(), mem) -
                                   s.memory.begin());
    };

    // Latency by memory size, per function: one series per profile.
    for (const auto& fn : s.functions()) {
        out += fmt::format("<h2>{}</h2>\n<div class=\"charts\">\n", html_escape(fn));
        for (phase kind : {phase::cold, phase::warm}) {
            std::vector<series> data;
            for (const auto& v : s.variants) {
                if (v.info.function != fn || v.skipped) continue;
                series sr{v.info.profile, {}, {}, {}, {}};
                for (const auto& c : v.cells) {
                    if (c.kind != kind || !c.has_data()) continue;
                    sr.x.push_back(memory_index(c.memory_mb));
                    sr.y.push_back(c.total.median);
                    sr.low.push_back(c.total.median_ci.low);
                    sr.high.push_back(c.total.median_ci.high);
                }
                data.push_back(std::move(sr));
            }
            out += chart(
                fn + (kind == phase::cold ? ": cold start (Init + Duration)" : ": warm Duration"),
                "memory size", "ms (median)", data, categories, true);
        }
        out += "</div>\n";
    }

    // Distributions at each memory size (cold and warm).
    out += "<h2>Distributions</h2>\n<div class=\"charts\">\n";
    for (int mem : s.memory)
        for (phase kind : {phase::cold, phase::warm}) {
            std::vector<std::pair<std::string, std::vector<double>>> rows;
            for (const auto& v : s.variants)
                if (const cell* c = v.find(mem, kind); c && c->has_data())
                    rows.emplace_back(v.info.id(), c->totals);
            if (!rows.empty())
                out += strip_chart(
                    fmt::format("{} MB, {}", mem, kind == phase::cold ? "cold start" : "warm"),
                    rows);
        }
    out += "</div>\n";

    // Cost vs speed: one point per (variant, memory size), warm invocations.
    {
        std::vector<series> data;
        for (const auto& v : s.variants) {
            if (v.skipped) continue;
            series sr{v.info.id(), {}, {}, {}, {}};
            for (const auto& c : v.cells) {
                if (c.kind != phase::warm || !c.has_data() || std::isnan(c.cost_per_million))
                    continue;
                sr.x.push_back(c.duration.median);
                sr.y.push_back(c.cost_per_million);
                sr.low.push_back(std::nan(""));
                sr.high.push_back(std::nan(""));
            }
            if (!sr.x.empty()) data.push_back(std::move(sr));
        }
        out += "<h2>Cost vs speed (warm)</h2>\n<div class=\"charts\">\n";
        out += chart("USD per million warm invocations vs warm median", "warm Duration median (ms)",
                     "USD per million", data, {}, true, false);
        out += "</div>\n";
    }

    // The numbers.
    out +=
        "<h2>All "
        "cells</h2>\n<table>\n<tr><th>Variant</th><th>Library</th><th>Memory</th><th>Phase</th>"
        "<th>Median</th><th>MdAPE</th><th>95 % CI</th><th>Min</th><th>Max</th><th>p90</th>"
        "<th>N</th><th>Init</th><th>Billed</th><th>Max memory</th><th>$ / million</th></tr>\n";
    for (const auto& v : s.variants) {
        if (v.skipped) {
            out += fmt::format(
                "<tr><td>{}</td><td>{}</td><td class=\"na\" colspan=\"13\">n/a — {}</td></tr>\n",
                html_escape(v.info.id()), html_escape(v.info.library), html_escape(v.skip_reason));
            continue;
        }
        for (const auto& c : v.cells) {
            out += fmt::format("<tr><td>{}</td><td>{}</td>{}{}", html_escape(v.info.id()),
                               html_escape(v.info.library), td(std::to_string(c.memory_mb) + " MB"),
                               td(to_string(c.kind), false));
            if (c.is_error()) {
                out += fmt::format("<td class=\"err\" colspan=\"11\">error — {}: {}</td></tr>\n",
                                   html_escape(c.error_type), html_escape(c.error_message));
                continue;
            }
            const auto& t = c.total;
            out +=
                td(format::ms(t.median)) + td(format::percent(t.mdape)) +
                td(format::ms_value(t.median_ci.low) + " … " + format::ms(t.median_ci.high)) +
                td(format::ms(t.min)) + td(format::ms(t.max)) + td(format::ms(t.p90)) +
                td(std::to_string(t.n) + (c.failed ? fmt::format(" ({} failed)", c.failed) : "")) +
                td(c.kind == phase::cold ? format::ms(c.init.median) : "") +
                td(format::whole_ms(c.billed.median)) + td(format::mb(c.max_memory_mb)) +
                td(format::usd(c.cost_per_million)) + "</tr>\n";
        }
    }
    out += "</table>\n";

    out +=
        "<h2>Recommendation</h2>\n<table>\n<tr><th>Variant</th><th>Cheapest</th><th>Fastest</"
        "th><th>Balanced</th></tr>\n";
    for (const auto& v : s.variants)
        if (v.has_recommendation)
            out += fmt::format("<tr><td>{}</td>{}{}{}</tr>\n", html_escape(v.info.id()),
                               td(std::to_string(v.rec.cheapest_mb) + " MB"),
                               td(std::to_string(v.rec.fastest_mb) + " MB"),
                               td(std::to_string(v.rec.balanced_mb) + " MB"));
    out += "</table>\n";

    if (!s.warnings.empty()) {
        out += "<h2>Warnings</h2>\n<ul class=\"warn\">\n";
        for (const auto& w : s.warnings) out += "<li>" + html_escape(format_warning(w)) + "</li>\n";
        out += "</ul>\n";
    }
    out += "</body>\n</html>\n";
    return out;
}

}  // namespace lambench::driver
