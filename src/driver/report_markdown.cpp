#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>

#include "driver/format.hpp"
#include "driver/reporters.hpp"

namespace lambench::driver {

namespace {

// Footnotes numbered in order of first use; the same reason reuses its number.
class footnotes {
  public:
    std::string ref(const std::string& text) {
        auto it = std::find(notes_.begin(), notes_.end(), text);
        if (it == notes_.end()) {
            notes_.push_back(text);
            it = notes_.end() - 1;
        }
        return fmt::format("[^{}]", it - notes_.begin() + 1);
    }
    std::string render() const {
        std::string out;
        for (std::size_t i = 0; i < notes_.size(); ++i)
            out += fmt::format("[^{}]: {}\n", i + 1, notes_[i]);
        return out;
    }

  private:
    std::vector<std::string> notes_;
};

std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r' || c == '|') c = c == '|' ? '/' : ' ';
    return s;
}

// A cell's text: value, "n/a" (skipped) or "error" (every sample failed), with a footnote.
template <class Value>
std::string cell_text(const variant_summary* v, const cell* c, footnotes& notes, Value value) {
    if (!v) return "-";
    if (v->skipped)
        return "n/a" +
               notes.ref(fmt::format("{}: n/a — {}", v->info.id(), one_line(v->skip_reason)));
    if (!c) return "-";
    if (c->is_error())
        return "error" + notes.ref(fmt::format("{}: error — {}: {}", v->info.id(), c->error_type,
                                               one_line(c->error_message)));
    if (!c->has_data()) return "-";
    return value(*c);
}

// Appends " text |". (Not `" " + text + " |"`: g++ 12 warns -Wrestrict on that, bug 105329.)
void put(std::string& out, const std::string& text) {
    out += ' ';
    out += text;
    out += " |";
}

std::string header_row(const std::vector<std::string>& cols, const std::string& first_align) {
    std::string out = "|";
    for (const auto& c : cols) out += " " + c + " |";
    out += "\n|" + first_align + "|";
    for (std::size_t i = 1; i < cols.size(); ++i) out += "---:|";
    return out + "\n";
}

}  // namespace

