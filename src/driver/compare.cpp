#include "driver/compare.hpp"

#include <fmt/format.h>

#include <cmath>

#include "driver/format.hpp"

namespace lambench::driver {

namespace {

std::string status_of(const variant_summary* v, const cell* c) {
    if (!v) return "missing";
    if (v->skipped) return "n/a";
    if (!c) return "missing";
    if (c->is_error()) return "error";
    return c->has_data() ? "ok" : "missing";
}

std::string format_p(double p) {
    if (std::isnan(p)) return "p n/a";
    if (p < 0.001) return "p < 0.001";
    return fmt::format("p = {:.3f}", p);
}

}  // namespace

run_delta judge(const std::vector<double>& a, const std::vector<double>& b) {
    run_delta d;
    d.b_over_a = median_ratio(a, b);
    d.test = mann_whitney(a, b);
    const ratio_interval& r = d.b_over_a;
    if (std::isnan(r.value)) {
        d.verdict = "no ratio (A's median is 0)";
        return d;
    }
    d.significant = d.test.p < significance_level && !r.contains_one();
    if (r.value == 1)
        d.verdict =
            fmt::format("same median [{:.2f}, {:.2f}], {}", r.low, r.high, format_p(d.test.p));
    else if (r.value < 1)  // B faster: show A/B, the interval inverted
        d.verdict = fmt::format("B {:.2f} times faster [{:.2f}, {:.2f}], {}", 1 / r.value,
                                1 / r.high, 1 / r.low, format_p(d.test.p));
    else
        d.verdict = fmt::format("B {:.2f} times slower [{:.2f}, {:.2f}], {}", r.value, r.low,
                                r.high, format_p(d.test.p));
    if (!d.significant) d.verdict += " (within noise)";
    return d;
}

std::vector<run_delta> compare_runs(const run_summary& a, const run_summary& b) {
    std::vector<run_delta> out;
    for (const auto& va : a.variants) {
        const variant_summary* vb = b.find(va.info.function, va.info.profile);
        std::vector<int> memory = a.memory;
        for (int mem : memory) {
            for (phase kind : {phase::cold, phase::warm}) {
                const cell* ca = va.find(mem, kind);
                const cell* cb = vb ? vb->find(mem, kind) : nullptr;
                if (!ca && !cb && !va.skipped) continue;
                run_delta d;
                const bool both =
                    ca && cb && status_of(&va, ca) == "ok" && status_of(vb, cb) == "ok";
                if (both) d = judge(ca->totals, cb->totals);
                d.variant = va.info.id();
                d.memory_mb = mem;
                d.kind = kind;
                d.a_status = status_of(&va, ca);
                d.b_status = status_of(vb, cb);
                if (va.skipped && (!vb || vb->skipped)) {
                    if (kind == phase::warm || mem != memory.front()) continue;  // once per variant
                }
                if (d.a_status == "ok") d.a_median = ca->total.median;
                if (d.b_status == "ok") d.b_median = cb->total.median;
                if (!both) {
                    d.verdict = fmt::format("A {}, B {}", d.a_status, d.b_status);
                }
                out.push_back(std::move(d));
            }
        }
    }
    // Variants only in B.
    for (const auto& vb : b.variants)
        if (!a.find(vb.info.function, vb.info.profile)) {
            run_delta d;
            d.variant = vb.info.id();
            d.a_status = "missing";
            d.b_status = vb.skipped ? "n/a" : "ok";
            d.verdict = "only in B";
            out.push_back(std::move(d));
        }
    return out;
}

namespace {

// Where a run on the aws target ran, for the header lines: ", aws eu-west-1" (and "at <endpoint>"
// when the endpoint was overridden, e.g. a local `lambench serve`); empty for local runs, whose
// lines stay as they were.
std::string where_ran(const run_header& h) {
    if (h.target != "aws") return {};
    std::string out = ", aws " + h.region;
    if (!h.endpoint.empty()) out += " at " + h.endpoint;
    return out;
}

}  // namespace

std::string render_comparison(const run_summary& a, const run_summary& b,
                              const std::vector<run_delta>& deltas, bool markdown) {
    std::string out;
    if (markdown) {
        out += fmt::format(
            "# lambench compare\n\nA: suite {} started {} ({}, lambench {}{})  \n"
            "B: suite {} started {} ({}, lambench {}{})\n\n",
            a.header.suite, a.header.start_time, a.header.machine.host, a.header.machine.git_sha,
            where_ran(a.header), b.header.suite, b.header.start_time, b.header.machine.host,
            b.header.machine.git_sha, where_ran(b.header));
        out +=
            "| Variant | Memory | Phase | A median | B median | B vs A "
            "|\n|---|---:|---|---:|---:|---|\n";
        for (const auto& d : deltas)
            out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", d.variant,
                               d.memory_mb ? std::to_string(d.memory_mb) + " MB" : "-",
                               to_string(d.kind),
                               d.a_status == "ok" ? format::ms(d.a_median) : d.a_status,
                               d.b_status == "ok" ? format::ms(d.b_median) : d.b_status, d.verdict);
        return out;
    }
    out +=
        fmt::format("A: {} ({}, {}{})\nB: {} ({}, {}{})\n\n", a.header.suite, a.header.start_time,
                    a.header.machine.host, where_ran(a.header), b.header.suite, b.header.start_time,
                    b.header.machine.host, where_ran(b.header));
    out += fmt::format("{:<28} {:>8} {:<5} {:>10} {:>10}  {}\n", "variant", "memory", "phase",
                       "A median", "B median", "B vs A");
    for (const auto& d : deltas)
        out +=
            fmt::format("{:<28} {:>8} {:<5} {:>10} {:>10}  {}\n", d.variant,
                        d.memory_mb ? std::to_string(d.memory_mb) + " MB" : "-", to_string(d.kind),
                        d.a_status == "ok" ? format::ms(d.a_median) : d.a_status,
                        d.b_status == "ok" ? format::ms(d.b_median) : d.b_status, d.verdict);
    return out;
}

}  // namespace lambench::driver
