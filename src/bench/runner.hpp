// `lambench run`: suite → plan → target → samples → results file → reports.
// For each variant (function × profile) and memory size: set the memory, take N cold samples
// (each forced by a configuration change, as on AWS), then M warm samples on the warm sandbox.
// Failures are recorded as samples and the run goes on.
#pragma once

#include <cstdio>
#include <string>

#include "bench/reporters.hpp"
#include "bench/suite.hpp"
#include "bench/target.hpp"

namespace lambench::bench {

struct run_config {
    suite plan;
    std::string results_path;   // results.jsonl (appended to when resuming)
    bool resume = false;
    std::string artifacts_root;  // where "{function}/{profile}" artifacts live
    std::string database_url;    // passed as DATABASE_URL to functions that need one
    target_options target;
    export_targets exports;      // rewritten after each variant
    bool progress = false;       // progress bar on stderr
    std::FILE* console = stdout;  // per-variant blocks and the summary
};

// The artifacts root next to the running binary: <build>/bin/lambench -> <build>/functions.
std::string default_artifacts_root();
// suites/<name>.toml in the working directory, else in the source tree lambench was built from.
std::string default_suite_path(const std::string& name = "seed");

// Returns the exit code: 0 when every sample ran (failed samples included), 130 when
// interrupted (the results file stays valid and --resume continues it). Throws for setup
// errors (bad target, no database), each a one-line message.
int run_suite(const run_config& cfg);

// Set by SIGINT/SIGTERM while a run is in progress; the runner stops after the current sample.
void request_stop();

}  // namespace lambench::bench
