#include "driver/measure.hpp"

#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "driver/stats.hpp"

namespace lambench::driver {

namespace {

bool stopped(const measure_state& state) {
    return state.stop && state.stop();
}

void emit(const measure_sink& sink, const sample& s, long finished) {
    if (sink.record) sink.record(s);
    if (sink.finished) sink.finished(finished);
}

// One failed, abandoned sample for the cell when samples remain in it.
void abandon_cell(const planned_variant& v, const planned_cell& cell, const resume_state& done,
                  const std::string& type, const std::string& message, const measure_sink& sink) {
    if (int left = done.remaining(v.info, cell); left > 0)
        emit(sink,
             failed_sample(v.info, cell.memory_mb, cell.kind,
                           done.taken(v.info, cell.memory_mb, cell.kind), type, message),
             left);
}

}  // namespace

sample make_sample(const variant_info& v, int memory_mb, phase kind, int index,
                   const invoke_outcome& o) {
    sample s;
    s.variant = v;
    s.memory_mb = memory_mb;
    s.kind = kind;
    s.index = index;
    s.ok = o.ok;
    s.round_trip_ms = o.round_trip_ms;
    s.first_byte_ms = o.first_byte_ms;
    if (o.report) {
        s.duration_ms = o.report->duration_ms;
        s.billed_ms = o.report->billed_ms;
        s.memory_size_mb = o.report->memory_size_mb;
        s.max_memory_mb = o.report->max_memory_mb;
        s.init_ms = o.report->init_ms.value_or(no_value);
    }
    s.error_type = o.error_type;
    s.error_message = o.error_message;
    s.throttled_retries = o.throttled_retries;
    s.conflict_retries = o.conflict_retries;
    s.model = o.model;
    return s;
}

sample failed_sample(const variant_info& v, int memory_mb, phase kind, int index,
                     const std::string& type, const std::string& message) {
    invoke_outcome o;
    o.error_type = type;
    o.error_message = message;
    sample s = make_sample(v, memory_mb, kind, index, o);
    s.abandoned = true;
    return s;
}

int measure_cell(target& tgt, const planned_variant& v, const planned_cell& cell, int first_index,
                 int count, measure_state& state, const measure_sink& sink) {
    const int mem = cell.memory_mb;
    const phase kind = cell.kind;
    const std::string& payload = v.spec.payload;
    int left = count;
    int index = first_index;
    int consecutive_failures = 0;
    int taken = 0;
    std::vector<double> seen;
    const std::string label = fmt::format("{} @ {} MB {}", v.info.id(), mem, to_string(kind));
    if (kind == phase::warm && left > 0 && !state.sandbox_warm)
        state.sandbox_warm = tgt.invoke(payload).ok;
    while (left > 0 && !stopped(state)) {
        sample s;
        try {
            if (kind == phase::cold) tgt.force_cold(++state.cold_serial);
            s = make_sample(v.info, mem, kind, index, tgt.invoke(payload));
            state.sandbox_warm = s.ok;
        } catch (const target_error& e) {
            invoke_outcome o;
            o.error_type = e.type;
            o.error_message = e.what();
            s = make_sample(v.info, mem, kind, index, o);
        }
        if (s.ok) {
            consecutive_failures = 0;
            seen.push_back(kind == phase::cold && !std::isnan(s.init_ms) ? s.init_ms + s.duration_ms
                                                                         : s.duration_ms);
        } else {
            ++consecutive_failures;
        }
        // The last planned sample is never marked: the cell is finished either way.
        if (consecutive_failures >= abandon_after_failures && left > 1) s.abandoned = true;
        ++index;
        --left;
        ++taken;
        long finished = 1;
        if (s.abandoned) {
            finished += left;
            left = 0;
        }
        emit(sink, s, finished);
        if (sink.measured) sink.measured(label, seen.empty() ? no_value : median(seen));
    }
    return taken;
}

void abandon_variant(const planned_variant& v, const run_plan& plan, const resume_state& done,
                     const std::string& type, const std::string& message,
                     const measure_sink& sink) {
    for (const auto& cell : plan.cells()) abandon_cell(v, cell, done, type, message, sink);
}

bool measure_variant(target& tgt, const run_plan& plan, const planned_variant& v,
                     const resume_state& done, const std::string& database_url,
                     measure_state& state, const measure_sink& sink) {
    if (v.state.status == artifact_status::missing) {
        abandon_variant(v, plan, done, "Artifact.Missing",
                        "artifact '" + v.artifact + "' does not exist (build the function first)",
                        sink);
        return false;
    }
    deploy_spec spec;
    spec.info = v.info;
    spec.artifact = v.artifact;
    spec.handler = v.spec.handler;
    spec.timeout_s = v.spec.timeout_s;
    spec.environment = v.spec.environment;
    spec.stream = v.spec.stream;
    if (v.spec.needs_database) spec.environment["DATABASE_URL"] = database_url;
    try {
        tgt.deploy(spec, plan.memory.front());
    } catch (const target_error& e) {
        abandon_variant(v, plan, done, e.type, e.what(), sink);
        return false;
    }

    for (int mem : plan.memory) {
        if (stopped(state)) break;
        const planned_cell cells[] = {{mem, phase::cold, plan.cold}, {mem, phase::warm, plan.warm}};
        if (done.remaining(v.info, cells[0]) == 0 && done.remaining(v.info, cells[1]) == 0)
            continue;
        state.sandbox_warm = false;
        try {
            tgt.set_memory(mem);
        } catch (const target_error& e) {
            for (const auto& cell : cells) abandon_cell(v, cell, done, e.type, e.what(), sink);
            continue;
        }
        for (const auto& cell : cells)
            measure_cell(tgt, v, cell, done.taken(v.info, mem, cell.kind),
                         done.remaining(v.info, cell), state, sink);
    }
    tgt.remove();
    return true;
}

}  // namespace lambench::driver
