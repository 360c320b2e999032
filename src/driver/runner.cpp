#include "driver/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <limits>

#include "db/embedded.hpp"
#include "driver/aws_target.hpp"
#include "driver/format.hpp"
#include "driver/measure.hpp"
#include "driver/plan.hpp"
#include "driver/resume.hpp"

namespace lambench::driver {

namespace fs = std::filesystem;

namespace {

std::atomic<bool> stop_requested{false};

std::string now_iso8601() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace

std::string format_duration(double seconds) {
    if (std::isnan(seconds) || seconds < 0) return "-";
    const long s = std::lround(seconds);
    if (s < 60) return std::to_string(s) + "s";
    char buf[32];
    if (s < 3600)
        std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
    return buf;
}

double estimate_remaining(double elapsed_s, long done_this_run, long remaining) {
    if (done_this_run <= 0 || remaining < 0) return std::numeric_limits<double>::quiet_NaN();
    return elapsed_s / static_cast<double>(done_this_run) * static_cast<double>(remaining);
}

namespace {

// A one-line progress bar on stderr, redrawn in place.
class progress_bar {
  public:
    progress_bar(bool enabled, long total) : enabled_(enabled), total_(std::max(total, 1L)) {}
    void update(long done, const std::string& label, double estimate_ms, double elapsed_s,
                double eta_s) {
        if (!enabled_) return;
        const int width = 30;
        const int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(done) /
                                            static_cast<double>(total_));
        std::string bar(static_cast<std::size_t>(std::clamp(filled, 0, width)), '=');
        bar.resize(static_cast<std::size_t>(width), ' ');
        std::fprintf(stderr, "\r\x1b[2K[%s] %ld/%ld %s  current estimate %s  elapsed %s  ETA %s",
                     bar.c_str(), done, total_, label.c_str(), format::ms(estimate_ms).c_str(),
                     format_duration(elapsed_s).c_str(),
                     std::isnan(eta_s) ? "-" : format_duration(eta_s).c_str());
        std::fflush(stderr);
    }
    void clear() {
        if (enabled_) std::fprintf(stderr, "\r\x1b[2K");
    }

  private:
    bool enabled_;
    long total_;
};

// The results file being continued: its read warnings on stderr, and what it already holds.
resume_state load_resume(const std::string& path, const suite& st) {
    results prior = read_results(path);
    for (const auto& w : prior.read_warnings)
        std::fprintf(stderr, "lambench run: warning: %s\n", w.c_str());
    if (prior.header.memory != st.memory || prior.header.cold != st.cold ||
        prior.header.warm != st.warm)
        std::fprintf(stderr,
                     "lambench run: warning: resuming with a different plan than the file's "
                     "header (memory, cold or warm differ); the report uses the header's\n");
    return resume_state(prior);
}

// The database, only when a planned function needs one and no URL was given.
std::string database_url_for(const run_config& cfg, const run_plan& plan) {
    if (!plan.needs_database || !cfg.database_url.empty()) return cfg.database_url;
    // On Lambda the functions cannot reach a database on this machine: the stack's, or none.
    if (cfg.target.spec == "aws") return aws_database_url(cfg.target);
    // The same database `lambench db` manages for this state directory.
    return lambench::db::ensure_running(cfg.target.state_dir);
}

run_header make_header(const run_config& cfg, const run_plan& plan) {
    run_header h;
    h.machine = detect_machine();
    h.suite = cfg.plan.name;
    h.target = cfg.target.spec;
    h.start_time = now_iso8601();
    h.memory = cfg.plan.memory;
    h.cold = cfg.plan.cold;
    h.warm = cfg.plan.warm;
    h.concurrency = cfg.plan.concurrency;
    for (const auto& v : plan.variants) h.variants.push_back(v.info);
    if (cfg.target.spec == "aws") describe_aws_run(cfg.target, h);
    return h;
}

// Calls a remote target retried (429 throttles, 409 conflicts), from the results file so that a
// resumed run counts its whole file.
void report_retries(const std::string& path) {
    long throttled = 0, conflicts = 0;
    for (const auto& s : read_results(path).samples) {
        throttled += s.throttled_retries;
        conflicts += s.conflict_retries;
    }
    if (throttled + conflicts > 0)
        std::fprintf(stderr,
                     "lambench run: retried %ld throttled (429) and %ld conflicting (409) calls; "
                     "each sample's count is in the results file\n",
                     throttled, conflicts);
}

// Redraws the reports from the results file; after a variant, prints its console block.
run_summary rerender(const run_config& cfg, const variant_info* just_finished) {
    run_summary s = summarize(read_results(cfg.results_path), cfg.cost);
    write_exports(s, cfg.exports, just_finished == nullptr);
    if (just_finished && cfg.console) {
        if (const variant_summary* v = s.find(just_finished->function, just_finished->profile)) {
            const std::string text = render_console_variant(s, *v);
            std::fwrite(text.data(), 1, text.size(), cfg.console);
            std::fflush(cfg.console);
        }
    }
    return s;
}

// The real target, started on the first deploy. Failing to start is a setup error for the
// whole run (std::runtime_error), not a failed sample (target_error).
class started_on_first_deploy final : public target {
  public:
    explicit started_on_first_deploy(const target_options& o) : options_(o) {}

