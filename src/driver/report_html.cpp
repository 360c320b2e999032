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

struct series {
    std::string name;
    std::vector<double> x, y, low, high;  // low/high: error bar (NaN = none)
    std::string colour;                   // the profile's (profile_colours)
    bool dashed = false;
};

std::string svg_open(double w, double h, const std::string& title, double title_x,
                     const std::string& extra_class = "") {
    // width 100 % of its grid cell, scaled from the viewBox: readable at any page width.
    return fmt::format(
        "<svg class=\"chart{4}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" "
        "viewBox=\"0 0 {0} {1}\" preserveAspectRatio=\"xMinYMin meet\" role=\"img\" "
        "aria-label=\"{2}\">\n"
        "<rect x=\"0\" y=\"0\" width=\"{0}\" height=\"{1}\" fill=\"#ffffff\"/>\n"
        "<text x=\"{3}\" y=\"18\" font-size=\"13\" font-weight=\"bold\">{2}</text>\n",
        w, h, html_escape(title), title_x, extra_class.empty() ? "" : " " + extra_class);
}

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
    std::string out = svg_open(w, h, title, left);
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
        const std::string& c = s.colour;
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
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"{}/>\n",
                points, c, s.dashed ? " stroke-dasharray=\"5 3\"" : "");
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
struct strip_row {
    std::string name, colour;
    std::vector<double> values;
};

std::string strip_chart(const std::string& title, const std::vector<strip_row>& rows) {
    const double w = 560, row_h = 22, left = 150, right = 20, top = 30;
    const double h = top + row_h * static_cast<double>(std::max<std::size_t>(rows.size(), 1)) + 34;
    const double pw = w - left - right;
    double xmax = 0;
    for (const auto& r : rows)
        for (double v : r.values) xmax = std::max(xmax, v);
    const auto xt = ticks(0, xmax > 0 ? xmax * 1.05 : 1);
    const double xtop = xt.back() > 0 ? xt.back() : 1;
    auto sx = [&](double v) { return left + v / xtop * pw; };
    std::string out = svg_open(w, h, title, 10);
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
            left - 6, cy + 4, html_escape(rows[i].name));
        for (double v : rows[i].values)
            out += fmt::format(
                "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"2.5\" fill=\"{}\" "
                "fill-opacity=\"0.5\"/>\n",
                sx(v), cy, rows[i].colour);
        if (!rows[i].values.empty()) {
            const double med = median(rows[i].values);
            out += fmt::format(
                "<line class=\"median\" x1=\"{0:.1f}\" x2=\"{0:.1f}\" y1=\"{1:.1f}\" "
                "y2=\"{2:.1f}\" "
                "stroke=\"#000\" stroke-width=\"2\"/>\n",
                sx(med), cy - 8, cy + 8);
        }
    }
    return out + "</svg>\n";
}

// One bar of a grouped bar chart: a value (optionally a low–high range with a mark at the value),
// or a cell that exists but has no value, drawn as its word.
struct bar {
    enum kind_t { none, value, not_applicable, error } kind = none;
    double y = 0, low = std::nan(""), high = std::nan("");
};

