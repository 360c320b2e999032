// The driver's run loop without a service: the plan, the resume state, measure_cell and
// run_suite on a fake target (fake_target.hpp) — resume, the failure policy, skips, progress.
#include "driver/runner.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "driver/measure.hpp"
#include "driver/plan.hpp"
#include "driver/resume.hpp"
#include "driver/stats.hpp"
#include "driver/summary.hpp"
#include "fake_target.hpp"

using namespace lambench::driver;
using lambench::driver::testing::fake_target;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        char tmpl[] = "/tmp/lambench-runner-test-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~temp_dir() { fs::remove_all(path); }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

// Two functions, three variants, two memory sizes listed out of order.
const char* const small_suite = R"(name = "unit"
memory = [256, 128]
cold = 2
warm = 3

[[function]]
name = "hello"
profiles = ["static", "shared"]
payload = '{"n":1}'

[[function]]
name = "items"
library = "libpq"
artifact = "/opt/fn/{function}-{profile}.zip"
profiles = ["static"]
needs_database = true
environment = { MODE = "test" }
)";

artifact_state present(const std::string&) {
    return {};
}

using sample_key = std::tuple<std::string, int, phase, int>;  // variant id, memory, phase, index
sample_key key_of(const sample& s) {
    return {s.variant.id(), s.memory_mb, s.kind, s.index};
}

// Every sample the plan asks for, in the order it is measured (present variants only).
std::vector<sample_key> planned_samples(const run_plan& plan) {
    std::vector<sample_key> out;
    for (const auto& v : plan.variants) {
        if (v.state.status != artifact_status::present) continue;
        for (const auto& c : plan.cells())
            for (int i = 0; i < c.samples; ++i)
                out.emplace_back(v.info.id(), c.memory_mb, c.kind, i);
    }
    return out;
}

std::string cell_label(const sample& s) {
    return s.variant.id() + " @ " + std::to_string(s.memory_mb) + " MB " + to_string(s.kind);
}

}  // namespace

// ---- the plan ---------------------------------------------------------------------------

TEST(Plan, VariantsFollowTheSuiteWithArtifactsResolved) {
    const suite st = parse_suite(small_suite, "unit.toml");
    std::vector<std::string> probed;
    const run_plan plan = make_plan(st, "/root/fns", [&](const std::string& path) {
        probed.push_back(path);
        return artifact_state{};
    });
    ASSERT_EQ(plan.variants.size(), 3u);
    EXPECT_EQ(plan.variants[0].info.id(), "hello/static");
    EXPECT_EQ(plan.variants[1].info.id(), "hello/shared");
    EXPECT_EQ(plan.variants[2].info.id(), "items/static");
    EXPECT_EQ(plan.variants[0].artifact, "/root/fns/hello/static");
    EXPECT_EQ(plan.variants[1].artifact, "/root/fns/hello/shared");
    EXPECT_EQ(plan.variants[2].artifact, "/opt/fn/items-static.zip") << "absolute paths stay";
    EXPECT_EQ(plan.variants[0].info.library, "hello") << "the library label defaults to the name";
    EXPECT_EQ(plan.variants[2].info.library, "libpq");
    EXPECT_EQ(plan.variants[0].spec.payload, R"({"n":1})");
    EXPECT_EQ(plan.variants[2].spec.environment.at("MODE"), "test");
    EXPECT_TRUE(plan.needs_database);
    EXPECT_EQ(probed, (std::vector<std::string>{"/root/fns/hello/static", "/root/fns/hello/shared",
                                                "/opt/fn/items-static.zip"}))
        << "each artifact is probed once, by its resolved path";
}

TEST(Plan, CellsAreMemoryInSuiteOrderColdBeforeWarm) {
    const suite st = parse_suite(small_suite, "unit.toml");
    const run_plan plan = make_plan(st, "/r", present);
    const auto cells = plan.cells();
    ASSERT_EQ(cells.size(), 2 * st.memory.size());
    for (std::size_t m = 0; m < st.memory.size(); ++m) {
        EXPECT_EQ(cells[2 * m].memory_mb, st.memory[m]);
        EXPECT_EQ(cells[2 * m].kind, phase::cold);
        EXPECT_EQ(cells[2 * m].samples, st.cold);
        EXPECT_EQ(cells[2 * m + 1].memory_mb, st.memory[m]);
        EXPECT_EQ(cells[2 * m + 1].kind, phase::warm);
        EXPECT_EQ(cells[2 * m + 1].samples, st.warm);
    }
    EXPECT_EQ(plan.total_samples(),
              static_cast<long>(plan.variants.size() * st.memory.size()) * (st.cold + st.warm));
}

