// Measuring planned variants on a target, and the failure policy:
//   - an artifact that is missing or a deploy that fails gives up on every unfinished cell of
//     the variant: one failed sample per cell, marked abandoned (so --resume does not retry it);
//   - a memory size that cannot be set does the same for that size's cells;
//   - an invocation that fails (or a cold start that cannot be forced) is a failed sample and
//     the cell goes on, until `abandon_after_failures` failures in a row: then the cell is given
//     up (that sample is marked abandoned) rather than burn its whole budget on a variant that
//     is broken at this size (init error, crash, timeout);
//   - a target that cannot start at all throws (a setup error ends the run).
#pragma once

#include <functional>
#include <string>

#include "driver/plan.hpp"
#include "driver/results.hpp"
#include "driver/resume.hpp"
#include "driver/target.hpp"

namespace lambench::driver {

inline constexpr int abandon_after_failures = 3;

// What measuring reports as it goes; unset members are ignored.
struct measure_sink {
    std::function<void(const sample&)> record;  // every sample, in order (the results file)
    // Samples of the plan done: 1 per sample taken, plus the rest of a cell given up on.
    std::function<void(long samples)> finished;
    // After each sample taken (following record and finished): the cell, as
    // "hello/static @ 128 MB cold", and the median so far of its successful samples (NaN if none).
    std::function<void(const std::string& label, double estimate_ms)> measured;
};

// State carried from one cell to the next.
struct measure_state {
    // force_cold's argument, incremented before each cold sample: unique per run and sample,
    // so every cold sample is a real configuration change even when a resumed run repeats an
    // index.
    long cold_serial = 0;
    bool sandbox_warm = false;   // the deployed function has a warm sandbox at this memory size
    std::function<bool()> stop;  // checked before each memory size and each sample; unset = never
};

sample make_sample(const variant_info& v, int memory_mb, phase kind, int index,
                   const invoke_outcome& o);
// A failed sample standing for a cell that could not be measured, marked abandoned.
sample failed_sample(const variant_info& v, int memory_mb, phase kind, int index,
                     const std::string& type, const std::string& message);

// Takes up to `count` samples of one cell, indexed from `first_index`, on a target where the
// variant is deployed at the cell's memory size. A warm cell first warms the sandbox, unrecorded,
// unless it is known warm (after set_memory without cold samples — a resumed run, or --cold 0 —
// or after a failed cold sample). Returns the samples taken (fewer when stopped or given up).
int measure_cell(target& tgt, const planned_variant& v, const planned_cell& cell, int first_index,
                 int count, measure_state& state, const measure_sink& sink);

// Records the failure for every unfinished cell of the variant (artifact missing, deploy
// failed), as the policy above says.
void abandon_variant(const planned_variant& v, const run_plan& plan, const resume_state& done,
                     const std::string& type, const std::string& message, const measure_sink& sink);

// A variant's unfinished cells: deploys it (at the first memory size; DATABASE_URL set for a
// function that needs a database), sets each memory size, measures its cells, and removes it.
// Returns whether it was deployed (false when its artifact is missing or the deploy failed).
bool measure_variant(target& tgt, const run_plan& plan, const planned_variant& v,
                     const resume_state& done, const std::string& database_url,
                     measure_state& state, const measure_sink& sink);

}  // namespace lambench::driver