// Groups (libraries) along x, one bar per profile in each, a legend of the profiles. `range`
// draws low–high as the bar with a tick at y (min … max with the median).
std::string grouped_bars(const std::string& title, const std::string& y_label,
                         const std::vector<std::string>& groups,
                         const std::vector<std::string>& profiles,
                         const std::map<std::string, std::string>& colours,
                         const std::vector<std::vector<bar>>& bars,  // [group][profile]
                         bool range) {
    const double w = 1100, h = 320, left = 64, right = 130, top = 36, bottom = 56;
    const double pw = w - left - right, ph = h - top - bottom;
    double ymax = 0;
    for (const auto& g : bars)
        for (const auto& b : g)
            if (b.kind == bar::value)
                ymax = std::max(ymax, std::isnan(b.high) ? b.y : std::max(b.y, b.high));
    std::string out = svg_open(w, h, title, left, "wide");
    const auto yt = ticks(0, ymax > 0 ? ymax * 1.05 : 1);
    const double ytop = yt.back() > 0 ? yt.back() : 1;
    auto sy = [&](double y) { return top + ph - y / ytop * ph; };
    for (double t : yt)
        out += fmt::format(
            "<line x1=\"{0}\" x2=\"{1}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#e0e0e0\"/>"
            "<text x=\"{3}\" y=\"{4:.1f}\" font-size=\"10\" text-anchor=\"end\">{5}</text>\n",
            left, left + pw, sy(t), left - 4, sy(t) + 3, tick_label(t));
    out += fmt::format(
        "<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#333\"/>"
        "<line x1=\"{0}\" x2=\"{3}\" y1=\"{2}\" y2=\"{2}\" stroke=\"#333\"/>\n"
        "<text x=\"14\" y=\"{4:.1f}\" font-size=\"11\" text-anchor=\"middle\" "
        "transform=\"rotate(-90 14 {4:.1f})\">{5}</text>\n",
        left, top, top + ph, left + pw, top + ph / 2, html_escape(y_label));
    const double gw = groups.empty() ? pw : pw / static_cast<double>(groups.size());
    const double np = static_cast<double>(std::max<std::size_t>(profiles.size(), 1));
    const double bw = std::min(28.0, gw * 0.8 / np);
    for (std::size_t g = 0; g < groups.size(); ++g) {
        const double gx = left + gw * static_cast<double>(g);
        out += fmt::format(
            "<text x=\"{:.1f}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>\n",
            gx + gw / 2, top + ph + 16, html_escape(groups[g]));
        for (std::size_t p = 0; p < profiles.size() && p < bars[g].size(); ++p) {
            const bar& b = bars[g][p];
            const double x = gx + gw / 2 - bw * np / 2 + bw * static_cast<double>(p);
            const std::string& c = colours.at(profiles[p]);
            if (b.kind == bar::none) continue;
            if (b.kind != bar::value) {
                const char* word = b.kind == bar::error ? "error" : "n/a";
                out += fmt::format(
                    "<text class=\"{0}\" x=\"{1:.1f}\" y=\"{2:.1f}\" font-size=\"9\" "
                    "fill=\"{3}\" text-anchor=\"middle\" transform=\"rotate(-90 {1:.1f} "
                    "{2:.1f})\" dx=\"14\">{0}<title>{4} {5}: {0}</title></text>\n",
                    word, x + bw / 2, top + ph - 4, b.kind == bar::error ? "#b00" : "#666",
                    html_escape(groups[g]), html_escape(profiles[p]));
                continue;
            }
            const double lo = range && !std::isnan(b.low) ? b.low : 0;
            const double hi = range && !std::isnan(b.high) ? b.high : b.y;
            out += fmt::format(
                "<rect class=\"bar\" data-profile=\"{0}\" x=\"{1:.1f}\" y=\"{2:.1f}\" "
                "width=\"{3:.1f}\" height=\"{4:.1f}\" fill=\"{5}\"{6}><title>{7} {0}: {8}"
                "</title></rect>\n",
                html_escape(profiles[p]), x + 1, sy(hi), bw - 2, std::max(1.0, sy(lo) - sy(hi)), c,
                range ? " fill-opacity=\"0.55\"" : "", html_escape(groups[g]),
                range ? format::ms_value(b.low) + " … " + format::ms_value(b.high) + " (median " +
                            format::ms_value(b.y) + ")"
                      : format::ms_value(b.y));
            if (range)
                out += fmt::format(
                    "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" "
                    "stroke=\"#000\" stroke-width=\"2\"/>\n",
                    x + 1, x + bw - 1, sy(b.y), sy(b.y));
        }
    }
    for (std::size_t p = 0; p < profiles.size(); ++p) {
        const double ly = top + 10 + static_cast<double>(p) * 16;
        out += fmt::format(
            "<rect x=\"{0}\" y=\"{1:.1f}\" width=\"10\" height=\"10\" fill=\"{2}\"/>"
            "<text x=\"{3}\" y=\"{4:.1f}\" font-size=\"11\">{5}</text>\n",
            left + pw + 12, ly - 9, colours.at(profiles[p]), left + pw + 26, ly,
            html_escape(profiles[p]));
    }
    return out + "</svg>\n";
}

