#include "driver/suite.hpp"

#include <gtest/gtest.h>

using namespace lambench::driver;

namespace {

const char* valid = R"(
name = "t"
memory = [128, 256, 512]
cold = 4
warm = 20

[defaults]
profiles = ["shared", "static"]
timeout = 12

[[function]]
name = "hello"
payload = '{}'

[[function]]
name = "items-libpq"
library = "libpq"
needs_database = true
payload = { category = 7, limit = 10 }
environment = { LOG = "1" }

[[function]]
name = "node-hello"
profiles = ["jit"]
)";

std::string error_of(const std::string& text) {
    try {
        parse_suite(text, "bad.toml");
    } catch (const suite_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(Suite, ParsesFunctionsProfilesAndDefaults) {
    auto s = parse_suite(valid, "t.toml");
    EXPECT_EQ(s.name, "t");
    EXPECT_EQ(s.memory, (std::vector<int>{128, 256, 512}));
    EXPECT_EQ(s.cold, 4);
    EXPECT_EQ(s.warm, 20);
    ASSERT_EQ(s.functions.size(), 3u);
    EXPECT_EQ(s.functions[0].profiles, (std::vector<std::string>{"shared", "static"}));
    EXPECT_EQ(s.functions[0].library, "hello");  // defaults to the name
    EXPECT_EQ(s.functions[0].timeout_s, 12);
    EXPECT_EQ(s.functions[1].library, "libpq");
    EXPECT_TRUE(s.functions[1].needs_database);
    EXPECT_EQ(s.functions[1].payload, R"({"category":7,"limit":10})");
    EXPECT_EQ(s.functions[1].environment.at("LOG"), "1");
    EXPECT_EQ(s.functions[2].profiles, (std::vector<std::string>{"jit"}));
}

TEST(Suite, CheckedInSuitesParse) {
    auto seed = load_suite(std::string(LAMBENCH_DRIVER_TEST_DIR) + "/../../suites/seed.toml");
    EXPECT_EQ(seed.memory, (std::vector<int>{128, 256, 512, 1024, 1769}));
    EXPECT_EQ(seed.cold, 10);
    EXPECT_EQ(seed.warm, 50);
    EXPECT_EQ(seed.functions.size(), 9u);
    auto hello = load_suite(std::string(LAMBENCH_DRIVER_TEST_DIR) + "/../../suites/hello.toml");
    EXPECT_EQ(hello.functions.size(), 1u);
    // docs/fidelity.md's suite: cold starts only, at the two memory sizes it compares.
    auto fid = load_suite(std::string(LAMBENCH_DRIVER_TEST_DIR) + "/../../suites/fidelity.toml");
    EXPECT_EQ(fid.memory, (std::vector<int>{128, 1024}));
    EXPECT_EQ(fid.cold, 10);
    EXPECT_EQ(fid.warm, 0);
    ASSERT_EQ(fid.functions.size(), 3u);
    EXPECT_EQ(fid.functions[0].profiles, (std::vector<std::string>{"static", "shared", "bundled"}));
    EXPECT_EQ(fid.functions[1].name, "aws-lambda-cpp-style");
    EXPECT_EQ(fid.functions[2].profiles, (std::vector<std::string>{"jit"}));
}

TEST(Suite, MalformedTomlNamesFileAndLine) {
    const auto e = error_of("name = \"x\"\nmemory = [128,\n");
    EXPECT_NE(e.find("bad.toml:"), std::string::npos) << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << "one line: " << e;
}

TEST(Suite, BadValuesAreNamed) {
    EXPECT_NE(error_of("memory = [64]\n[[function]]\nname='a'\nprofiles=['x']\n")
                  .find("64 MB is outside"),
              std::string::npos);
    EXPECT_NE(error_of("[[function]]\nname='a'\nprofiles=['x']\n").find("missing 'memory'"),
              std::string::npos);
    EXPECT_NE(error_of("memory=[128]\n").find("no [[function]]"), std::string::npos);
    EXPECT_NE(error_of("memory=[128]\n[[function]]\nname='a'\n").find("has no 'profiles'"),
              std::string::npos);
    EXPECT_NE(error_of("memory=[128]\ncold='x'\n[[function]]\nname='a'\nprofiles=['x']\n")
                  .find("'cold' must be an integer"),
              std::string::npos);
    EXPECT_NE(error_of("memory=[128]\nconcurrency=4\n[[function]]\nname='a'\nprofiles=['x']\n")
                  .find("concurrency"),
              std::string::npos);
}

// Found by fuzz_suite: a float where an integer belongs went through toml++'s unchecked
// float->integer cast (UBSan: 1e+28 outside the range of long) before the type was checked.
TEST(Suite, FloatsAndHugeIntegersAreRefusedNotConverted) {
    const std::string fn = "[[function]]\nname='a'\nprofiles=['x']\n";
    EXPECT_NE(error_of("memory=[128]\ncold=1e28\n" + fn).find("'cold' must be an integer"),
              std::string::npos);
    EXPECT_NE(error_of("memory=[128]\nwarm=2.5\n" + fn).find("'warm' must be an integer"),
              std::string::npos);
    EXPECT_NE(error_of("memory=[1e28]\n" + fn).find("'memory' entries must be integers"),
              std::string::npos);
    EXPECT_NE(error_of("memory=[128]\ncold=9223372036854775807\n" + fn).find("out of range"),
              std::string::npos);
    EXPECT_NE(error_of("memory=[9223372036854775807]\n" + fn).find("is outside"),
              std::string::npos);
}

TEST(Suite, MemoryListParsesAndRejectsGarbage) {
    EXPECT_EQ(parse_memory_list("128,256, 512"), (std::vector<int>{128, 256, 512}));
    EXPECT_EQ(parse_memory_list("1769MB"), (std::vector<int>{1769}));
    EXPECT_THROW(parse_memory_list(""), suite_error);
    EXPECT_THROW(parse_memory_list("128,,256"), suite_error);
    EXPECT_THROW(parse_memory_list("64"), suite_error);
    EXPECT_THROW(parse_memory_list("20000"), suite_error);
    EXPECT_THROW(parse_memory_list("128,128"), suite_error);
    try {
        parse_memory_list("128,abc");
        FAIL();
    } catch (const suite_error& e) {
        EXPECT_NE(std::string(e.what()).find("'abc'"), std::string::npos);
    }
}

TEST(Suite, OverridesAndQuickPreset) {
    auto s = parse_suite(valid, "t.toml");
    overrides o;
    o.quick = true;
    apply(s, o);
    EXPECT_EQ(s.memory, (std::vector<int>{128, 256}));
    EXPECT_EQ(s.cold, 3);
    EXPECT_EQ(s.warm, 10);
    overrides explicit_values;
    explicit_values.quick = true;
    explicit_values.cold = 7;
    explicit_values.memory = std::vector<int>{1024};
    apply(s, explicit_values);
    EXPECT_EQ(s.cold, 7);
    EXPECT_EQ(s.memory, (std::vector<int>{1024}));
}

TEST(Suite, FunctionGlobsSelectFunctionsOrProfiles) {
    auto s = parse_suite(valid, "t.toml");
    overrides o;
    o.function_globs = {"items-*", "hello/static"};
    apply(s, o);
    ASSERT_EQ(s.functions.size(), 2u);
    EXPECT_EQ(s.functions[0].name, "items-libpq");
    EXPECT_EQ(s.functions[0].profiles.size(), 2u);
    EXPECT_EQ(s.functions[1].name, "hello");
    EXPECT_EQ(s.functions[1].profiles, (std::vector<std::string>{"static"}));
}

TEST(Suite, UnknownFunctionGlobIsAnError) {
    auto s = parse_suite(valid, "t.toml");
    overrides o;
    o.function_globs = {"nosuch*"};
    try {
        apply(s, o);
        FAIL();
    } catch (const suite_error& e) {
        EXPECT_NE(std::string(e.what()).find("'nosuch*' matches no function"), std::string::npos);
    }
}

// Found by fuzz/fuzz_suite (its table-payload property): a string ending in an escaped backslash
// ended the compaction's idea of "inside a string" one quote late, so the spaces of later
// strings were dropped and the formatter's newlines kept.
TEST(Suite, TablePayloadKeepsStringsAfterAnEscapedBackslash) {
    auto s = parse_suite(R"(
memory = [128]
[[function]]
name = "f"
profiles = ["static"]
payload = { a = "x\\", b = "y z", c = ["p q"] }
)",
                         "t.toml");
    ASSERT_EQ(s.functions.size(), 1u);
    EXPECT_EQ(s.functions[0].payload, R"({"a":"x\\","b":"y z","c":["p q"]})");
}
