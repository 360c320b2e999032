#include "driver/resume.hpp"

#include <algorithm>

namespace lambench::driver {

resume_state::resume_state(const results& prior) {
    for (const auto& s : prior.samples) {
        auto& c = cells_[{s.variant.function, s.variant.profile, s.memory_mb, s.kind}];
        ++c.taken;
        c.abandoned = c.abandoned || s.abandoned;
    }
    for (const auto& s : prior.skipped) skipped_.insert({s.variant.function, s.variant.profile});
}

const resume_state::cell_progress* resume_state::find(const variant_info& v, int memory_mb,
                                                      phase kind) const {
    auto it = cells_.find({v.function, v.profile, memory_mb, kind});
    return it == cells_.end() ? nullptr : &it->second;
}

int resume_state::taken(const variant_info& v, int memory_mb, phase kind) const {
    const cell_progress* c = find(v, memory_mb, kind);
    return c ? c->taken : 0;
}

int resume_state::remaining(const variant_info& v, const planned_cell& cell) const {
    const cell_progress* c = find(v, cell.memory_mb, cell.kind);
    if (!c) return cell.samples;
    return c->abandoned ? 0 : std::max(0, cell.samples - c->taken);
}

bool resume_state::has_work(const variant_info& v, const run_plan& plan) const {
    for (const auto& cell : plan.cells())
        if (remaining(v, cell) > 0) return true;
    return false;
}

bool resume_state::skip_recorded(const variant_info& v) const {
    return skipped_.count({v.function, v.profile}) > 0;
}

long resume_state::completed(const run_plan& plan) const {
    long done = 0;
    for (const auto& v : plan.variants)
        for (const auto& cell : plan.cells())
            if (const cell_progress* c = find(v.info, cell.memory_mb, cell.kind))
                done += c->abandoned ? cell.samples : std::min(cell.samples, c->taken);
    return done;
}

}  // namespace lambench::driver
