#include "driver/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

namespace lambench::driver {

const char* to_string(warning_kind k) {
    switch (k) {
        case warning_kind::too_few_samples:
            return "too-few-samples";
        case warning_kind::high_spread:
            return "high-spread";
        case warning_kind::cgroups_off:
            return "cgroups-off";
        case warning_kind::debug_build:
            return "debug-build";
        case warning_kind::failures:
            return "failures";
        case warning_kind::cold_without_init:
            return "cold-without-init";
    }
    return "unknown";
}

std::string format_warning(const warning& w) {
    std::string out = fmt::format("warning [{}] ", to_string(w.kind));
    if (!w.subject.empty()) out += w.subject + ": ";
    out += w.message;
    if (!w.advice.empty()) out += "; " + w.advice;
    return out;
}

const cell* variant_summary::find(int memory_mb, phase kind) const {
    for (const auto& c : cells)
        if (c.memory_mb == memory_mb && c.kind == kind) return &c;
    return nullptr;
}

const variant_summary* run_summary::find(const std::string& function,
                                         const std::string& profile) const {
    for (const auto& v : variants)
        if (v.info.function == function && v.info.profile == profile) return &v;
    return nullptr;
}

std::vector<std::string> run_summary::functions() const {
    std::vector<std::string> out;
    for (const auto& v : variants)
        if (std::find(out.begin(), out.end(), v.info.function) == out.end())
            out.push_back(v.info.function);
    return out;
}

std::vector<std::string> run_summary::profiles() const {
    std::vector<std::string> out;
    for (const auto& v : variants)
        if (std::find(out.begin(), out.end(), v.info.profile) == out.end())
            out.push_back(v.info.profile);
    return out;
}

namespace {

struct cell_samples {
    std::vector<const sample*> all;
};

cell reduce(int memory_mb, phase kind, const std::vector<const sample*>& samples,
            std::size_t planned) {
    cell c;
    c.memory_mb = memory_mb;
    c.kind = kind;
    c.planned = planned;
    std::vector<double> duration, init, billed, round_trip, first_byte;
    std::string architecture = "x86_64";
    for (const sample* s : samples) {
        ++c.attempted;
        architecture = s->variant.architecture.empty() ? "x86_64" : s->variant.architecture;
        if (!s->ok || std::isnan(s->duration_ms)) {
            ++c.failed;
            if (c.error_type.empty()) {
                c.error_type = s->error_type.empty() ? "Unknown" : s->error_type;
                c.error_message = s->error_message;
            }
            continue;
        }
        duration.push_back(s->duration_ms);
        double total = s->duration_ms;
        double b = s->billed_ms;
        if (kind == phase::cold) {
            if (std::isnan(s->init_ms)) {
                ++c.cold_without_init;
            } else {
                init.push_back(s->init_ms);
                total += s->init_ms;
            }
            b = cold_billed_ms(std::isnan(b) ? 0 : b, s->duration_ms, s->init_ms);
        } else if (std::isnan(b)) {
            b = std::ceil(s->duration_ms);
        }
        c.totals.push_back(total);
        billed.push_back(b);
        if (!std::isnan(s->round_trip_ms)) round_trip.push_back(s->round_trip_ms);
        if (!std::isnan(s->first_byte_ms)) first_byte.push_back(s->first_byte_ms);
        if (!std::isnan(s->max_memory_mb))
            c.max_memory_mb = std::isnan(c.max_memory_mb)
                                  ? s->max_memory_mb
                                  : std::max(c.max_memory_mb, s->max_memory_mb);
    }
    c.duration = summarize(duration);
    c.init = summarize(init);
    c.total = summarize(c.totals);
    c.billed = summarize(billed);
    c.round_trip = summarize(round_trip);
    c.first_byte = summarize(first_byte);
    if (c.billed.n > 0) {
        try {
            c.cost_per_million = cost_per_million(c.billed.median, memory_mb, architecture);
        } catch (const std::invalid_argument&) {
            c.cost_per_million = no_value;  // unknown architecture: no price
        }
    }
    return c;
}

}  // namespace

run_summary summarize(const results& r, const cost_options& cost) {
    run_summary s;
    s.cost = cost;
    s.header = r.header;
    // What the service said about its resource model wins over the driver's guess from the
    // machine: the first sample that carries it (every sample of a run comes from one service).
    for (const auto& smp : r.samples) {
        if (smp.model.empty()) continue;
        auto& m = s.header.machine;
        m.model = smp.model;
        auto field = [&](const std::string& key) -> std::string {
            const std::string k = key + "=";
            for (std::size_t p = smp.model.find(k); p != std::string::npos;
                 p = smp.model.find(k, p + 1)) {
                if (p > 0 && smp.model[p - 1] != ' ' && smp.model[p - 1] != ';') continue;
                auto end = smp.model.find(';', p);
                return smp.model.substr(p + k.size(),
                                        end == std::string::npos ? end : end - p - k.size());
            }
            return {};
        };
        if (auto c = field("cgroups"); !c.empty()) m.cgroup_mode = c;
        if (auto i = field("init_cpu"); !i.empty()) m.init_cpu = i;
        break;
    }
    s.read_warnings = r.read_warnings;

    // Variant order: the plan, then whatever appears only in samples (a hand-made file).
    std::vector<variant_info> order = r.header.variants;
    auto known = [&](const variant_info& v) {
        return std::any_of(order.begin(), order.end(), [&](const variant_info& o) {
            return o.function == v.function && o.profile == v.profile;
        });
    };
    for (const auto& smp : r.samples)
        if (!known(smp.variant)) order.push_back(smp.variant);
    for (const auto& sk : r.skipped)
        if (!known(sk.variant)) order.push_back(sk.variant);

    std::set<int> memory(r.header.memory.begin(), r.header.memory.end());
    std::map<std::tuple<std::string, std::string, int, phase>, std::vector<const sample*>> by_cell;
    for (const auto& smp : r.samples) {
        memory.insert(smp.memory_mb);
        by_cell[{smp.variant.function, smp.variant.profile, smp.memory_mb, smp.kind}].push_back(
            &smp);
        ++s.total_samples;
        if (!smp.ok) ++s.failed_samples;
    }
    s.memory.assign(memory.begin(), memory.end());

    for (const auto& info : order) {
        variant_summary v;
        v.info = info;
        for (const auto& sk : r.skipped)
            if (sk.variant.function == info.function && sk.variant.profile == info.profile) {
                v.skipped = true;
                v.skip_reason = sk.reason;
            }
        std::vector<cost_point> points;
        for (int mem : s.memory) {
            for (phase kind : {phase::cold, phase::warm}) {
                auto it = by_cell.find({info.function, info.profile, mem, kind});
                if (it == by_cell.end()) continue;
                const std::size_t planned =
                    static_cast<std::size_t>(kind == phase::cold ? r.header.cold : r.header.warm);
                v.cells.push_back(reduce(mem, kind, it->second, planned));
            }
            const cell* warm = v.find(mem, phase::warm);
            const cell* cold = v.find(mem, phase::cold);
            if (warm && warm->has_data())
                points.push_back({mem, warm->duration.median, warm->cost_per_million,
                                  cold && cold->has_data() ? cold->cost_per_million : no_value,
                                  warm->billed.median});
        }
        if (!points.empty()) {
            v.rec =
                recommend(points, info.architecture.empty() ? "x86_64" : info.architecture, cost);
            v.has_recommendation = true;
        }
        s.variants.push_back(std::move(v));
    }

    // Warnings, typed, each with the change that would fix it.
    const auto& m = r.header.machine;
    if (m.cgroup_mode.empty() || m.cgroup_mode.rfind("none", 0) == 0 ||
        m.cgroup_mode.find("off") != std::string::npos)
        s.warnings.push_back({warning_kind::cgroups_off, "",
                              "cgroups were off (" +
                                  (m.cgroup_mode.empty() ? "unknown" : m.cgroup_mode) +
                                  "): no CPU share, memory cap or Max Memory Used",
                              "run as root or with a delegated cgroup so results model Lambda"});
    if (m.build_type == "debug")
        s.warnings.push_back({warning_kind::debug_build, "", "lambench itself was a debug build",
                              "rebuild with -DCMAKE_BUILD_TYPE=Release"});
    // Too few samples: one warning per phase for the whole run, not one per cell.
    struct few_samples {
        std::size_t cells = 0, min_n = 0;
    } few[2];
    for (const auto& v : s.variants) {
        // Failures: one warning per variant, not per cell.
        std::size_t failed = 0, attempted = 0;
        std::string types;
        for (const auto& c : v.cells) {
            failed += c.failed;
            attempted += c.attempted;
            if (c.failed && types.find(c.error_type) == std::string::npos)
                types += (types.empty() ? "" : ", ") + c.error_type;
        }
        if (failed > 0)
            s.warnings.push_back(
                {warning_kind::failures, v.info.id(),
                 fmt::format("{} of {} invocations failed ({})", failed, attempted, types),
                 "the reports show the error in a footnote; every message is in results.jsonl"});
        for (const auto& c : v.cells) {
            const std::string subject =
                fmt::format("{} @ {} MB {}", v.info.id(), c.memory_mb, to_string(c.kind));
            const std::size_t needed = c.kind == phase::cold ? min_cold_samples : min_warm_samples;
            if (c.has_data() && c.total.n < needed) {
                auto& f = few[c.kind == phase::cold ? 0 : 1];
                ++f.cells;
                f.min_n = f.cells == 1 ? c.total.n : std::min(f.min_n, c.total.n);
            }
            if (c.total.n >= 3 && c.total.mdape > high_spread_mdape)
                s.warnings.push_back(
                    {warning_kind::high_spread, subject,
                     fmt::format("MdAPE {:.1f} % is high", c.total.mdape * 100),
                     "close other programs, pin the CPU frequency, or take more samples"});
            if (c.cold_without_init > 0)
                s.warnings.push_back(
                    {warning_kind::cold_without_init, subject,
                     fmt::format("{} cold sample(s) reported no Init Duration",
                                 c.cold_without_init),
                     "the sandbox was reused: the target did not honour the configuration change"});
        }
    }
    for (phase kind : {phase::cold, phase::warm}) {
        const auto& f = few[kind == phase::cold ? 0 : 1];
        const std::size_t needed = kind == phase::cold ? min_cold_samples : min_warm_samples;
        if (f.cells)
            s.warnings.push_back(
                {warning_kind::too_few_samples, "",
                 fmt::format("{} {} cell{} with as few as {} successful sample{} (the median is "
                             "shaky below {})",
                             f.cells, to_string(kind), f.cells == 1 ? "" : "s", f.min_n,
                             f.min_n == 1 ? "" : "s", needed),
                 fmt::format("take at least {} (--{} {})", needed, to_string(kind), needed)});
    }
    return s;
}

std::vector<comparison> compare_profiles(const run_summary& s) {
    std::vector<comparison> out;
    for (const auto& fn : s.functions()) {
        for (int mem : s.memory) {
            for (phase kind : {phase::cold, phase::warm}) {
                std::vector<std::pair<const variant_summary*, const cell*>> cells;
                for (const auto& v : s.variants)
                    if (v.info.function == fn)
                        if (const cell* c = v.find(mem, kind); c && c->has_data())
                            cells.emplace_back(&v, c);
                if (cells.size() < 2) continue;
                auto fastest = std::min_element(cells.begin(), cells.end(), [](auto& a, auto& b) {
                    return a.second->total.mean < b.second->total.mean;
                });
                for (const auto& other : cells) {
                    if (other.first == fastest->first) continue;
                    out.push_back({fastest->first->info.id(), other.first->info.id(), mem, kind,
                                   ratio_of(other.second->total, fastest->second->total)});
                }
            }
        }
    }
    return out;
}

int nearest_memory(const std::vector<int>& memory, int wanted) {
    if (memory.empty()) return wanted;
    return *std::min_element(memory.begin(), memory.end(), [&](int a, int b) {
        return std::abs(a - wanted) < std::abs(b - wanted) ||
               (std::abs(a - wanted) == std::abs(b - wanted) && a < b);
    });
}

}  // namespace lambench::driver