    std::string describe() const override { return real_ ? real_->describe() : options_.spec; }
    void deploy(const deploy_spec& spec, int memory_mb) override {
        started().deploy(spec, memory_mb);
    }
    void set_memory(int memory_mb) override { started().set_memory(memory_mb); }
    void force_cold(long n) override { started().force_cold(n); }
    invoke_outcome invoke(const std::string& payload) override { return started().invoke(payload); }
    void remove() noexcept override {
        if (real_) real_->remove();
    }

  private:
    target& started() {
        if (!real_) {
            try {
                real_ = make_target(options_);
            } catch (const target_error& e) {
                throw std::runtime_error(e.what());
            }
        }
        return *real_;
    }

    target_options options_;
    std::unique_ptr<target> real_;
};

}  // namespace

void request_stop() {
    stop_requested = true;
}

std::string default_artifacts_root() {
    return (fs::path(self_executable()).parent_path().parent_path() / "functions").string();
}

std::string default_suite_path(const std::string& name) {
    std::string rel = "suites/" + name + ".toml";  // not const: returned by move
    if (fs::exists(rel)) return rel;
#ifdef LAMBENCH_SOURCE_DIR
    std::string in_tree = std::string(LAMBENCH_SOURCE_DIR) + "/" + rel;
    if (fs::exists(in_tree)) return in_tree;
#endif
    return rel;
}

int run_suite(const run_config& cfg) {
    started_on_first_deploy tgt(cfg.target);
    return run_suite(cfg, tgt);
}

int run_suite(const run_config& cfg, target& tgt) {
    stop_requested = false;
    run_plan plan = make_plan(cfg.plan, cfg.artifacts_root, probe_artifact);
    if (cfg.target.spec == "aws") mark_unrunnable_on_aws(plan);

    const bool resuming = cfg.resume && fs::exists(cfg.results_path);
    const resume_state done = resuming ? load_resume(cfg.results_path, cfg.plan) : resume_state{};
    const std::string database_url = database_url_for(cfg, plan);

    fs::create_directories(fs::path(cfg.results_path).parent_path().empty()
                               ? fs::path(".")
                               : fs::path(cfg.results_path).parent_path());
    results_writer writer(cfg.results_path);
    if (!resuming) writer.write(make_header(cfg, plan));

    const long total = plan.total_samples();
    long completed = done.completed(plan);
    const long completed_at_start = completed;
    const auto started = std::chrono::steady_clock::now();
    auto elapsed_s = [&] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    };
    progress_bar bar(cfg.progress, total);
    measure_sink sink;
    sink.record = [&](const sample& s) { writer.write(s); };
    sink.finished = [&](long n) { completed += n; };
    sink.measured = [&](const std::string& label, double estimate_ms) {
        const double el = elapsed_s();
        const double eta =
            estimate_remaining(el, completed - completed_at_start, total - completed);
        bar.update(completed, label, estimate_ms, el, eta);
        if (cfg.on_progress) cfg.on_progress({completed, total, label, estimate_ms, el, eta});
    };
    measure_state state;
    state.cold_serial = static_cast<long>(std::time(nullptr) % 1000000) * 1000;
    state.stop = [] { return stop_requested.load(); };

    for (const auto& v : plan.variants) {
        if (stop_requested) break;
        if (v.state.status == artifact_status::skipped) {
            if (!done.skip_recorded(v.info))
                writer.write(skipped_variant{v.info, v.state.skip_reason});
            rerender(cfg, &v.info);
            continue;
        }
        if (!done.has_work(v.info, plan)) continue;
        if (measure_variant(tgt, plan, v, done, database_url, state, sink)) bar.clear();
        rerender(cfg, &v.info);
    }
    bar.clear();

    const run_summary s = rerender(cfg, nullptr);
    if (cfg.console) {
        const std::string text = render_console_summary(s);
        std::fwrite(text.data(), 1, text.size(), cfg.console);
        std::fflush(cfg.console);
    }
    for (const auto& w : s.warnings) std::fprintf(stderr, "%s\n", format_warning(w).c_str());
    report_retries(cfg.results_path);
    if (cfg.progress || cfg.on_progress)
        std::fprintf(stderr, "lambench run: %ld of %ld samples in %s wall time\n",
                     completed - completed_at_start, total - completed_at_start,
                     format_duration(elapsed_s()).c_str());
    if (stop_requested) {
        std::fprintf(stderr, "lambench run: interrupted; continue with --resume %s\n",
                     cfg.results_path.c_str());
        return 130;
    }
    return 0;
}

}  // namespace lambench::driver
