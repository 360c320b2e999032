#include "driver/results.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace lambench::driver;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        char tmpl[] = "/tmp/lambench-results-test-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~temp_dir() { fs::remove_all(path); }
};

run_header header() {
    run_header h;
    h.machine.host = "h";
    h.suite = "s";
    h.memory = {128};
    h.cold = 1;
    h.warm = 1;
    h.variants = {{"hello", "static", "hello", "provided.al2023", "x86_64"}};
    return h;
}

sample ok_sample(int index) {
    sample s;
    s.variant = {"hello", "static", "hello", "provided.al2023", "x86_64"};
    s.memory_mb = 128;
    s.kind = phase::cold;
    s.index = index;
    s.ok = true;
    s.duration_ms = 1.5;
    s.billed_ms = 14;
    s.init_ms = 12.25;
    s.max_memory_mb = 9;
    s.memory_size_mb = 128;
    s.round_trip_ms = 2.0;
    return s;
}

}  // namespace

TEST(Results, RoundTripsHeaderSamplesAndSkips) {
    temp_dir d;
    const auto file = (d.path / "r.jsonl").string();
    {
        results_writer w(file);
        w.write(header());
        w.write(ok_sample(0));
        sample failed = ok_sample(1);
        failed.ok = false;
        failed.duration_ms = no_value;
        failed.init_ms = no_value;
        failed.error_type = "Runtime.ExitError";
        failed.error_message = "exit status 1";
        failed.abandoned = true;
        w.write(failed);
        w.write(skipped_variant{{"hello", "bundled", "hello", "provided.al2023", "x86_64"},
                                "no loader"});
    }
    auto r = read_results(file);
    EXPECT_EQ(r.header.schema, "lambench.results/1");
    EXPECT_EQ(r.header.machine.host, "h");
    ASSERT_EQ(r.header.variants.size(), 1u);
    ASSERT_EQ(r.samples.size(), 2u);
    EXPECT_DOUBLE_EQ(r.samples[0].init_ms, 12.25);
    EXPECT_EQ(r.samples[0].kind, phase::cold);
    EXPECT_FALSE(r.samples[1].ok);
    EXPECT_TRUE(std::isnan(r.samples[1].duration_ms));
    EXPECT_EQ(r.samples[1].error_type, "Runtime.ExitError");
    EXPECT_TRUE(r.samples[1].abandoned);
    ASSERT_EQ(r.skipped.size(), 1u);
    EXPECT_EQ(r.skipped[0].reason, "no loader");
    EXPECT_TRUE(r.read_warnings.empty());
}

TEST(Results, TruncatedLastLineIsIgnoredWithAWarning) {
    temp_dir d;
    const auto file = (d.path / "r.jsonl").string();
    {
        results_writer w(file);
        w.write(header());
        w.write(ok_sample(0));
    }
    {
        std::ofstream out(file, std::ios::app);
        out << R"({"type":"sample","function":"hello","prof)";  // killed mid-write
    }
    auto r = read_results(file);
    EXPECT_EQ(r.samples.size(), 1u);
    ASSERT_EQ(r.read_warnings.size(), 1u);
    EXPECT_NE(r.read_warnings[0].find(":3: ignoring a truncated"), std::string::npos);

    // Appending after the torn line (a resumed run) starts a fresh line.
    {
        results_writer w(file);
        w.write(ok_sample(1));
    }
    r = read_results(file);
    EXPECT_EQ(r.samples.size(), 2u);
    EXPECT_EQ(r.read_warnings.size(), 1u);
}

TEST(Results, NotAResultsFileIsAnErrorNamingIt) {
    temp_dir d;
    const auto file = (d.path / "x.jsonl").string();
    std::ofstream(file) << "{\"type\":\"sample\"}\n";
    try {
        read_results(file);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_results((d.path / "missing.jsonl").string()), std::runtime_error);
    std::ofstream(file) << R"({"type":"header","schema":"lambench.results/99","machine":{}})"
                        << "\n";
    try {
        read_results(file);
        FAIL();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("unsupported schema"), std::string::npos) << e.what();
    }
}

TEST(Results, MachineContextIsDetected) {
    auto m = detect_machine();
    EXPECT_FALSE(m.kernel.empty());
    EXPECT_GT(m.cores, 0);
    EXPECT_FALSE(m.cgroup_mode.empty());
    EXPECT_EQ(m.lambench_version.empty(), false);
}

// Found by fuzz/fuzz_results: a number too large for an int field (here 1.8e22, a float) was
// converted to int, which is undefined behaviour; it is an error naming the file, line and field.
TEST(Results, IntFieldsOutsideIntAreErrors) {
    temp_dir d;
    const auto file = (d.path / "r.jsonl").string();
    for (const char* bad : {"18446744073709551615128", "1e30", "2147483648", "1.5", "\"128\""}) {
        {
            results_writer w(file);
            w.write(header());
        }
        std::ofstream(file, std::ios::app)
            << R"({"type":"sample","function":"hello","profile":"static","memory_mb":)" << bad
            << R"(,"phase":"cold","ok":true})"
            << "\n";
        try {
            read_results(file);
            ADD_FAILURE() << "accepted memory_mb " << bad;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find(":2: 'memory_mb' must be an integer"),
                      std::string::npos)
                << e.what();
        }
        fs::remove(file);
    }
    std::ofstream(file)
        << R"({"type":"header","schema":"lambench.results/1","machine":{},"cold":1e300})"
        << "\n";
    EXPECT_THROW(read_results(file), std::runtime_error);
}
