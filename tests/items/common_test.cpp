// Unit tests of the shared items code: number/time formats, the strict event parser.
#include <gtest/gtest.h>

#include <cstdlib>
#include <utility>

#include "items.hpp"

namespace {

TEST(ItemsFormat, PriceHasExactlyTwoDecimals) {
    EXPECT_EQ(items::format_price(37), "0.37");
    EXPECT_EQ(items::format_price(70000), "700.00");
    EXPECT_EQ(items::format_price(5), "0.05");
    EXPECT_EQ(items::format_price(-150), "-1.50");
    EXPECT_EQ(items::format_price(0), "0.00");
    EXPECT_EQ(items::format_price(9999999999), "99999999.99");
}

TEST(ItemsFormat, TimestampIsUtcMicrosecondsZ) {
    EXPECT_EQ(items::format_timestamp(0), "1970-01-01T00:00:00.000000Z");
    EXPECT_EQ(items::format_timestamp(1767225661500000), "2026-01-01T00:01:01.500000Z");
    EXPECT_EQ(items::format_timestamp(-1), "1969-12-31T23:59:59.999999Z");
    EXPECT_EQ(items::format_timestamp(951782400000000), "2000-02-29T00:00:00.000000Z");
}

TEST(ItemsParse, NumericText) {
    EXPECT_EQ(items::parse_numeric_cents("0.37"), 37);
    EXPECT_EQ(items::parse_numeric_cents("700.00"), 70000);
    EXPECT_EQ(items::parse_numeric_cents("7"), 700);
    EXPECT_EQ(items::parse_numeric_cents("-1.5"), -150);
    EXPECT_EQ(items::parse_numeric_cents("1.230"), 123);
    EXPECT_THROW(items::parse_numeric_cents("1.234"), std::invalid_argument);
    EXPECT_THROW(items::parse_numeric_cents("abc"), std::invalid_argument);
    EXPECT_THROW(items::parse_numeric_cents(""), std::invalid_argument);
    EXPECT_THROW(items::parse_numeric_cents("NaN"), std::invalid_argument);
}

TEST(ItemsParse, TimestamptzTextInAnyZone) {
    EXPECT_EQ(items::parse_timestamptz_us("2026-01-01 00:01:01.5+00"), 1767225661500000);
    EXPECT_EQ(items::parse_timestamptz_us("2026-01-01 01:01:01.5+01"), 1767225661500000);
    EXPECT_EQ(items::parse_timestamptz_us("2025-12-31 19:31:01.5-04:30"), 1767225661500000);
    EXPECT_EQ(items::parse_timestamptz_us("2026-01-01T00:01:01.500000Z"), 1767225661500000);
    EXPECT_EQ(items::parse_timestamptz_us("2026-01-01 00:01:01"), 1767225661000000);
    EXPECT_THROW(items::parse_timestamptz_us("2026-01-01"), std::invalid_argument);
    EXPECT_THROW(items::parse_timestamptz_us("2026-13-01 00:00:00+00"), std::invalid_argument);
    EXPECT_THROW(items::parse_timestamptz_us("2026-01-01 00:00:00+00 junk"), std::invalid_argument);
}

TEST(ItemsFormat, StringsAreJsonEscaped) {
    items::item it{"id", "a\"b\\c\nd\x01\xc3\xa9", 1, 0};
    EXPECT_EQ(items::item_json(it),
              R"({"id":"id","name":"a\"b\\c\nd\u0001)"
              "\xc3\xa9"
              R"(","price":"0.01","created_at":"1970-01-01T00:00:00.000000Z"})");
    EXPECT_EQ(items::items_json({}), "[]");
}

TEST(ItemsParse, UuidCheck) {
    EXPECT_TRUE(items::is_uuid("761ff52b-8e6d-d373-fdf2-91a1a70df20c"));
    EXPECT_TRUE(items::is_uuid("761FF52B-8E6D-D373-FDF2-91A1A70DF20C"));
    EXPECT_FALSE(items::is_uuid("761ff52b8e6dd373fdf291a1a70df20c"));
    EXPECT_FALSE(items::is_uuid("761ff52b-8e6d-d373-fdf2-91a1a70df20g"));
}

TEST(ItemsParse, EventShapes) {
    auto r = items::parse_event(R"({"category":7,"limit":3})");
    ASSERT_TRUE(std::holds_alternative<items::request>(r));
    auto c = std::get<items::by_category>(std::get<items::request>(r));
    EXPECT_EQ(c.category, 7);
    EXPECT_EQ(c.limit, 3);
    auto i =
        items::parse_event(R"({"id":"761ff52b-8e6d-d373-fdf2-91a1a70df20c","category":"ignored"})");
    ASSERT_TRUE(std::holds_alternative<items::request>(i));
    EXPECT_EQ(std::get<items::by_id>(std::get<items::request>(i)).id,
              "761ff52b-8e6d-d373-fdf2-91a1a70df20c");
    // escapes decode before validation
    auto e = items::parse_event(R"({"id":"761ff52b\u002d8e6d-d373-fdf2-91a1a70df20c"})");
    ASSERT_TRUE(std::holds_alternative<items::request>(e));
    // last duplicate wins, as JSON.parse
    auto d = items::parse_event(R"({"category":1,"limit":3,"category":9})");
    EXPECT_EQ(std::get<items::by_category>(std::get<items::request>(d)).category, 9);
    // deep nesting is refused rather than recursing without bound
    std::string deep = R"({"x":)" + std::string(100, '[') + std::string(100, ']') + "}";
    EXPECT_TRUE(std::holds_alternative<items::invalid_event>(items::parse_event(deep)));
}

TEST(ItemsUrl, PostgresqlUrlIsSplit) {
    auto p = items::parse_pg_url(
        "postgresql://lambench:p%40ss@127.0.0.1:5433/lambench?sslmode=disable&gssencmode=disable");
    EXPECT_EQ(p.user, "lambench");
    EXPECT_EQ(p.password, "p@ss");
    EXPECT_EQ(p.host, "127.0.0.1");
    EXPECT_EQ(p.port, 5433);
    EXPECT_EQ(p.dbname, "lambench");
    ASSERT_EQ(p.options.size(), 2u);
    EXPECT_EQ(p.options[0], (std::pair<std::string, std::string>{"sslmode", "disable"}));
    auto q = items::parse_pg_url("postgres://u@db.example");
    EXPECT_EQ(q.host, "db.example");
    EXPECT_EQ(q.port, 5432);
    EXPECT_EQ(q.dbname, "u");
    EXPECT_THROW(items::parse_pg_url("mysql://x"), std::invalid_argument);
    EXPECT_THROW(items::parse_pg_url("postgresql://h:99999/db"), std::invalid_argument);
    EXPECT_THROW(items::parse_pg_url("postgresql://u:%zz@h/db"), std::invalid_argument);
}

TEST(ItemsUrl, EmptyUrlTakesPgVariables) {
    ::setenv("PGHOST", "10.0.0.1", 1);
    ::setenv("PGPORT", "6543", 1);
    ::setenv("PGUSER", "alice", 1);
    ::setenv("PGPASSWORD", "pw", 1);
    ::setenv("PGDATABASE", "shop", 1);
    auto p = items::parse_pg_url("");
    EXPECT_EQ(p.host, "10.0.0.1");
    EXPECT_EQ(p.port, 6543);
    EXPECT_EQ(p.user, "alice");
    EXPECT_EQ(p.password, "pw");
    EXPECT_EQ(p.dbname, "shop");
}

}  // namespace
