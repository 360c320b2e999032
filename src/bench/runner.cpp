#include "bench/runner.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>
#include <map>
#include <tuple>

#include "bench/format.hpp"

#ifdef LAMBENCH_HAVE_DB
#include "db/embedded.hpp"
#endif

namespace lambench::bench {

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

std::string substitute(std::string text, const std::string& key, const std::string& value) {
    for (std::size_t pos; (pos = text.find(key)) != std::string::npos;) text.replace(pos, key.size(), value);
    return text;
}

struct planned_variant {
    variant_info info;
    const function_spec* spec;
    std::string artifact;  // resolved path
};

using cell_key = std::tuple<std::string, std::string, int, phase>;

struct cell_progress {
    int done = 0;
    bool abandoned = false;
};

// A one-line progress bar on stderr, redrawn in place.
class progress_bar {
public:
    progress_bar(bool enabled, long total) : enabled_(enabled), total_(std::max(total, 1L)) {}
    void update(long done, const std::string& label, double estimate_ms) {
        if (!enabled_) return;
        const int width = 30;
        const int filled = static_cast<int>(static_cast<double>(width) * static_cast<double>(done) /
                                            static_cast<double>(total_));
        std::string bar(static_cast<std::size_t>(std::clamp(filled, 0, width)), '=');
        bar.resize(static_cast<std::size_t>(width), ' ');
        std::fprintf(stderr, "\r\x1b[2K[%s] %ld/%ld %s  current estimate %s", bar.c_str(), done,
                     total_, label.c_str(), format::ms(estimate_ms).c_str());
        std::fflush(stderr);
    }
    void clear() {
        if (enabled_) std::fprintf(stderr, "\r\x1b[2K");
    }

private:
    bool enabled_;
    long total_;
};

sample make_sample(const planned_variant& v, int mem, phase kind, int index, const invoke_outcome& o) {
    sample s;
    s.variant = v.info;
    s.memory_mb = mem;
    s.kind = kind;
    s.index = index;
    s.ok = o.ok;
    s.round_trip_ms = o.round_trip_ms;
    if (o.report) {
        s.duration_ms = o.report->duration_ms;
        s.billed_ms = o.report->billed_ms;
        s.memory_size_mb = o.report->memory_size_mb;
        s.max_memory_mb = o.report->max_memory_mb;
        s.init_ms = o.report->init_ms.value_or(no_value);
    }
    s.error_type = o.error_type;
    s.error_message = o.error_message;
    return s;
}

sample failed_sample(const planned_variant& v, int mem, phase kind, int index, const std::string& type,
                     const std::string& message) {
    invoke_outcome o;
    o.error_type = type;
    o.error_message = message;
    sample s = make_sample(v, mem, kind, index, o);
    s.abandoned = true;
    return s;
}

}  // namespace

void request_stop() { stop_requested = true; }

std::string default_artifacts_root() {
    return (fs::path(self_executable()).parent_path().parent_path() / "functions").string();
}

std::string default_suite_path(const std::string& name) {
    const std::string rel = "suites/" + name + ".toml";
    if (fs::exists(rel)) return rel;
#ifdef LAMBENCH_SOURCE_DIR
    const std::string in_tree = std::string(LAMBENCH_SOURCE_DIR) + "/" + rel;
    if (fs::exists(in_tree)) return in_tree;
#endif
    return rel;
}