TEST(Plan, SkippedAndMissingArtifactsComeFromTheProbe) {
    const suite st = parse_suite(small_suite, "unit.toml");
    const run_plan plan = make_plan(st, "/r", [](const std::string& path) -> artifact_state {
        if (path.ends_with("shared")) return {artifact_status::skipped, "no shared build"};
        if (path.ends_with(".zip")) return {artifact_status::missing, ""};
        return {};
    });
    EXPECT_EQ(plan.variants[0].state.status, artifact_status::present);
    EXPECT_EQ(plan.variants[1].state.status, artifact_status::skipped);
    EXPECT_EQ(plan.variants[1].state.skip_reason, "no shared build");
    EXPECT_EQ(plan.variants[2].state.status, artifact_status::missing);
    EXPECT_EQ(plan.variants.size(), 3u) << "skipped and missing variants stay in the plan";
}

TEST(Plan, NeedsDatabaseOnlyWhenAFunctionDoes) {
    suite st = parse_suite(small_suite, "unit.toml");
    st.functions.pop_back();
    EXPECT_FALSE(make_plan(st, "/r", present).needs_database);
}

TEST(Plan, ProbeReadsSkippedFilesAndMissingPaths) {
    temp_dir d;
    write(d / "a/bootstrap", "#!/bin/sh\n");
    write(d / "b/SKIPPED", "bundled loader not available\nsecond line\n");
    write(d / "c/SKIPPED", "");
    write(d / "d.zip", "PK");
    EXPECT_EQ(probe_artifact(d / "a").status, artifact_status::present);
    EXPECT_EQ(probe_artifact(d / "b").status, artifact_status::skipped);
    EXPECT_EQ(probe_artifact(d / "b").skip_reason, "bundled loader not available");
    EXPECT_EQ(probe_artifact(d / "c").skip_reason, "skipped") << "an empty SKIPPED file";
    EXPECT_EQ(probe_artifact(d / "d.zip").status, artifact_status::present);
    EXPECT_EQ(probe_artifact(d / "e").status, artifact_status::missing);
}

// ---- the resume state -------------------------------------------------------------------

namespace {

sample prior_sample(const variant_info& v, int mem, phase kind, int index, bool abandoned = false) {
    sample s;
    s.variant = v;
    s.memory_mb = mem;
    s.kind = kind;
    s.index = index;
    s.ok = !abandoned;
    s.abandoned = abandoned;
    return s;
}

}  // namespace

TEST(ResumeState, EmptyStateLeavesEveryCellToDo) {
    const run_plan plan = make_plan(parse_suite(small_suite, "unit.toml"), "/r", present);
    const resume_state none;
    for (const auto& v : plan.variants) {
        EXPECT_TRUE(none.has_work(v.info, plan));
        EXPECT_FALSE(none.skip_recorded(v.info));
        for (const auto& c : plan.cells()) {
            EXPECT_EQ(none.remaining(v.info, c), c.samples);
            EXPECT_EQ(none.taken(v.info, c.memory_mb, c.kind), 0);
        }
    }
    EXPECT_EQ(none.completed(plan), 0);
}

TEST(ResumeState, CountsSamplesTakenPerCell) {
    const run_plan plan = make_plan(parse_suite(small_suite, "unit.toml"), "/r", present);
    const auto& v = plan.variants[0].info;
    const planned_cell cold = plan.cells()[0];
    results prior;
    for (int i = 0; i < cold.samples - 1; ++i)
        prior.samples.push_back(prior_sample(v, cold.memory_mb, phase::cold, i));
    const resume_state done(prior);
    EXPECT_EQ(done.taken(v, cold.memory_mb, phase::cold), cold.samples - 1);
    EXPECT_EQ(done.remaining(v, cold), 1);
    EXPECT_EQ(done.remaining(v, plan.cells()[1]), plan.cells()[1].samples)
        << "other cells untouched";
    EXPECT_EQ(done.remaining(plan.variants[1].info, cold), cold.samples)
        << "other variants untouched";
    EXPECT_EQ(done.completed(plan), cold.samples - 1);
}

TEST(ResumeState, AbandonedOrOverfullCellIsDone) {
    const run_plan plan = make_plan(parse_suite(small_suite, "unit.toml"), "/r", present);
    const auto& v = plan.variants[0].info;
    const planned_cell cold = plan.cells()[0], warm = plan.cells()[1];
    results prior;
    prior.samples.push_back(prior_sample(v, warm.memory_mb, phase::warm, 0, true));
    for (int i = 0; i < cold.samples + 2; ++i)  // a file written with a larger plan
        prior.samples.push_back(prior_sample(v, cold.memory_mb, phase::cold, i));
    const resume_state done(prior);
    EXPECT_EQ(done.remaining(v, warm), 0);
    EXPECT_EQ(done.taken(v, warm.memory_mb, phase::warm), 1);
    EXPECT_EQ(done.remaining(v, cold), 0);
    EXPECT_EQ(done.completed(plan), warm.samples + cold.samples)
        << "an abandoned cell counts in full, an overfull one as planned";
}

