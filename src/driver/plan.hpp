// The plan of a run: every function × profile of a suite with its artifact resolved and its
// state (present, SKIPPED with a reason, missing), and the cells — memory size × phase — each
// variant is measured in. make_plan is pure: the file system is consulted only through the
// probe the caller passes (probe_artifact in a real run).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "driver/results.hpp"
#include "driver/suite.hpp"

namespace lambench::driver {

enum class artifact_status { present, skipped, missing };

struct artifact_state {
    artifact_status status = artifact_status::present;
    std::string skip_reason;  // the SKIPPED file's first line ("skipped" when it is empty)
};
using artifact_probe = std::function<artifact_state(const std::string& artifact)>;

// The file system: a directory holding a SKIPPED file is skipped, a path that does not exist
// is missing, anything else is present.
artifact_state probe_artifact(const std::string& artifact);

struct planned_variant {
    variant_info info;
    function_spec spec;    // handler, payload, timeout, environment, needs_database
    std::string artifact;  // "{function}" and "{profile}" substituted, rooted at the artifacts root
    artifact_state state;
};

// One (memory size, phase) of a variant and the samples planned for it.
struct planned_cell {
    int memory_mb = 0;
    phase kind = phase::warm;
    int samples = 0;
};

struct run_plan {
    std::vector<planned_variant> variants;  // functions in suite order, then their profiles
    std::vector<int> memory;                // in suite order
    int cold = 0, warm = 0;                 // samples per variant, memory size and phase
    bool needs_database = false;            // a planned function needs DATABASE_URL

    int samples(phase kind) const { return kind == phase::cold ? cold : warm; }
    // One variant's cells in measuring order: memory sizes as listed, cold before warm.
    std::vector<planned_cell> cells() const;
    // Samples of the whole plan, the progress bar's 100 % (skipped variants included).
    long total_samples() const;
};

run_plan make_plan(const suite& s, const std::string& artifacts_root, const artifact_probe& probe);

}  // namespace lambench::driver
