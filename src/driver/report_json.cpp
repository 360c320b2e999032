#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <system_error>

#include "driver/format.hpp"
#include "driver/reporters.hpp"

namespace lambench::driver {

using json = nlohmann::json;

namespace {

json num(double v) {
    return std::isnan(v) ? json(nullptr) : json(v);
}

json stats_json(const summary_stats& s) {
    return {{"n", s.n},
            {"min", num(s.min)},
            {"max", num(s.max)},
            {"mean", num(s.mean)},
            {"median", num(s.median)},
            {"p90", num(s.p90)},
            {"p99", num(s.p99)},
            {"stddev", num(s.stddev)},
            {"mdape", num(s.mdape)},
            {"median_ci",
             {{"low", num(s.median_ci.low)},
              {"high", num(s.median_ci.high)},
              {"coverage", num(s.median_ci.coverage)}}},
            {"outliers", s.outliers}};
}

}  // namespace

std::string render_json(const run_summary& s) {
    const auto& h = s.header;
    json variants = json::array();
    for (const auto& v : s.variants) {
        json cells = json::array();
        bool any_error = false;
        for (const auto& c : v.cells) {
            any_error = any_error || c.is_error();
            json jc = {{"memory_mb", c.memory_mb},
                       {"phase", to_string(c.kind)},
                       {"planned", c.planned},
                       {"attempted", c.attempted},
                       {"failed", c.failed},
                       {"status", c.is_error() ? "error" : "ok"},
                       {"time_ms", stats_json(c.total)},
                       {"duration_ms", stats_json(c.duration)},
                       {"init_ms", stats_json(c.init)},
                       {"billed_ms", stats_json(c.billed)},
                       {"round_trip_ms", stats_json(c.round_trip)},
                       {"max_memory_mb", num(c.max_memory_mb)},
                       {"cost_per_million_usd", num(c.cost_per_million)}};
            // Streaming functions only, so that other reports keep their shape.
            if (c.first_byte.n > 0) jc["first_byte_ms"] = stats_json(c.first_byte);
            if (c.failed) {
                jc["error_type"] = c.error_type;
                jc["error_message"] = c.error_message;
            }
            cells.push_back(std::move(jc));
        }
        json jv = {{"id", v.info.id()},
                   {"function", v.info.function},
                   {"profile", v.info.profile},
                   {"library", v.info.library},
                   {"runtime", v.info.runtime},
                   {"architecture", v.info.architecture},
                   {"status", v.skipped   ? "n/a"
                              : any_error ? "error"
                                          : "ok"},
                   {"cells", cells}};
        if (v.skipped) jv["skip_reason"] = v.skip_reason;
        if (v.has_recommendation)
            jv["recommendation"] = {{"cheapest_mb", v.rec.cheapest_mb},
                                    {"fastest_mb", v.rec.fastest_mb},
                                    {"balanced_mb", v.rec.balanced_mb},
                                    {"cheapest_monthly_usd", num(v.rec.cheapest_monthly_usd)},
                                    {"fastest_monthly_usd", num(v.rec.fastest_monthly_usd)},
                                    {"balanced_monthly_usd", num(v.rec.balanced_monthly_usd)},
                                    {"invocations_per_month", v.rec.invocations_per_month}};
        variants.push_back(std::move(jv));
    }
    json comparisons = json::array();
    for (const auto& c : compare_profiles(s))
        comparisons.push_back({{"faster", c.faster},
                               {"slower", c.slower},
                               {"memory_mb", c.memory_mb},
                               {"phase", to_string(c.kind)},
                               {"ratio", num(c.r.value)},
                               {"uncertainty", num(c.r.uncertainty)}});
    json warnings = json::array();
    for (const auto& w : s.warnings)
        warnings.push_back({{"kind", to_string(w.kind)},
                            {"subject", w.subject},
                            {"message", w.message},
                            {"advice", w.advice}});
    const auto& m = h.machine;
    json out = {
        {"schema", "lambench.report/1"},
        {"results_schema", h.schema},
        {"context",
         {{"host", m.host},
          {"kernel", m.kernel},
          {"cpu_model", m.cpu_model},
          {"cores", m.cores},
          {"cgroup_mode", m.cgroup_mode},
          {"init_cpu", m.init_cpu},
          {"build_type", m.build_type},
          {"lambench_version", m.lambench_version},
          {"git_sha", m.git_sha},
          {"suite", h.suite},
          {"target", h.target},
          {"start_time", h.start_time},
          {"memory", h.memory},
          {"cold", h.cold},
          {"warm", h.warm},
          {"percentile_definition", "linear interpolation between closest ranks (type 7)"},
          {"price_per_gb_s",
           {{"x86_64", price_per_gb_second("x86_64")}, {"arm64", price_per_gb_second("arm64")}}},
          {"price_per_request", default_prices().usd_per_request},
          {"prices_as_of", default_prices().as_of},
          {"prices_source", default_prices().source},
          {"invocations_per_month", s.cost.invocations_per_month},
          {"free_tier", s.cost.free_tier}}},
        {"variants", variants},
        {"comparisons", comparisons},
        {"warnings", warnings},
        {"samples", {{"total", s.total_samples}, {"failed", s.failed_samples}}}};
    if (!m.model.empty()) out["context"]["model"] = m.model;  // as the service reported it
    return out.dump(2) + "\n";
}

void write_file_atomically(const std::string& path, const std::string& text) {
    if (path == "-") {
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
        return;
    }
    const std::string tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "open(" + tmp + ")");
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int err = errno;
            ::close(fd);
            throw std::system_error(err, std::generic_category(), "write(" + tmp + ")");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0)
        throw std::system_error(errno, std::generic_category(), "close(" + tmp + ")");
    if (::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::system_error(errno, std::generic_category(),
                                "rename(" + tmp + ", " + path + ")");
}

bool export_targets::uses_stdout() const {
    for (const auto* list : {&json, &csv, &markdown, &html})
        for (const auto& path : *list)
            if (path == "-") return true;
    return false;
}

void write_exports(const run_summary& s, const export_targets& t, bool final) {
    auto emit = [&](const std::vector<std::string>& paths, auto render) {
        std::string text;  // rendered once, only if some path wants it now
        for (const auto& path : paths) {
            if (path == "-" && !final) continue;
            if (text.empty()) text = render();
            write_file_atomically(path, text);
        }
    };
    emit(t.json, [&] { return render_json(s); });
    emit(t.csv, [&] { return render_csv(s); });
    emit(t.markdown, [&] { return render_markdown(s, t.markdown_opts); });
    emit(t.html, [&] { return render_html(s, t.html_opts); });
}

}  // namespace lambench::driver