std::string td(const std::string& s, bool num = true) {
    return std::string(num ? "<td class=\"n\">" : "<td>") + s + "</td>";
}

}  // namespace

std::map<std::string, std::string> profile_colours(const std::vector<std::string>& profiles) {
    // Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
    static const std::vector<std::pair<std::string, std::string>> fixed = {
        {"shared", "#0072B2"}, {"static", "#D55E00"}, {"bundled", "#009E73"}, {"jit", "#CC79A7"}};
    static const char* const spare[] = {"#E69F00", "#56B4E9", "#000000", "#F0E442", "#999999"};
    std::map<std::string, std::string> out;
    for (const auto& [name, colour] : fixed) out[name] = colour;
    std::size_t next = 0;
    for (const auto& p : profiles)
        if (!out.count(p)) out[p] = spare[next++ % std::size(spare)];
    return out;
}

std::string headline_function(const run_summary& s, const html_options& o) {
    const auto fns = s.functions();
    if (!o.headline_function.empty()) return o.headline_function;
    for (const auto& v : s.variants)
        if (v.info.needs_database) return v.info.function;
    return fns.empty() ? "" : fns.front();
}

namespace {

// One series per profile of `fn`: the median (with its 95 % interval) of cold starts or warm
// Durations at each measured memory size, x = the size's index in s.memory.
std::vector<series> latency_series(const run_summary& s, const std::string& fn, phase kind,
                                   const std::map<std::string, std::string>& colours) {
    std::vector<series> data;
    for (const auto& v : s.variants) {
        if (v.info.function != fn || v.skipped) continue;
        series sr{v.info.profile, {}, {}, {}, {}, colours.at(v.info.profile), false};
        for (const auto& c : v.cells) {
            if (c.kind != kind || !c.has_data()) continue;
            sr.x.push_back(static_cast<double>(
                std::find(s.memory.begin(), s.memory.end(), c.memory_mb) - s.memory.begin()));
            sr.y.push_back(c.total.median);
            sr.low.push_back(c.total.median_ci.low);
            sr.high.push_back(c.total.median_ci.high);
        }
        data.push_back(std::move(sr));
    }
    return data;
}

// The study's two questions, drawn first.
std::string headline(const run_summary& s, const html_options& o,
                     const std::map<std::string, std::string>& colours,
                     const std::vector<std::string>& categories) {
    std::string out;
    const std::string fn = headline_function(s, o);
    out += fmt::format(
        "<h2 id=\"headline\">How cold start and next exec move with memory — {}</h2>\n"
        "<div class=\"charts\">\n",
        html_escape(fn));
    for (phase kind : {phase::cold, phase::warm}) {
        const std::vector<series> data = latency_series(s, fn, kind, colours);
        out += chart(kind == phase::cold ? "Cold start (Init + Duration), per profile"
                                         : "Next exec (warm Duration), per profile",
                     "memory size", "ms (median)", data, categories, true);
    }
    out += "</div>\n";

    // The libraries at one memory size: groups = functions, bars = profiles.
    const int mem = nearest_memory(s.memory, o.library_memory_mb);
    const auto fns = s.functions();
    const auto profiles = s.profiles();
    std::vector<std::vector<bar>> first(fns.size()), exec(fns.size()), memory(fns.size());
    for (std::size_t g = 0; g < fns.size(); ++g)
        for (const auto& p : profiles) {
            bar f, e, m;
            if (const variant_summary* v = s.find(fns[g], p)) {
                const cell* cold = v->find(mem, phase::cold);
                const cell* warm = v->find(mem, phase::warm);
                auto fill = [&](bar& b, const cell* c, auto value) {
                    if (v->skipped)
                        b.kind = bar::not_applicable;
                    else if (!c)
                        b.kind = bar::none;
                    else if (c->is_error())
                        b.kind = bar::error;
                    else if (c->has_data())
                        value(b, *c);
                };
                fill(f, cold, [](bar& b, const cell& c) {
                    b.kind = bar::value;
                    b.y = c.total.median;
                });
                fill(e, warm, [](bar& b, const cell& c) {
                    b.kind = bar::value;
                    b.y = c.total.median;
                    b.low = c.total.min;
                    b.high = c.total.max;
                });
                fill(m, cold ? cold : warm, [&](bar& b, const cell&) {
                    double mmu = no_value;
                    for (const cell* c : {cold, warm})
                        if (c && !std::isnan(c->max_memory_mb))
                            mmu = std::isnan(mmu) ? c->max_memory_mb
                                                  : std::max(mmu, c->max_memory_mb);
                    if (!std::isnan(mmu)) {
                        b.kind = bar::value;
                        b.y = mmu;
                    }
                });
            }
            first[g].push_back(f);
            exec[g].push_back(e);
            memory[g].push_back(m);
        }
    out += fmt::format("<h2 id=\"libraries\">Which library, in which mode, at {} MB</h2>\n", mem);
    out += "<div class=\"wide-charts\">\n";
    out += grouped_bars(fmt::format("1st exec (cold start, median) at {} MB", mem), "ms", fns,
                        profiles, colours, first, false);
    out += grouped_bars(fmt::format("Min … max exec (warm; mark = median) at {} MB", mem), "ms",
                        fns, profiles, colours, exec, true);
    out += grouped_bars(fmt::format("Max memory used at {} MB", mem), "MB", fns, profiles, colours,
                        memory, false);
    out += "</div>\n";
    return out;
}

}  // namespace