TEST(ResumeState, VariantWithEveryCellDoneHasNoWork) {
    const run_plan plan = make_plan(parse_suite(small_suite, "unit.toml"), "/r", present);
    const auto& v = plan.variants[0].info;
    results prior;
    for (const auto& c : plan.cells())
        for (int i = 0; i < c.samples; ++i)
            prior.samples.push_back(prior_sample(v, c.memory_mb, c.kind, i));
    prior.skipped.push_back({plan.variants[1].info, "no"});
    const resume_state done(prior);
    EXPECT_FALSE(done.has_work(v, plan));
    EXPECT_TRUE(done.has_work(plan.variants[1].info, plan));
    EXPECT_TRUE(done.skip_recorded(plan.variants[1].info));
    EXPECT_FALSE(done.skip_recorded(v));
}

// ---- measure_cell -----------------------------------------------------------------------

namespace {

struct recorded {
    std::vector<sample> samples;
    std::vector<long> finished;
    std::vector<std::pair<std::string, double>> measured;
    measure_sink sink() {
        measure_sink s;
        s.record = [this](const sample& x) { samples.push_back(x); };
        s.finished = [this](long n) { finished.push_back(n); };
        s.measured = [this](const std::string& l, double e) { measured.emplace_back(l, e); };
        return s;
    }
    long finished_total() const {
        long n = 0;
        for (long f : finished) n += f;
        return n;
    }
};

planned_variant hello_static() {
    planned_variant v;
    v.info = {"hello", "static", "hello", "provided.al2023", "x86_64"};
    v.artifact = "/r/hello/static";
    return v;
}

}  // namespace

TEST(MeasureCell, EachColdSampleForcesAFreshColdStart) {
    fake_target t;
    t.deploy({hello_static().info, "/r/hello/static", "bootstrap", 3, {}}, 128);
    measure_state state;
    state.cold_serial = 1000;
    recorded r;
    const int taken = measure_cell(t, hello_static(), {128, phase::cold, 4}, 2, 4, state, r.sink());
    EXPECT_EQ(taken, 4);
    ASSERT_EQ(r.samples.size(), 4u);
    for (std::size_t i = 0; i < r.samples.size(); ++i) {
        EXPECT_EQ(r.samples[i].index, static_cast<int>(i) + 2) << "indices continue the cell";
        EXPECT_EQ(r.samples[i].kind, phase::cold);
        EXPECT_TRUE(r.samples[i].ok);
        EXPECT_FALSE(std::isnan(r.samples[i].init_ms)) << "every cold sample has an init";
    }
    EXPECT_EQ(t.cold_serials, (std::vector<long>{1001, 1002, 1003, 1004}));
    EXPECT_EQ(state.cold_serial, 1004);
    EXPECT_TRUE(state.sandbox_warm);
    EXPECT_EQ(r.finished_total(), 4);
}

TEST(MeasureCell, WarmCellWarmsTheSandboxFirstWithoutRecordingIt) {
    for (bool warm_already : {false, true}) {
        fake_target t;
        t.deploy({hello_static().info, "/r/hello/static", "bootstrap", 3, {}}, 128);
        if (warm_already) t.invoke("{}");
        const int before = t.invocations;
        measure_state state;
        state.sandbox_warm = warm_already;
        recorded r;
        measure_cell(t, hello_static(), {128, phase::warm, 3}, 0, 3, state, r.sink());
        ASSERT_EQ(r.samples.size(), 3u);
        EXPECT_EQ(t.invocations - before, warm_already ? 3 : 4);
        for (const auto& s : r.samples) {
            EXPECT_TRUE(s.ok);
            EXPECT_TRUE(std::isnan(s.init_ms)) << "no warm sample is a cold start";
        }
        EXPECT_TRUE(t.cold_serials.empty());
    }
}

TEST(MeasureCell, GivesUpAfterConsecutiveFailures) {
    fake_target t;
    t.invoke_fails = [](const std::string&, int, int) { return true; };
    t.deploy({hello_static().info, "/r/hello/static", "bootstrap", 3, {}}, 128);
    const int planned = abandon_after_failures + 4;
    measure_state state;
    recorded r;
    const int taken =
        measure_cell(t, hello_static(), {128, phase::cold, planned}, 0, planned, state, r.sink());
    EXPECT_EQ(taken, abandon_after_failures);
    ASSERT_EQ(r.samples.size(), static_cast<std::size_t>(abandon_after_failures));
    for (std::size_t i = 0; i + 1 < r.samples.size(); ++i) EXPECT_FALSE(r.samples[i].abandoned);
    EXPECT_TRUE(r.samples.back().abandoned);
    EXPECT_EQ(r.samples.back().error_type, "Runtime.ExitError");
    EXPECT_EQ(r.finished_total(), planned) << "the rest of the cell counts as done";
    EXPECT_EQ(r.finished.back(), planned - abandon_after_failures + 1);
    EXPECT_TRUE(std::isnan(r.measured.back().second)) << "no estimate without a success";
}

