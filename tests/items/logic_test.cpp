// Each library's items handler against a real, seeded embedded PostgreSQL: exact rows, exact
// bytes, errors, reconnect. The cluster is shared (CTest fixture items_db) and restarted by the
// reconnect test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "db/embedded.hpp"
#include "handlers.hpp"

namespace {

std::string url() {
    return lambench::db::ensure_running(LAMBENCH_ITEMS_TEST_STATE);
}

const std::string category7_limit3 =
    R"([{"id":"dc0d3ae9-ccfe-1f86-4e2b-78524e2993fe","name":"item 9957","price":"684.09","created_at":"2026-01-08T02:05:55.500000Z"},)"
    R"({"id":"d9d613cf-afa1-976e-a294-46efcb4b2b97","name":"item 9907","price":"665.59","created_at":"2026-01-08T01:14:40.500000Z"},)"
    R"({"id":"0031bfe7-9890-eabc-6b05-56da7c68dc50","name":"item 9857","price":"647.09","created_at":"2026-01-08T00:23:25.500000Z"}])";

const std::string item1 =
    R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c","name":"item 1","price":"0.37","created_at":"2026-01-01T00:01:01.500000Z"})";

class Items : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override { h_ = items_test::libraries().at(GetParam())(url()); }
    items::result run(const std::string& event) { return h_->handle(event); }
    void expect_invalid(const std::string& event, const std::string& message) {
        auto r = run(event);
        EXPECT_FALSE(r.ok) << event << " -> " << r.body;
        EXPECT_EQ(r.error_type, "InvalidEvent") << event;
        EXPECT_EQ(r.body, message) << event;
    }
    std::unique_ptr<items_test::any_handler> h_;
};

TEST_P(Items, CategorySevenLimitThreeIsExact) {
    auto r = run(R"({"category":7,"limit":3})");
    ASSERT_TRUE(r.ok) << r.error_type << ": " << r.body;
    EXPECT_EQ(r.body, category7_limit3);
}

TEST_P(Items, ByIdReturnsOneObject) {
    auto r = run(R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c"})");
    ASSERT_TRUE(r.ok) << r.error_type << ": " << r.body;
    EXPECT_EQ(r.body, item1);
}

TEST_P(Items, WhitespaceAndExtraKeysAreAccepted) {
    auto r = run(" {\n \"limit\" : 3 , \"extra\": [1, {\"a\": null}], \"category\": 7.0 }\t");
    ASSERT_TRUE(r.ok) << r.body;
    EXPECT_EQ(r.body, category7_limit3);
}

TEST_P(Items, EmptyCategoryIsAnEmptyArray) {
    auto r = run(R"({"category":50,"limit":10})");
    ASSERT_TRUE(r.ok) << r.body;
    EXPECT_EQ(r.body, "[]");
}

TEST_P(Items, UnknownIdIsNotFound) {
    auto r = run(R"({"id":"00000000-0000-0000-0000-000000000000"})");
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error_type, "NotFound");
    EXPECT_EQ(r.body, "no item with id 00000000-0000-0000-0000-000000000000");
}

