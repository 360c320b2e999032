// Every reporter against checked-in expected output rendered from tests/driver/data/sample.jsonl.
// After an intended change: LAMBENCH_UPDATE_EXPECTED=1 ./driver_unit_test, then review the diff.
#include "driver/reporters.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "driver/compare.hpp"

using namespace lambench::driver;

namespace {

const std::string dir = LAMBENCH_DRIVER_TEST_DIR;

run_summary sample_summary() {
    return summarize(read_results(dir + "/data/sample.jsonl"));
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

void expect_matches(const std::string& name, const std::string& actual) {
    const std::string path = dir + "/expected/" + name;
    if (const char* u = std::getenv("LAMBENCH_UPDATE_EXPECTED"); u && std::string(u) == "1") {
        std::ofstream(path) << actual;
        return;
    }
    const std::string expected = slurp(path);
    ASSERT_FALSE(expected.empty())
        << "missing " << path << " (LAMBENCH_UPDATE_EXPECTED=1 creates it)";
    EXPECT_EQ(actual, expected) << "differs from " << path;
}

}  // namespace

TEST(Reporters, SummaryOfSampleHasEveryCellKind) {
    const auto s = sample_summary();
    ASSERT_EQ(s.variants.size(), 5u);
    EXPECT_TRUE(s.find("hello", "bundled")->skipped);
    const auto* broken = s.find("items-libpq", "static");
    ASSERT_TRUE(broken);
    EXPECT_TRUE(broken->find(128, phase::cold)->is_error());
    const auto* partial = s.find("items-libpq", "shared")->find(256, phase::warm);
    EXPECT_EQ(partial->failed, 1u);
    EXPECT_EQ(partial->total.n, 4u);
    const auto* outlier = s.find("hello", "shared")->find(128, phase::warm);
    EXPECT_EQ(outlier->total.outliers, 1u);
    // hello/static cold at 128 MB: init 12, 13, 14 + duration 2.0, 2.1, 2.2 → median 15.1
    EXPECT_NEAR(s.find("hello", "static")->find(128, phase::cold)->total.median, 15.1, 1e-9);
    EXPECT_EQ(s.total_samples, 60u);  // 32 hello + 16 libpq/shared + 12 libpq/static
}

TEST(Reporters, ConsoleMatchesExpected) {
    expect_matches("sample.console.txt", render_console(sample_summary()));
}
TEST(Reporters, MarkdownMatchesExpected) {
    expect_matches("sample.md", render_markdown(sample_summary()));
}
TEST(Reporters, JsonMatchesExpected) {
    expect_matches("sample.json", render_json(sample_summary()));
}
TEST(Reporters, CsvMatchesExpected) {
    expect_matches("sample.csv", render_csv(sample_summary()));
}
TEST(Reporters, HtmlMatchesExpected) {
    expect_matches("sample.html", render_html(sample_summary()));
}

TEST(Reporters, CompareOfARunWithItselfIsWithinNoise) {
    const auto s = sample_summary();
    const auto deltas = compare_runs(s, s);
    ASSERT_FALSE(deltas.empty());
    for (const auto& d : deltas) {
        if (d.a_status == "ok") {
            EXPECT_NEAR(d.b_over_a.value, 1, 1e-12);
            EXPECT_NE(d.verdict.find("within noise"), std::string::npos) << d.verdict;
        }
    }
    expect_matches("sample.compare.txt", render_comparison(s, s, deltas, false));
}

TEST(Reporters, ProfileColoursAreFixedAndDistinct) {
    const auto a = profile_colours({"static", "bundled"});
    const auto b = profile_colours({"bundled", "custom", "shared", "static"});
    // A well-known profile has the same colour whatever the order or company.
    for (const char* p : {"shared", "static", "bundled", "jit"}) EXPECT_EQ(a.at(p), b.at(p)) << p;
    std::set<std::string> distinct;
    for (const auto& [p, c] : b) EXPECT_TRUE(distinct.insert(c).second) << p << " repeats " << c;
}

TEST(Reporters, HtmlHeadlineIsTheFirstDatabaseFunctionUnlessGiven) {
    auto s = sample_summary();
    ASSERT_GE(s.functions().size(), 2u);
    EXPECT_EQ(headline_function(s), s.functions().front()) << "no database function: the first";
    const std::string db_fn = s.variants.back().info.function;
    ASSERT_NE(db_fn, s.functions().front());
    for (auto& v : s.variants)
        if (v.info.function == db_fn) v.info.needs_database = true;
    EXPECT_EQ(headline_function(s), db_fn);
    html_options o;
    o.headline_function = "hello";
    EXPECT_EQ(headline_function(s, o), "hello");
    EXPECT_NE(render_html(s).find("How cold start and next exec move with memory — " + db_fn),
              std::string::npos);
}

TEST(Reporters, MarkdownTableTwoFallsBackToNearestMemory) {
    markdown_options o;
    o.memory_mb = 1024;  // not measured: the nearest, 256 MB
    const auto md = render_markdown(sample_summary(), o);
    EXPECT_NE(md.find("## Libraries at 256 MB"), std::string::npos);
}