TEST(MeasureCell, FailuresThatAreNotConsecutiveDoNotGiveUp) {
    fake_target t;
    t.invoke_fails = [](const std::string&, int, int n) { return n % 3 != 0; };  // 2 of 3
    t.deploy({hello_static().info, "/r/hello/static", "bootstrap", 3, {}}, 128);
    measure_state state;
    state.sandbox_warm = true;
    recorded r;
    const int planned = 4 * abandon_after_failures;
    measure_cell(t, hello_static(), {128, phase::warm, planned}, 0, planned, state, r.sink());
    ASSERT_EQ(r.samples.size(), static_cast<std::size_t>(planned));
    std::size_t failed = 0;
    for (const auto& s : r.samples) {
        EXPECT_FALSE(s.abandoned);
        failed += !s.ok;
    }
    EXPECT_GT(failed, 0u);
}

TEST(MeasureCell, TheLastPlannedSampleIsNeverMarkedAbandoned) {
    fake_target t;
    t.invoke_fails = [](const std::string&, int, int) { return true; };
    t.deploy({hello_static().info, "/r/hello/static", "bootstrap", 3, {}}, 128);
    measure_state state;
    recorded r;
    measure_cell(t, hello_static(), {128, phase::cold, abandon_after_failures}, 0,
                 abandon_after_failures, state, r.sink());
    ASSERT_EQ(r.samples.size(), static_cast<std::size_t>(abandon_after_failures));
    for (const auto& s : r.samples) EXPECT_FALSE(s.abandoned) << "the cell is finished anyway";
}

TEST(MeasureCell, AColdStartThatCannotBeForcedIsAFailedSample) {
    fake_target t;
    t.failing_force_colds = {2};
    t.deploy({hello_static().info, "/r/hello/static", "bootstrap", 3, {}}, 128);
    measure_state state;
    recorded r;
    measure_cell(t, hello_static(), {128, phase::cold, 3}, 0, 3, state, r.sink());
    ASSERT_EQ(r.samples.size(), 3u);
    EXPECT_TRUE(r.samples[0].ok);
    EXPECT_FALSE(r.samples[1].ok);
    EXPECT_EQ(r.samples[1].error_type, "Update.Failed");
    EXPECT_EQ(r.samples[1].error_message, "fake: configuration update failed");
    EXPECT_TRUE(r.samples[2].ok);
    EXPECT_EQ(t.invocations, 2) << "no invocation without its cold start";
}

TEST(MeasureCell, StopEndsTheCellBeforeTheNextSample) {
    fake_target t;
    t.deploy({hello_static().info, "/r/hello/static", "bootstrap", 3, {}}, 128);
    bool stop = false;
    t.on_invoke = [&](int n) { stop = n == 2; };
    measure_state state;
    state.stop = [&] { return stop; };
    recorded r;
    EXPECT_EQ(measure_cell(t, hello_static(), {128, phase::cold, 5}, 0, 5, state, r.sink()), 2)
        << "the sample under way is finished and recorded";
    EXPECT_EQ(r.samples.size(), 2u);
    EXPECT_EQ(t.invocations, 2);
}

// ---- run_suite on a fake target ---------------------------------------------------------

namespace {

class Runner : public ::testing::Test {
  protected:
    temp_dir dir;
    suite st = parse_suite(small_suite, "unit.toml");

    void SetUp() override {
        st.functions.pop_back();  // hello/static and hello/shared; no database
        artifact("hello/static");
        artifact("hello/shared");
    }

    std::string root() const { return dir / "artifacts"; }
    std::string results_path() const { return dir / "out/results.jsonl"; }
    void artifact(const std::string& id) { write(root() + "/" + id + "/bootstrap", "#!/bin/sh\n"); }
    void skipped(const std::string& id, const std::string& reason) {
        fs::remove_all(root() + "/" + id);
        write(root() + "/" + id + "/SKIPPED", reason + "\n");
    }
    run_plan plan() const { return make_plan(st, root(), probe_artifact); }

    run_config config(bool resume = false) const {
        run_config c;
        c.plan = st;
        c.results_path = results_path();
        c.resume = resume;
        c.artifacts_root = root();
        c.target.spec = "fake";
        c.target.state_dir = dir / "state";
        c.console = nullptr;
        return c;
    }

    // Runs and returns the exit code; `console` gets what the run printed there.
    int run(target& t, run_config cfg, std::string* console = nullptr) {
        std::FILE* out = console ? std::tmpfile() : nullptr;
        cfg.console = out;
        const int rc = run_suite(cfg, t);
        if (out) {
            std::rewind(out);
            console->clear();
            char buf[4096];
            for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, out)) > 0;)
                console->append(buf, n);
            std::fclose(out);
        }
        return rc;
    }

    // Keeps the results file's header and its first `n` samples.
    void truncate_to(std::size_t n) {
        std::ifstream in(results_path());
        std::string line, kept;
        for (std::size_t i = 0; i <= n && std::getline(in, line); ++i) kept += line + "\n";
        in.close();
        std::ofstream(results_path(), std::ios::trunc) << kept;
    }
};