std::string render_markdown(const run_summary& s, const markdown_options& o) {
    const auto& h = s.header;
    const auto& m = h.machine;
    footnotes notes;
    std::string out =
        fmt::format("# lambench results — suite {}\n\n", h.suite.empty() ? "(unnamed)" : h.suite);
    out += fmt::format(
        "Run {} on target `{}`: {} ({} cores, {}), cgroups {}, init CPU {}, lambench {} ({}, {} "
        "build). "
        "{} cold and {} warm samples per variant and memory size.\n\n",
        h.start_time, h.target, m.host, m.cores, m.cpu_model, m.cgroup_mode, m.init_cpu,
        m.lambench_version, m.git_sha, m.build_type, h.cold, h.warm);
    if (!m.model.empty())
        out += fmt::format("Resource model reported by the service: `{}`.\n\n", m.model);
    out +=
        "*Cold start* = Init Duration + Duration of a cold invocation; *next exec* = Duration of a "
        "warm invocation; both are medians. *1st exec* = median cold start; *max/min exec* = "
        "slowest/fastest warm Duration; *max memory* = largest Max Memory Used.\n\n";

    const auto profiles = s.profiles();
    std::vector<std::string> functions = o.functions.empty() ? s.functions() : o.functions;

    // Table 1, per function: rows = memory size, columns = cold start / next exec per profile.
    for (const auto& fn : functions) {
        out += fmt::format("## {}: cold start and next exec by memory size\n\n", fn);
        std::vector<std::string> cols{"Memory"};
        std::vector<std::string> fn_profiles;
        for (const auto& p : profiles)
            if (s.find(fn, p)) fn_profiles.push_back(p);
        for (const auto& p : fn_profiles) {
            cols.push_back(p + " cold start");
            cols.push_back(p + " next exec");
        }
        out += header_row(cols, "---:");
        for (int mem : s.memory) {
            out += fmt::format("| {} MB |", mem);
            for (const auto& p : fn_profiles) {
                const variant_summary* v = s.find(fn, p);
                put(out, cell_text(v, v ? v->find(mem, phase::cold) : nullptr, notes,
                                   [](const cell& c) { return format::ms(c.total.median); }));
                put(out, cell_text(v, v ? v->find(mem, phase::warm) : nullptr, notes,
                                   [](const cell& c) { return format::ms(c.duration.median); }));
            }
            out += "\n";
        }
        out += "\n";
    }

    // Table 2: rows = library, at one memory size.
    const int mem = nearest_memory(s.memory, o.memory_mb);
    out += fmt::format("## Libraries at {} MB\n\n", mem);
    {
        std::vector<std::string> cols{"Library"};
        for (const auto& p : profiles)
            for (const char* what : {"1st exec", "max exec", "min exec", "max memory"})
                cols.push_back(p + " " + what);
        out += header_row(cols, "---");
        for (const auto& fn : s.functions()) {
            std::string library = fn;
            for (const auto& v : s.variants)
                if (v.info.function == fn && !v.info.library.empty()) library = v.info.library;
            out += "| " + library + " |";
            for (const auto& p : profiles) {
                const variant_summary* v = s.find(fn, p);
                const cell* cold = v ? v->find(mem, phase::cold) : nullptr;
                const cell* warm = v ? v->find(mem, phase::warm) : nullptr;
                put(out, cell_text(v, cold, notes,
                                   [](const cell& c) { return format::ms(c.total.median); }));
                put(out, cell_text(v, warm, notes,
                                   [](const cell& c) { return format::ms(c.duration.max); }));
                put(out, cell_text(v, warm, notes,
                                   [](const cell& c) { return format::ms(c.duration.min); }));
                double peak = std::nan("");
                for (const cell* c : {cold, warm})
                    if (c && !std::isnan(c->max_memory_mb))
                        peak =
                            std::isnan(peak) ? c->max_memory_mb : std::max(peak, c->max_memory_mb);
                const cell* any = cold && (cold->has_data() || cold->is_error()) ? cold : warm;
                put(out, cell_text(v, any, notes, [&](const cell&) { return format::mb(peak); }));
            }
            out += "\n";
        }
        out += "\n";
    }

    // Cost and the recommendation per variant.
    out += "## Cost per million invocations and recommendation\n\n";
    out += fmt::format(
        "Billed Duration (median; cold includes INIT) × memory × price per GB-s + "
        "the request fee, first tier. The recommendations state the monthly cost at "
        "{} invocations a month{} (tiered prices of {}, {}).\n\n",
        format::count(s.cost.invocations_per_month), s.cost.free_tier ? ", free tier deducted" : "",
        default_prices().as_of, default_prices().source);
    out += "| Variant | Library |";
    for (int mm : s.memory) out += fmt::format(" {} MB cold | {} MB warm |", mm, mm);
    out += " Cheapest | Fastest | Balanced |\n|---|---|";
    for (std::size_t i = 0; i < s.memory.size(); ++i) out += "---:|---:|";
    out += "---:|---:|---:|\n";
    for (const auto& v : s.variants) {
        out += fmt::format("| {} | {} |", v.info.id(), v.info.library);
        for (int mm : s.memory)
            for (phase kind : {phase::cold, phase::warm})
                put(out, cell_text(&v, v.find(mm, kind), notes,
                                   [](const cell& c) { return format::usd(c.cost_per_million); }));
        if (v.has_recommendation)
            out += fmt::format(" {} MB ({}/mo) | {} MB ({}/mo) | {} MB ({}/mo) |\n",
                               v.rec.cheapest_mb, format::monthly_usd(v.rec.cheapest_monthly_usd),
                               v.rec.fastest_mb, format::monthly_usd(v.rec.fastest_monthly_usd),
                               v.rec.balanced_mb, format::monthly_usd(v.rec.balanced_monthly_usd));
        else
            out += " - | - | - |\n";
    }
    out += "\n";

    if (!s.warnings.empty()) {
        out += "## Warnings\n\n";
        for (const auto& w : s.warnings) out += "- " + one_line(format_warning(w)) + "\n";
        out += "\n";
    }
    const std::string fn_text = notes.render();
    if (!fn_text.empty()) out += fn_text;
    return out;
}

}  // namespace lambench::driver
