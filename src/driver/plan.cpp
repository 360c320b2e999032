#include "driver/plan.hpp"

#include <filesystem>
#include <fstream>

namespace lambench::driver {

namespace fs = std::filesystem;

namespace {

std::string substitute(std::string text, const std::string& key, const std::string& value) {
    for (std::size_t pos; (pos = text.find(key)) != std::string::npos;)
        text.replace(pos, key.size(), value);
    return text;
}

}  // namespace

artifact_state probe_artifact(const std::string& artifact) {
    const std::string skipped_file = artifact + "/SKIPPED";
    if (fs::is_regular_file(skipped_file)) {
        std::string reason;
        std::ifstream in(skipped_file);
        std::getline(in, reason);
        return {artifact_status::skipped, reason.empty() ? "skipped" : reason};
    }
    if (!fs::exists(artifact)) return {artifact_status::missing, ""};
    return {artifact_status::present, ""};
}

std::vector<planned_cell> run_plan::cells() const {
    std::vector<planned_cell> out;
    for (int mem : memory)
        for (phase kind : {phase::cold, phase::warm}) out.push_back({mem, kind, samples(kind)});
    return out;
}

long run_plan::total_samples() const {
    long per_variant = 0;
    for (const auto& c : cells()) per_variant += c.samples;
    return per_variant * static_cast<long>(variants.size());
}

run_plan make_plan(const suite& s, const std::string& artifacts_root, const artifact_probe& probe) {
    run_plan plan;
    plan.memory = s.memory;
    plan.cold = s.cold;
    plan.warm = s.warm;
    for (const auto& f : s.functions) {
        for (const auto& p : f.profiles) {
            planned_variant v;
            v.info = {f.name,
                      p,
                      f.library.empty() ? f.name : f.library,
                      f.runtime,
                      f.architecture,
                      f.needs_database};
            v.spec = f;
            std::string path =
                substitute(substitute(f.artifact, "{function}", f.name), "{profile}", p);
            if (!fs::path(path).is_absolute()) path = (fs::path(artifacts_root) / path).string();
            v.artifact = path;
            v.state = probe(v.artifact);
            plan.variants.push_back(std::move(v));
            plan.needs_database = plan.needs_database || f.needs_database;
        }
    }
    return plan;
}

}  // namespace lambench::driver