std::vector<sample_key> keys(const results& r) {
    std::vector<sample_key> out;
    for (const auto& s : r.samples) out.push_back(key_of(s));
    return out;
}

}  // namespace

TEST_F(Runner, MeasuresEveryPlannedSampleInPlanOrder) {
    fake_target t;
    std::string console;
    ASSERT_EQ(run(t, config(), &console), 0);
    const results r = read_results(results_path());
    EXPECT_EQ(keys(r), planned_samples(plan()));
    for (const auto& s : r.samples) {
        EXPECT_TRUE(s.ok) << s.error_message;
        EXPECT_EQ(s.memory_size_mb, s.memory_mb) << "measured at the cell's memory size";
        EXPECT_EQ(std::isnan(s.init_ms), s.kind == phase::warm);
    }
    ASSERT_EQ(r.header.variants.size(), plan().variants.size());
    for (std::size_t i = 0; i < r.header.variants.size(); ++i)
        EXPECT_EQ(r.header.variants[i].id(), plan().variants[i].info.id());
    EXPECT_EQ(r.header.memory, st.memory);
    EXPECT_EQ(r.header.cold, st.cold);
    EXPECT_EQ(r.header.warm, st.warm);
    EXPECT_EQ(r.header.target, "fake");
    for (const auto& v : plan().variants)
        EXPECT_NE(console.find(v.info.id() + " @ "), std::string::npos) << console;
    EXPECT_NE(console.find("Time (median ± MdAPE)"), std::string::npos) << console;
}

TEST_F(Runner, DeploysOncePerVariantSetsEachMemoryAndRemoves) {
    fake_target t;
    ASSERT_EQ(run(t, config()), 0);
    std::vector<std::string> expected;
    for (const auto& v : plan().variants) {
        expected.push_back("deploy " + v.info.id() + " " + std::to_string(st.memory.front()));
        for (int mem : st.memory) {
            expected.push_back("set_memory " + std::to_string(mem));
            for (int i = 0; i < st.cold; ++i) {
                expected.push_back("force_cold");
                expected.push_back("invoke " + v.info.id() + " " + std::to_string(mem) + " cold");
            }
            for (int i = 0; i < st.warm; ++i)
                expected.push_back("invoke " + v.info.id() + " " + std::to_string(mem) + " warm");
        }
        expected.push_back("remove");
    }
    EXPECT_EQ(t.calls, expected);
    std::set<long> serials(t.cold_serials.begin(), t.cold_serials.end());
    EXPECT_EQ(serials.size(), t.cold_serials.size()) << "every cold start is a new configuration";
    ASSERT_EQ(t.deploys.size(), plan().variants.size());
    EXPECT_EQ(t.deploys[0].artifact, root() + "/hello/static");
    EXPECT_EQ(t.deploys[0].environment.count("DATABASE_URL"), 0u);
}

TEST_F(Runner, ResumeMeasuresOnlyTheMissingSamples) {
    fake_target full;
    ASSERT_EQ(run(full, config()), 0);
    const results reference = read_results(results_path());
    const std::string complete = slurp(results_path());
    // Every cut point: a run killed after n samples.
    for (std::size_t n = 0; n <= reference.samples.size(); ++n) {
        std::ofstream(results_path(), std::ios::trunc) << complete;
        truncate_to(n);
        fake_target t;
        ASSERT_EQ(run(t, config(true)), 0) << n;
        const results r = read_results(results_path());
        EXPECT_EQ(r.samples.size(), reference.samples.size()) << "cut after " << n;
        EXPECT_EQ(keys(r), keys(reference)) << "each sample once, in the same order; cut " << n;
        EXPECT_EQ(r.header.start_time, reference.header.start_time) << "the header is kept";
        // What the resumed run invoked: the missing samples, plus one unrecorded warm-up where
        // a memory size has warm samples left but no cold one to warm the sandbox.
        const std::vector<sample_key> all = keys(reference);
        std::set<std::pair<std::string, int>> cold_left, warm_left;
        for (std::size_t i = n; i < all.size(); ++i) {
            const auto& [id, mem, kind, index] = all[i];
            (kind == phase::cold ? cold_left : warm_left).insert({id, mem});
        }
        std::size_t warm_ups = 0;
        for (const auto& cell : warm_left) warm_ups += cold_left.count(cell) == 0;
        std::size_t invocations = 0;
        for (const auto& c : t.calls) invocations += c.starts_with("invoke");
        EXPECT_EQ(invocations, all.size() - n + warm_ups) << "cut after " << n;
        if (n == all.size()) {
            EXPECT_TRUE(t.calls.empty()) << "a finished file needs no target";
        }
    }
}