TEST_P(Items, MalformedEventsAreInvalidEventNamingTheField) {
    expect_invalid(R"({"limit":3})", "field 'category' is missing");
    expect_invalid(R"({"category":7})", "field 'limit' is missing");
    expect_invalid(R"({"category":"7","limit":3})", "field 'category' must be an integer");
    expect_invalid(R"({"category":7.5,"limit":3})", "field 'category' must be an integer");
    expect_invalid(R"({"category":7,"limit":-1})",
                   "field 'limit' must be an integer from 1 to 1000");
    expect_invalid(R"({"category":7,"limit":0})",
                   "field 'limit' must be an integer from 1 to 1000");
    expect_invalid(R"({"category":7,"limit":1001})",
                   "field 'limit' must be an integer from 1 to 1000");
    expect_invalid(R"({"category":7,"limit":1e400})",
                   "field 'limit' must be an integer from 1 to 1000");
    expect_invalid(R"({"category":99999999999,"limit":3})", "field 'category' must be an integer");
    expect_invalid(R"({"category":7,"limit":null})",
                   "field 'limit' must be an integer from 1 to 1000");
    expect_invalid(R"([1,2])", "event must be a JSON object with 'id' or 'category' and 'limit'");
    expect_invalid(R"("x")", "event must be a JSON object with 'id' or 'category' and 'limit'");
    expect_invalid(R"({"id":42})", "field 'id' must be a UUID string");
    expect_invalid(R"({"id":"' OR 1=1 --"})", "field 'id' must be a UUID string");
    expect_invalid(R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c'; DROP TABLE items; --"})",
                   "field 'id' must be a UUID string");
    expect_invalid(R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20"})",
                   "field 'id' must be a UUID string");
}

TEST_P(Items, NotJsonIsInvalidEvent) {
    for (std::string ev :
         {"", "not json", "{", R"({"category":7,"limit":3)", R"({"category":7,,"limit":3})",
          R"({"category":07,"limit":3})", R"({"category":7,"limit":3} x)", "{\"a\":\"\x01\"}"}) {
        auto r = run(ev);
        EXPECT_FALSE(r.ok) << ev;
        EXPECT_EQ(r.error_type, "InvalidEvent") << ev;
        EXPECT_EQ(r.body.rfind("event is not valid JSON: ", 0), 0u) << ev << " -> " << r.body;
    }
}

TEST_P(Items, TableStillThereAfterInjectionAttempts) {
    run(R"({"id":"'; DROP TABLE items; --"})");
    auto r = run(R"({"category":7,"limit":3})");
    ASSERT_TRUE(r.ok) << r.body;
    EXPECT_EQ(r.body, category7_limit3);
}

TEST_P(Items, LargestLimitReturnsTheWholeCategory) {
    auto r = run(R"({"category":0,"limit":1000})");
    ASSERT_TRUE(r.ok) << r.body;
    size_t objects = 0;
    for (size_t p = r.body.find("{\"id\""); p != std::string::npos;
         p = r.body.find("{\"id\"", p + 1))
        ++objects;
    EXPECT_EQ(objects, 200u);  // i % 50 == 0 for 200 of the 10,000 rows
    // newest first: item 10000 leads
    EXPECT_EQ(
        r.body.find(
            R"("name":"item 10000","price":"700.00","created_at":"2026-01-08T02:50:00.000000Z")"),
        46u);
}

TEST_P(Items, ReconnectsAfterServerRestart) {
    ASSERT_TRUE(run(R"({"category":7,"limit":3})").ok);
    lambench::db::stop(LAMBENCH_ITEMS_TEST_STATE);
    url();  // same port: remembered
    auto r = run(R"({"category":7,"limit":3})");
    ASSERT_TRUE(r.ok) << r.error_type << ": " << r.body;
    EXPECT_EQ(r.body, category7_limit3);
    auto r2 = run(R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c"})");
    ASSERT_TRUE(r2.ok) << r2.body;
    EXPECT_EQ(r2.body, item1);
}

TEST_P(Items, ConnectFailureThrowsAtInit) {
    EXPECT_ANY_THROW(items_test::libraries().at(GetParam())(
        "postgresql://lambench:wrong@127.0.0.1:1/"
        "lambench?sslmode=disable&gssencmode=disable&connect_timeout=2"));
}

std::vector<std::string> library_names() {
    std::vector<std::string> v;
    for (const auto& [name, f] : items_test::libraries()) v.push_back(name);
    return v;
}

INSTANTIATE_TEST_SUITE_P(Library, Items, ::testing::ValuesIn(library_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(ItemsAcrossLibraries, OutputIsByteIdentical) {
    const std::vector<std::string> events = {R"({"category":7,"limit":3})",
                                             R"({"category":0,"limit":1000})",
                                             R"({"category":49,"limit":17})",
                                             R"({"category":-3,"limit":5})",
                                             R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c"})",
                                             R"({"id":"00000000-0000-0000-0000-000000000000"})",
                                             R"({"category":7,"limit":"3"})",
                                             "nope"};
    const std::string u = url();
    std::map<std::string, std::vector<items::result>> out;
    for (const auto& [name, make] : items_test::libraries()) {
        auto h = make(u);
        for (const auto& ev : events) out[name].push_back(h->handle(ev));
    }
    ASSERT_GE(out.size(), 1u);
    const auto& [ref_name, ref] = *out.begin();
    for (const auto& [name, results] : out) {
        for (size_t k = 0; k < events.size(); ++k) {
            EXPECT_EQ(results[k].ok, ref[k].ok)
                << name << " vs " << ref_name << " on " << events[k];
            EXPECT_EQ(results[k].error_type, ref[k].error_type) << name << " on " << events[k];
            EXPECT_EQ(results[k].body, ref[k].body)
                << name << " vs " << ref_name << " on " << events[k];
        }
    }
}

}  // namespace
