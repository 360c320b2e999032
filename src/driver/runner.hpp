// `lambench run`: suite → plan → target → samples → results file → reports.
// For each variant (function × profile) and memory size: set the memory, take N cold samples
// (each forced by a configuration change, as on AWS), then M warm samples on the warm sandbox.
// Failures are recorded as samples and the run goes on (the policy: measure.hpp).
// The parts: plan.hpp (what to measure), resume.hpp (what a continued file already holds),
// measure.hpp (cells and variants on a target); this file ties them to the results file, the
// database, the progress bar and the reports.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "driver/reporters.hpp"
#include "driver/suite.hpp"
#include "driver/target.hpp"

namespace lambench::driver {

struct progress_update {
    long completed = 0;      // samples of the plan done, those given up on included
    long total = 0;          // samples of the plan (run_plan::total_samples)
    std::string label;       // the cell, e.g. "hello/static @ 128 MB cold"
    double estimate_ms = 0;  // median so far of the cell's successful samples (NaN if none)
    double elapsed_s = 0;    // wall time since this run (or resume) started
    // Time left at the average pace of this run's samples so far (NaN before the first one).
    double eta_s = 0;
};

// "42s", "3m07s", "1h02m": the progress bar's and the final line's durations.
std::string format_duration(double seconds);
// Remaining time at the pace so far: elapsed / done × (total - done); NaN when done <= 0.
double estimate_remaining(double elapsed_s, long done_this_run, long remaining);

struct run_config {
    suite plan;
    std::string results_path;  // results.jsonl (appended to when resuming)
    bool resume = false;
    std::string artifacts_root;  // where "{function}/{profile}" artifacts live
    std::string database_url;    // passed as DATABASE_URL to functions that need one
    target_options target;
    export_targets exports;       // rewritten after each variant
    cost_options cost;            // volume behind the recommendations' monthly costs
    bool progress = false;        // progress bar on stderr
    std::FILE* console = stdout;  // per-variant blocks and the summary
    // Called where the progress bar is drawn (after each sample taken), whether or not it is.
    std::function<void(const progress_update&)> on_progress;
};

// The artifacts root next to the running binary: <build>/bin/lambench -> <build>/functions.
std::string default_artifacts_root();
// suites/<name>.toml in the working directory, else in the source tree lambench was built from.
std::string default_suite_path(const std::string& name = "seed");

// Runs the plan on `tgt`, which it deploys to only when a variant has samples to take.
// Returns the exit code: 0 when every sample ran (failed samples included), 130 when
// interrupted (the results file stays valid and --resume continues it). Throws for setup
// errors (a target that cannot start, no database), each a one-line message.
int run_suite(const run_config& cfg, target& tgt);
// The same on the target cfg.target describes (make_target), started on the first deploy: a
// run whose variants are all skipped, missing or already done starts no service.
int run_suite(const run_config& cfg);

// Set by SIGINT/SIGTERM while a run is in progress; the runner stops after the current sample.
void request_stop();

}  // namespace lambench::driver