int run_suite(const run_config& cfg) {
    stop_requested = false;
    const suite& st = cfg.plan;

    // The plan: every function × profile, artifacts resolved.
    std::vector<planned_variant> variants;
    bool needs_db = false;
    for (const auto& f : st.functions) {
        for (const auto& p : f.profiles) {
            planned_variant v;
            v.info = {f.name, p, f.library.empty() ? f.name : f.library, f.runtime, f.architecture};
            v.spec = &f;
            std::string path = substitute(substitute(f.artifact, "{function}", f.name), "{profile}", p);
            if (!fs::path(path).is_absolute()) path = (fs::path(cfg.artifacts_root) / path).string();
            v.artifact = path;
            variants.push_back(std::move(v));
            needs_db = needs_db || f.needs_database;
        }
    }

    // What is done already (resume): samples per cell, and cells given up on.
    std::map<cell_key, cell_progress> done;
    std::map<std::pair<std::string, std::string>, bool> skipped_done;
    bool have_header = false;
    if (cfg.resume && fs::exists(cfg.results_path)) {
        results prior = read_results(cfg.results_path);
        for (const auto& w : prior.read_warnings) std::fprintf(stderr, "lambench run: warning: %s\n", w.c_str());
        have_header = true;
        if (prior.header.memory != st.memory || prior.header.cold != st.cold || prior.header.warm != st.warm)
            std::fprintf(stderr,
                         "lambench run: warning: resuming with a different plan than the file's "
                         "header (memory, cold or warm differ); the report uses the header's\n");
        for (const auto& s : prior.samples) {
            auto& c = done[{s.variant.function, s.variant.profile, s.memory_mb, s.kind}];
            ++c.done;
            c.abandoned = c.abandoned || s.abandoned;
        }
        for (const auto& s : prior.skipped) skipped_done[{s.variant.function, s.variant.profile}] = true;
    }

    // The database, only when a selected function needs one.
    std::string database_url = cfg.database_url;
    if (needs_db && database_url.empty()) {
#ifdef LAMBENCH_HAVE_DB
        database_url = lambench::db::ensure_running(cfg.target.state_dir + "/db");
#else
        throw std::runtime_error(
            "a selected function needs a database: pass --database-url URL (this lambench was "
            "built without the embedded PostgreSQL, src/db)");
#endif
    }

    fs::create_directories(fs::path(cfg.results_path).parent_path().empty()
                               ? fs::path(".")
                               : fs::path(cfg.results_path).parent_path());
    results_writer writer(cfg.results_path);
    if (!have_header) {
        run_header h;
        h.machine = detect_machine();
        h.suite = st.name;
        h.target = cfg.target.spec;
        h.start_time = now_iso8601();
        h.memory = st.memory;
        h.cold = st.cold;
        h.warm = st.warm;
        h.concurrency = st.concurrency;
        for (const auto& v : variants) h.variants.push_back(v.info);
        writer.write(h);
    }

    auto rerender = [&](const variant_info* just_finished) {
        run_summary s = summarize(read_results(cfg.results_path));
        write_exports(s, cfg.exports, just_finished == nullptr);
        if (just_finished && cfg.console) {
            if (const variant_summary* v = s.find(just_finished->function, just_finished->profile)) {
                const std::string text = render_console_variant(s, *v);
                std::fwrite(text.data(), 1, text.size(), cfg.console);
                std::fflush(cfg.console);
            }
        }
        return s;
    };

    long total = 0, completed = 0;
    for (const auto& v : variants)
        for (int mem : st.memory)
            for (phase kind : {phase::cold, phase::warm}) {
                const int planned = kind == phase::cold ? st.cold : st.warm;
                total += planned;
                auto it = done.find({v.info.function, v.info.profile, mem, kind});
                if (it != done.end())
                    completed += it->second.abandoned ? planned : std::min(planned, it->second.done);
            }
    progress_bar bar(cfg.progress, total);

    std::unique_ptr<target> tgt;  // started lazily: a fully skipped or finished plan needs none
    // Unique per run and per sample, so every cold sample is a real configuration change
    // even when a resumed run repeats an index.
    long cold_serial = static_cast<long>(std::time(nullptr) % 1000000) * 1000;

    for (const auto& v : variants) {
        if (stop_requested) break;
        const std::string skipped_file = v.artifact + "/SKIPPED";
        if (fs::is_regular_file(skipped_file)) {
            if (!skipped_done.count({v.info.function, v.info.profile})) {
                std::string reason;
                std::ifstream in(skipped_file);
                std::getline(in, reason);
                writer.write(skipped_variant{v.info, reason.empty() ? "skipped" : reason});
            }
            rerender(&v.info);
            continue;
        }
        // Cells still to do for this variant.
        auto remaining = [&](int mem, phase kind) {
            const int planned = kind == phase::cold ? st.cold : st.warm;
            auto it = done.find({v.info.function, v.info.profile, mem, kind});
            if (it == done.end()) return planned;
            return it->second.abandoned ? 0 : std::max(0, planned - it->second.done);
        };
        auto already = [&](int mem, phase kind) {
            auto it = done.find({v.info.function, v.info.profile, mem, kind});
            return it == done.end() ? 0 : it->second.done;
        };
        bool work = false;
        for (int mem : st.memory)
            for (phase kind : {phase::cold, phase::warm}) work = work || remaining(mem, kind) > 0;
        if (!work) continue;

        // Record a failure for every unfinished cell of this variant (deploy failed).
        auto fail_all = [&](const std::string& type, const std::string& message) {
            for (int mem : st.memory)
                for (phase kind : {phase::cold, phase::warm})
                    if (int left = remaining(mem, kind); left > 0) {
                        writer.write(failed_sample(v, mem, kind, already(mem, kind), type, message));
                        completed += left;
                    }
        };

        if (!fs::exists(v.artifact)) {
            fail_all("Artifact.Missing", "artifact '" + v.artifact + "' does not exist (build the function first)");
            rerender(&v.info);
            continue;
        }
        try {
            if (!tgt) tgt = make_target(cfg.target);
        } catch (const target_error& e) {
            throw std::runtime_error(e.what());
        }
        deploy_spec spec;
        spec.info = v.info;
        spec.artifact = v.artifact;
        spec.handler = v.spec->handler;
        spec.timeout_s = v.spec->timeout_s;
        spec.environment = v.spec->environment;
        if (v.spec->needs_database) spec.environment["DATABASE_URL"] = database_url;
        try {
            tgt->deploy(spec, st.memory.front());
        } catch (const target_error& e) {
            fail_all(e.type, e.what());
            rerender(&v.info);
            continue;
        }

        for (int mem : st.memory) {
            if (stop_requested) break;
            if (remaining(mem, phase::cold) == 0 && remaining(mem, phase::warm) == 0) continue;
            bool sandbox_warm = false;
            try {
                tgt->set_memory(mem);
            } catch (const target_error& e) {
                for (phase kind : {phase::cold, phase::warm})
                    if (int left = remaining(mem, kind); left > 0) {
                        writer.write(failed_sample(v, mem, kind, already(mem, kind), e.type, e.what()));
                        completed += left;
                    }
                continue;
            }
            for (phase kind : {phase::cold, phase::warm}) {
                int left = remaining(mem, kind);
                int index = already(mem, kind);
                int consecutive_failures = 0;
                std::vector<double> seen;
                const std::string label = fmt::format("{} @ {} MB {}", v.info.id(), mem, to_string(kind));
                // Warm samples need a warm sandbox: after set_memory without cold samples (a
                // resumed run, or --cold 0) or a failed cold sample, warm it up, unrecorded.
                if (kind == phase::warm && left > 0 && !sandbox_warm) {
                    sandbox_warm = tgt->invoke(v.spec->payload).ok;
                }
                while (left > 0 && !stop_requested) {
                    sample s;
                    try {
                        if (kind == phase::cold) tgt->force_cold(++cold_serial);
                        s = make_sample(v, mem, kind, index, tgt->invoke(v.spec->payload));
                        sandbox_warm = s.ok;
                    } catch (const target_error& e) {
                        invoke_outcome o;
                        o.error_type = e.type;
                        o.error_message = e.what();
                        s = make_sample(v, mem, kind, index, o);
                    }
                    if (s.ok) {
                        consecutive_failures = 0;
                        seen.push_back(kind == phase::cold && !std::isnan(s.init_ms) ? s.init_ms + s.duration_ms
                                                                                     : s.duration_ms);
                    } else {
                        ++consecutive_failures;
                    }
                    // Three failures in a row: the variant is broken at this size (init error,
                    // crash, timeout); give up on the cell rather than burn the whole budget.
                    if (consecutive_failures >= 3 && left > 1) s.abandoned = true;
                    writer.write(s);
                    ++index;
                    --left;
                    ++completed;
                    if (s.abandoned) {
                        completed += left;
                        left = 0;
                    }
                    bar.update(completed, label, seen.empty() ? no_value : median(seen));
                }
            }
        }
        bar.clear();
        tgt->remove();
        rerender(&v.info);
    }
    bar.clear();
    tgt.reset();

    const run_summary s = rerender(nullptr);
    if (cfg.console) {
        const std::string text = render_console_summary(s);
        std::fwrite(text.data(), 1, text.size(), cfg.console);
        std::fflush(cfg.console);
    }
    for (const auto& w : s.warnings) std::fprintf(stderr, "%s\n", format_warning(w).c_str());
    if (stop_requested) {
        std::fprintf(stderr, "lambench run: interrupted; continue with --resume %s\n", cfg.results_path.c_str());
        return 130;
    }
    return 0;
}

}  // namespace lambench::bench