TEST_F(Runner, ResumeDoesNotRetryAnAbandonedCell) {
    st.warm = abandon_after_failures + 2;
    fake_target broken;
    broken.invoke_fails = [](const std::string& id, int, int) { return id == "hello/shared"; };
    ASSERT_EQ(run(broken, config()), 0);
    const std::size_t before = read_results(results_path()).samples.size();
    fake_target healthy;
    ASSERT_EQ(run(healthy, config(true)), 0);
    EXPECT_EQ(read_results(results_path()).samples.size(), before);
    EXPECT_TRUE(healthy.calls.empty()) << "given-up cells count as finished";
}

TEST_F(Runner, DeployFailureGivesUpTheVariantAndTheRunGoesOn) {
    fake_target t;
    t.failing_deploys = {"hello/static"};
    ASSERT_EQ(run(t, config()), 0) << "failed samples are results, not a failed run";
    const results r = read_results(results_path());
    std::map<std::pair<int, phase>, int> failed_cells;
    for (const auto& s : r.samples) {
        if (s.variant.id() != "hello/static") continue;
        EXPECT_FALSE(s.ok);
        EXPECT_TRUE(s.abandoned);
        EXPECT_EQ(s.error_type, "Deploy.Refused");
        EXPECT_EQ(s.error_message, "fake: cannot deploy hello/static");
        EXPECT_EQ(s.index, 0);
        ++failed_cells[{s.memory_mb, s.kind}];
    }
    EXPECT_EQ(failed_cells.size(), plan().cells().size()) << "one failed sample per cell";
    for (const auto& [cell, n] : failed_cells) EXPECT_EQ(n, 1);
    // Nothing was tried on the failed variant; the next one is measured in full.
    EXPECT_EQ(t.calls.front(), "deploy hello/static " + std::to_string(st.memory.front()));
    EXPECT_EQ(t.calls[1], "deploy hello/shared " + std::to_string(st.memory.front()));
    std::size_t shared = 0;
    for (const auto& s : r.samples) shared += s.variant.id() == "hello/shared" && s.ok;
    EXPECT_EQ(shared, st.memory.size() * static_cast<std::size_t>(st.cold + st.warm));
    const run_summary sum = summarize(r);
    for (const auto& c : plan().cells())
        EXPECT_TRUE(sum.find("hello", "static")->find(c.memory_mb, c.kind)->is_error());
}

TEST_F(Runner, FailingInvocationsGiveUpEachCellAndTheRunGoesOn) {
    st.cold = abandon_after_failures + 1;
    st.warm = abandon_after_failures + 2;
    fake_target t;
    t.invoke_fails = [](const std::string& id, int, int) { return id == "hello/static"; };
    ASSERT_EQ(run(t, config()), 0);
    const results r = read_results(results_path());
    std::map<std::pair<int, phase>, std::vector<sample>> cells;
    for (const auto& s : r.samples)
        if (s.variant.id() == "hello/static") cells[{s.memory_mb, s.kind}].push_back(s);
    ASSERT_EQ(cells.size(), plan().cells().size()) << "every cell is tried";
    for (const auto& [cell, samples] : cells) {
        ASSERT_EQ(samples.size(), static_cast<std::size_t>(abandon_after_failures));
        EXPECT_TRUE(samples.back().abandoned);
        for (const auto& s : samples) EXPECT_EQ(s.error_type, "Runtime.ExitError");
    }
    std::size_t shared_ok = 0;
    for (const auto& s : r.samples) shared_ok += s.variant.id() == "hello/shared" && s.ok;
    EXPECT_EQ(shared_ok, st.memory.size() * static_cast<std::size_t>(st.cold + st.warm));
}

TEST_F(Runner, MemorySizeThatCannotBeSetFailsOnlyItsCells) {
    const int refused = st.memory.front();
    fake_target t;
    t.failing_memory = {refused};
    ASSERT_EQ(run(t, config()), 0);
    const results r = read_results(results_path());
    for (const auto& v : plan().variants) {
        for (const auto& c : plan().cells()) {
            std::vector<sample> in_cell;
            for (const auto& s : r.samples)
                if (s.variant.id() == v.info.id() && s.memory_mb == c.memory_mb && s.kind == c.kind)
                    in_cell.push_back(s);
            if (c.memory_mb == refused) {
                ASSERT_EQ(in_cell.size(), 1u);
                EXPECT_TRUE(in_cell[0].abandoned);
                EXPECT_EQ(in_cell[0].error_type, "Memory.Refused");
            } else {
                EXPECT_EQ(in_cell.size(), static_cast<std::size_t>(c.samples));
                for (const auto& s : in_cell) EXPECT_TRUE(s.ok);
            }
        }
    }
}

