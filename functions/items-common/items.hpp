// The items use case, shared by every C++ data-access library: event parsing, the row type,
// exact JSON output (docs/architecture.md, "The items use case"). No library-specific code
// here, so every function's output is byte-identical by construction and differs only in how
// rows are fetched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace items {

// The one statement of each event shape. Libraries whose native types cannot carry a value
// exactly (SOCI's std::tm has no fractional seconds, Qt's QDateTime only milliseconds) select
// created_at as text instead; see their handler.cpp.
inline constexpr const char* sql_by_category =
    "SELECT id, name, price, created_at FROM items WHERE category = $1 "
    "ORDER BY created_at DESC LIMIT $2";
inline constexpr const char* sql_by_id =
    "SELECT id, name, price, created_at FROM items WHERE id = $1";

// One row, in types that hold the values exactly.
struct item {
    std::string id;  // canonical lowercase 8-4-4-4-12
    std::string name;
    std::int64_t price_cents = 0;    // numeric(10,2) scaled by 100
    std::int64_t created_at_us = 0;  // microseconds since 1970-01-01T00:00:00Z
};

struct by_category {
    std::int32_t category = 0;
    std::int32_t limit = 0;
};
struct by_id {
    std::string id;
};
using request = std::variant<by_category, by_id>;

// What a handler returns: the JSON body, or a function error (errorType + errorMessage).
struct result {
    bool ok = true;
    std::string body;        // JSON on success, the error message on failure
    std::string error_type;  // "InvalidEvent", "NotFound", or the library's error

    static result success(std::string json) { return {true, std::move(json), {}}; }
    static result failure(std::string type, std::string message) {
        return {false, std::move(message), std::move(type)};
    }
};

// A malformed event: the message names the field and what it must be.
struct invalid_event {
    std::string message;
};

// Parses {"category": N, "limit": M} or {"id": "<uuid>"} strictly (RFC 8259 JSON; unknown keys
// are ignored, a repeated key's last value wins, as JavaScript's JSON.parse does).
std::variant<request, invalid_event> parse_event(std::string_view event);

// JSON output: {"id":…,"name":…,"price":"12.34","created_at":"2026-01-01T00:01:01.500000Z"}.
void append_item_json(std::string& out, const item& it);
std::string items_json(const std::vector<item>& rows);
std::string item_json(const item& it);

// Text forms as PostgreSQL sends them; throw std::invalid_argument on anything else.
std::int64_t parse_numeric_cents(std::string_view text);   // "12.34", "-0.5", "7"
std::int64_t parse_timestamptz_us(std::string_view text);  // "2026-01-01 00:01:01.5+00"
std::string format_price(std::int64_t cents);              // "12.34"
std::string format_timestamp(std::int64_t unix_us);        // "2026-01-01T00:01:01.500000Z"
std::string format_uuid(const unsigned char bytes[16]);    // binary uuid → text
bool is_uuid(std::string_view s);

// The canonical answers, so every handler words them identically.
result not_found(const std::string& id);
result invalid(const invalid_event& e);

// The parts of a postgresql:// URL, for libraries that take them one by one (ECPG, Qt). With an
// empty URL, the usual PG* variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD) fill in.
struct pg_params {
    std::string host = "127.0.0.1";
    int port = 5432;
    std::string dbname, user, password;
    std::vector<std::pair<std::string, std::string>> options;  // ?key=value&…
};
pg_params parse_pg_url(const std::string& url);  // throws std::invalid_argument

// DATABASE_URL, else "" (libpq then takes the usual PG* variables).
std::string database_url();

}  // namespace items