std::string render_html(const run_summary& s, const html_options& o) {
    const auto colours = profile_colours(s.profiles());
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
        ".charts{{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:12px}}"
        "\n"
        ".wide-charts{{display:grid;grid-template-columns:1fr;gap:12px}}\n"
        ".chart{{border:1px solid #ddd;height:auto;max-width:100%}}\n"
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
    out += headline(s, o, colours, categories);

    // Latency by memory size, per function: one series per profile.
    for (const auto& fn : s.functions()) {
        out += fmt::format("<h2>{}</h2>\n<div class=\"charts\">\n", html_escape(fn));
        for (phase kind : {phase::cold, phase::warm}) {
            const std::vector<series> data = latency_series(s, fn, kind, colours);
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
            std::vector<strip_row> rows;
            for (const auto& v : s.variants)
                if (const cell* c = v.find(mem, kind); c && c->has_data())
                    rows.push_back({v.info.id(), colours.at(v.info.profile), c->totals});
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
            series sr{v.info.id(), {}, {}, {}, {}, colours.at(v.info.profile), false};
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
                               td(std::to_string(v.rec.cheapest_mb) + " MB, " +
                                  format::monthly_usd(v.rec.cheapest_monthly_usd) + "/month"),
                               td(std::to_string(v.rec.fastest_mb) + " MB, " +
                                  format::monthly_usd(v.rec.fastest_monthly_usd) + "/month"),
                               td(std::to_string(v.rec.balanced_mb) + " MB, " +
                                  format::monthly_usd(v.rec.balanced_monthly_usd) + "/month"));
    out += "</table>\n";
    out += fmt::format("<p>Monthly costs at {} invocations a month{}; prices of {} ({}).</p>\n",
                       format::count(s.cost.invocations_per_month),
                       s.cost.free_tier ? ", free tier deducted" : "",
                       html_escape(default_prices().as_of), html_escape(default_prices().source));

    if (!s.warnings.empty()) {
        out += "<h2>Warnings</h2>\n<ul class=\"warn\">\n";
        for (const auto& w : s.warnings) out += "<li>" + html_escape(format_warning(w)) + "</li>\n";
        out += "</ul>\n";
    }
    out += "</body>\n</html>\n";
    return out;
}

}  // namespace lambench::driver