TEST_F(Runner, MissingArtifactIsRecordedWithoutDeploying) {
    fs::remove_all(root() + "/hello/static");
    fake_target t;
    std::string console;
    ASSERT_EQ(run(t, config(), &console), 0);
    for (const auto& d : t.deploys) EXPECT_NE(d.info.id(), "hello/static");
    const run_summary s = summarize(read_results(results_path()));
    for (const auto& c : plan().cells())
        EXPECT_EQ(s.find("hello", "static")->find(c.memory_mb, c.kind)->error_type,
                  "Artifact.Missing");
    EXPECT_NE(console.find("hello/static: error: Artifact.Missing"), std::string::npos) << console;
}

TEST_F(Runner, TargetThatCannotStartEndsTheRun) {
    fake_target t;
    t.start_error = "lambench serve exited";
    EXPECT_THROW(run(t, config()), std::runtime_error);
    const results r = read_results(results_path());
    EXPECT_TRUE(r.samples.empty()) << "no sample stands for a setup error";
}

TEST_F(Runner, SkippedVariantIsRecordedOnceWithItsReasonAndNeverDeployed) {
    skipped("hello/shared", "shared build not available here");
    fake_target t;
    std::string console;
    ASSERT_EQ(run(t, config(), &console), 0);
    for (const auto& d : t.deploys) EXPECT_NE(d.info.id(), "hello/shared");
    results r = read_results(results_path());
    ASSERT_EQ(r.skipped.size(), 1u);
    EXPECT_EQ(r.skipped[0].variant.id(), "hello/shared");
    EXPECT_EQ(r.skipped[0].reason, "shared build not available here");
    for (const auto& s : r.samples) EXPECT_NE(s.variant.id(), "hello/shared");
    EXPECT_EQ(keys(r), planned_samples(plan()));
    const run_summary sum = summarize(r);
    EXPECT_TRUE(sum.find("hello", "shared")->skipped);
    EXPECT_NE(console.find("hello/shared: n/a (shared build not available here)"),
              std::string::npos)
        << console;
    EXPECT_NE(render_markdown(sum).find("n/a"), std::string::npos);

    fake_target again;
    ASSERT_EQ(run(again, config(true)), 0);
    r = read_results(results_path());
    EXPECT_EQ(r.skipped.size(), 1u) << "a resumed run does not repeat the SKIPPED line";
    EXPECT_TRUE(again.calls.empty());
}

TEST_F(Runner, EveryVariantSkippedStartsNoTarget) {
    skipped("hello/static", "no");
    skipped("hello/shared", "no");
    fake_target t;
    ASSERT_EQ(run(t, config()), 0);
    EXPECT_TRUE(t.calls.empty());
    EXPECT_EQ(read_results(results_path()).skipped.size(), 2u);
}

TEST_F(Runner, ProgressReportsEverySampleUpToTheTotal) {
    std::vector<progress_update> updates;
    run_config cfg = config();
    cfg.on_progress = [&](const progress_update& u) { updates.push_back(u); };
    fake_target t;
    ASSERT_EQ(run(t, cfg), 0);
    const results r = read_results(results_path());
    ASSERT_EQ(updates.size(), r.samples.size()) << "one update per sample taken";
    std::map<std::string, std::vector<double>> ok_so_far;
    for (std::size_t i = 0; i < updates.size(); ++i) {
        const sample& s = r.samples[i];
        EXPECT_EQ(updates[i].total, plan().total_samples());
        EXPECT_EQ(updates[i].completed, static_cast<long>(i) + 1);
        EXPECT_EQ(updates[i].label, cell_label(s));
        auto& seen = ok_so_far[cell_label(s)];
        seen.push_back(s.kind == phase::cold ? s.init_ms + s.duration_ms : s.duration_ms);
        EXPECT_DOUBLE_EQ(updates[i].estimate_ms, median(seen)) << "the cell's median so far";
    }
    EXPECT_EQ(updates.back().completed, updates.back().total);
}

TEST_F(Runner, ProgressCarriesElapsedTimeAndAnEta) {
    std::vector<progress_update> updates;
    run_config cfg = config();
    cfg.on_progress = [&](const progress_update& u) { updates.push_back(u); };
    fake_target t;
    ASSERT_EQ(run(t, cfg), 0);
    ASSERT_FALSE(updates.empty());
    for (std::size_t i = 1; i < updates.size(); ++i)
        EXPECT_GE(updates[i].elapsed_s, updates[i - 1].elapsed_s) << "elapsed never goes back";
    for (const auto& u : updates) {
        ASSERT_FALSE(std::isnan(u.eta_s)) << "a sample has been taken, so the pace is known";
        EXPECT_DOUBLE_EQ(u.eta_s,
                         estimate_remaining(u.elapsed_s, u.completed, u.total - u.completed));
    }
    EXPECT_EQ(updates.back().eta_s, 0) << "nothing left at the end";
}

