// items-libpq's setup action, the way `lambench aws deploy` seeds RDS: on an empty database the
// function still starts, {"action":"setup"} creates and seeds the table with the embedded
// database's rows (same script), a second setup changes nothing, and queries then answer the
// same bytes as on the embedded database. The empty database is a fresh schema first on the
// search_path of the shared test cluster.
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <string>

#include "db/embedded.hpp"
#include "handler.hpp"

namespace {

const std::string item1 =
    R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c","name":"item 1","price":"0.37","created_at":"2026-01-01T00:01:01.500000Z"})";

void exec(const std::string& url, const std::string& sql) {
    PGconn* c = PQconnectdb(url.c_str());
    ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PGresult* r = PQexec(c, sql.c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
}

struct empty_schema {
    std::string base = lambench::db::ensure_running(LAMBENCH_ITEMS_TEST_STATE);
    std::string url = base + "&options=-csearch_path%3Dsetup_test";
    empty_schema() {
        exec(base, "DROP SCHEMA IF EXISTS setup_test CASCADE; CREATE SCHEMA setup_test");
    }
    ~empty_schema() { exec(base, "DROP SCHEMA IF EXISTS setup_test CASCADE"); }
};

TEST(ItemsLibpqSetup, SeedsAnEmptyDatabaseOnceWithTheEmbeddedRows) {
    empty_schema db;
    items_libpq::handler h(db.url);  // starts although there is no table

    auto before = h.handle(R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c"})");
    EXPECT_FALSE(before.ok);
    EXPECT_EQ(before.error_type, "DatabaseError");
    EXPECT_NE(before.body.find(R"({"action":"setup"})"), std::string::npos) << before.body;

    auto first = h.handle(R"({"action":"setup"})");
    ASSERT_TRUE(first.ok) << first.body;
    EXPECT_EQ(first.body, R"({"rows":10000,"seeded":true})");
    auto again = h.handle(" { \"action\" :\n\"setup\" } ");
    ASSERT_TRUE(again.ok) << again.body;
    EXPECT_EQ(again.body, R"({"rows":10000,"seeded":false})");

    auto one = h.handle(R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c"})");
    ASSERT_TRUE(one.ok) << one.body;
    EXPECT_EQ(one.body, item1);
    // Byte for byte what the embedded database answers.
    items_libpq::handler embedded(db.base);
    const std::string event = R"({"category":7,"limit":25})";
    EXPECT_EQ(h.handle(event).body, embedded.handle(event).body);

    // A fresh connection to the seeded schema prepares at init as usual.
    items_libpq::handler fresh(db.url);
    EXPECT_EQ(fresh.handle(R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c"})").body, item1);
}

TEST(ItemsLibpqSetup, OnlyTheExactSetupEventIsOne) {
    EXPECT_TRUE(items_libpq::is_setup_event(R"({"action":"setup"})"));
    EXPECT_TRUE(items_libpq::is_setup_event("\t{ \"action\" : \"setup\" }\n"));
    EXPECT_FALSE(items_libpq::is_setup_event(R"({"action":"setup","x":1})"));
    EXPECT_FALSE(items_libpq::is_setup_event(R"({"action":"set up"})"));
    EXPECT_FALSE(items_libpq::is_setup_event(R"({"action":"setup"}})"));
    EXPECT_FALSE(items_libpq::is_setup_event(R"({"category":7,"limit":10})"));
    EXPECT_FALSE(items_libpq::is_setup_event(""));
}

}  // namespace
