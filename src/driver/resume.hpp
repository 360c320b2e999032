// What an earlier, interrupted run already wrote to the results file being continued
// (--resume): the samples taken per cell, the cells given up on (a sample marked abandoned),
// and the variants whose SKIPPED line is written. A fresh run is the empty state.
#pragma once

#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

#include "driver/plan.hpp"
#include "driver/results.hpp"

namespace lambench::driver {

class resume_state {
  public:
    resume_state() = default;
    explicit resume_state(const results& prior);

    // Samples of the cell already in the file: the index the next one gets.
    int taken(const variant_info& v, int memory_mb, phase kind) const;
    // Samples still to take: none for a cell given up on, never negative.
    int remaining(const variant_info& v, const planned_cell& c) const;
    // Whether any cell of the variant still has samples to take.
    bool has_work(const variant_info& v, const run_plan& plan) const;
    bool skip_recorded(const variant_info& v) const;
    // Samples of the plan already done; a cell given up on counts as done.
    long completed(const run_plan& plan) const;

  private:
    struct cell_progress {
        int taken = 0;
        bool abandoned = false;
    };
    using cell_key = std::tuple<std::string, std::string, int, phase>;
    const cell_progress* find(const variant_info& v, int memory_mb, phase kind) const;

    std::map<cell_key, cell_progress> cells_;
    std::set<std::pair<std::string, std::string>> skipped_;
};

}  // namespace lambench::driver