TEST(RunnerFormat, EtaIsThePaceSoFarTimesWhatRemains) {
    EXPECT_DOUBLE_EQ(estimate_remaining(10, 5, 20), 40);  // 2 s a sample, 20 left
    EXPECT_DOUBLE_EQ(estimate_remaining(10, 5, 0), 0);
    EXPECT_TRUE(std::isnan(estimate_remaining(10, 0, 20))) << "no pace before the first sample";
    EXPECT_EQ(format_duration(0), "0s");
    EXPECT_EQ(format_duration(59.4), "59s");
    EXPECT_EQ(format_duration(187), "3m07s");
    EXPECT_EQ(format_duration(3720), "1h02m");
    EXPECT_EQ(format_duration(std::nan("")), "-");
}

TEST_F(Runner, ProgressOfAResumedRunStartsFromWhatIsDone) {
    fake_target first;
    ASSERT_EQ(run(first, config()), 0);
    const std::size_t all = read_results(results_path()).samples.size();
    const std::size_t kept = all / 2;
    truncate_to(kept);
    std::vector<progress_update> updates;
    run_config cfg = config(true);
    cfg.on_progress = [&](const progress_update& u) { updates.push_back(u); };
    fake_target t;
    ASSERT_EQ(run(t, cfg), 0);
    ASSERT_EQ(updates.size(), all - kept);
    EXPECT_EQ(updates.front().completed, static_cast<long>(kept) + 1);
    EXPECT_EQ(updates.back().completed, static_cast<long>(all));
}

TEST_F(Runner, ProgressJumpsOverAGivenUpCell) {
    st.warm = abandon_after_failures + 3;
    std::vector<progress_update> updates;
    run_config cfg = config();
    cfg.on_progress = [&](const progress_update& u) { updates.push_back(u); };
    fake_target t;
    t.invoke_fails = [](const std::string& id, int, int) { return id == "hello/shared"; };
    ASSERT_EQ(run(t, cfg), 0);
    const results r = read_results(results_path());
    ASSERT_EQ(updates.size(), r.samples.size());
    long expected = 0;
    for (std::size_t i = 0; i < updates.size(); ++i) {
        const sample& s = r.samples[i];
        expected += 1;
        if (s.abandoned) expected += (s.kind == phase::cold ? st.cold : st.warm) - s.index - 1;
        EXPECT_EQ(updates[i].completed, expected) << i;
        if (s.variant.id() == "hello/shared") {
            EXPECT_TRUE(std::isnan(updates[i].estimate_ms));
        }
    }
    EXPECT_EQ(updates.back().completed, plan().total_samples()) << "given-up samples count as done";
}

TEST_F(Runner, InterruptedRunExits130AndResumeFinishesIt) {
    fake_target full;
    ASSERT_EQ(run(full, config()), 0);
    const results reference = read_results(results_path());
    fs::remove(results_path());

    const int stop_at = static_cast<int>(reference.samples.size()) / 2;
    fake_target t;
    t.on_invoke = [&](int n) {
        if (n == stop_at) request_stop();
    };
    EXPECT_EQ(run(t, config()), 130);
    EXPECT_EQ(t.invocations, stop_at) << "nothing is invoked after the stop";
    EXPECT_EQ(t.calls.back(), "remove") << "the deployed variant is removed on the way out";
    results partial = read_results(results_path());
    EXPECT_TRUE(partial.read_warnings.empty()) << "only whole lines";
    ASSERT_FALSE(partial.samples.empty());
    EXPECT_LT(partial.samples.size(), reference.samples.size());

    fake_target rest;
    EXPECT_EQ(run(rest, config(true)), 0) << "a new run starts without the old stop";
    EXPECT_EQ(keys(read_results(results_path())), keys(reference));
}

TEST_F(Runner, DatabaseUrlReachesOnlyFunctionsThatNeedIt) {
    st = parse_suite(small_suite, "unit.toml");
    artifact("items/static");
    st.functions.back().artifact = "{function}/{profile}";
    run_config cfg = config();
    cfg.database_url = "postgresql://u@127.0.0.1:5432/items";
    fake_target t;
    ASSERT_EQ(run(t, cfg), 0);
    ASSERT_EQ(t.deploys.size(), 3u);
    EXPECT_EQ(t.deploys[0].environment.count("DATABASE_URL"), 0u);
    EXPECT_EQ(t.deploys[2].info.id(), "items/static");
    EXPECT_EQ(t.deploys[2].environment.at("DATABASE_URL"), cfg.database_url);
    EXPECT_EQ(t.deploys[2].environment.at("MODE"), "test") << "the suite's environment is kept";
}

TEST_F(Runner, DefaultTargetIsStartedOnlyWhenAVariantIsDeployed) {
    run_config cfg = config();
    cfg.target.spec = "nowhere";  // make_target refuses it: starting it fails the run
    EXPECT_THROW(run_suite(cfg), std::invalid_argument);
    fs::remove(results_path());
    skipped("hello/static", "no");
    skipped("hello/shared", "no");
    cfg.console = nullptr;
    EXPECT_EQ(run_suite(cfg), 0) << "nothing to deploy: the target is never started";
}
