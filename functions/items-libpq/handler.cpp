// Binary results: uuid arrives as 16 bytes, timestamptz as int64 microseconds since 2000-01-01
// UTC and numeric as base-10000 digits, so nothing depends on the session's TimeZone or
// DateStyle, and there is no text to parse (text mode would make the server format and us
// re-parse every timestamp). Parameters go as text: two short integers or a UUID, which the
// server parses once per call either way.
#include "handler.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "db/seed_sql.hpp"

namespace items_libpq {
namespace {

constexpr std::int64_t pg_epoch_unix_us = 946684800LL * 1000000;  // 2000-01-01 in Unix µs

std::uint16_t be16(const char* p) {
    std::uint16_t v;
    std::memcpy(&v, p, 2);
    return ntohs(v);
}

std::int64_t be64(const char* p) {
    std::uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v = (v << 8) | static_cast<unsigned char>(p[k]);
    return static_cast<std::int64_t>(v);
}

// numeric binary: ndigits, weight, sign, dscale (int16 each), then ndigits base-10000 digits;
// value = sum digit[k] * 10000^(weight - k).
std::int64_t numeric_cents(const char* p, int len) {
    if (len < 8) throw std::runtime_error("numeric: short value");
    int ndigits = be16(p);
    int weight = static_cast<std::int16_t>(be16(p + 2));
    std::uint16_t sign = be16(p + 4);
    if (sign == 0xC000) throw std::runtime_error("numeric: NaN");
    if (len < 8 + 2 * ndigits) throw std::runtime_error("numeric: short value");
    std::int64_t cents = 0;
    for (int k = 0; k < ndigits; ++k) {
        std::int64_t d = be16(p + 8 + 2 * k);
        int e = weight - k;
        if (e >= 0) {
            std::int64_t v = d * 100;
            for (int j = 0; j < e; ++j) v *= 10000;
            cents += v;
        } else if (e == -1) {
            cents += d / 100;  // scale 2: the low two decimal digits of this group are zero
        }
    }
    return sign == 0x4000 ? -cents : cents;
}

void rows_to_items(const PGresult* r, std::vector<items::item>& out) {
    const int n = PQntuples(r);
    out.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
        items::item it;
        it.id = items::format_uuid(reinterpret_cast<const unsigned char*>(PQgetvalue(r, i, 0)));
        it.name.assign(PQgetvalue(r, i, 1), static_cast<size_t>(PQgetlength(r, i, 1)));
        it.price_cents = numeric_cents(PQgetvalue(r, i, 2), PQgetlength(r, i, 2));
        it.created_at_us = be64(PQgetvalue(r, i, 3)) + pg_epoch_unix_us;
        out.push_back(std::move(it));
    }
}

struct result_owner {
    PGresult* r;
    ~result_owner() { PQclear(r); }
};

std::string trimmed_error(PGconn* c) {
    std::string m = PQerrorMessage(c);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m;
}

}  // namespace

handler::handler(const std::string& conninfo) : conninfo_(conninfo) {
    connect();
}

handler::~handler() {
    PQfinish(conn_);
}

void handler::connect() {
    PQfinish(conn_);
    conn_ = PQconnectdb(conninfo_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) throw std::runtime_error(trimmed_error(conn_));
    prepared_ = prepare();
}

bool handler::prepare() {
    const Oid cat_types[2] = {23, 23};  // int4, int4
    const Oid id_types[1] = {2950};     // uuid
    result_owner a{PQprepare(conn_, "by_category", items::sql_by_category, 2, cat_types)};
    if (PQresultStatus(a.r) != PGRES_COMMAND_OK) {
        // An empty database (RDS before seeding): start anyway, so the setup action can run.
        const char* state = PQresultErrorField(a.r, PG_DIAG_SQLSTATE);
        if (state && std::strcmp(state, "42P01") == 0) return false;  // undefined_table
        throw std::runtime_error(trimmed_error(conn_));
    }
    result_owner b{PQprepare(conn_, "by_id", items::sql_by_id, 1, id_types)};
    if (PQresultStatus(b.r) != PGRES_COMMAND_OK) throw std::runtime_error(trimmed_error(conn_));
    return true;
}

items::result handler::setup() {
    result_owner exists{PQexec(conn_, "SELECT to_regclass('items') IS NOT NULL")};
    if (PQresultStatus(exists.r) != PGRES_TUPLES_OK)
        return items::result::failure("DatabaseError", trimmed_error(conn_));
    const bool seeded_now = std::strcmp(PQgetvalue(exists.r, 0, 0), "t") != 0;
    if (seeded_now) {
        result_owner seed{PQexec(conn_, lambench::db::schema_and_seed)};
        if (PQresultStatus(seed.r) != PGRES_COMMAND_OK) {
            const std::string message = trimmed_error(conn_);
            result_owner rollback{PQexec(conn_, "ROLLBACK")};
            return items::result::failure("DatabaseError", "seeding failed: " + message);
        }
    }
    if (!prepared_ && !(prepared_ = prepare()))
        return items::result::failure("DatabaseError", "the items table is still missing");
    result_owner count{PQexec(conn_, "SELECT count(*) FROM items")};
    if (PQresultStatus(count.r) != PGRES_TUPLES_OK)
        return items::result::failure("DatabaseError", trimmed_error(conn_));
    return items::result::success(std::string(R"({"rows":)") + PQgetvalue(count.r, 0, 0) +
                                  R"(,"seeded":)" + (seeded_now ? "true" : "false") + "}");
}

bool is_setup_event(std::string_view event) {
    auto skip = [&] {
        while (!event.empty() && (event.front() == ' ' || event.front() == '\t' ||
                                  event.front() == '\n' || event.front() == '\r'))
            event.remove_prefix(1);
    };
    for (std::string_view token : {"{", "\"action\"", ":", "\"setup\"", "}"}) {
        skip();
        if (!event.starts_with(token)) return false;
        event.remove_prefix(token.size());
    }
    skip();
    return event.empty();
}

items::result handler::handle(std::string_view event) {
    if (!prepared_) {
        if (is_setup_event(event)) return setup();
        if (!(prepared_ = prepare()))
            return items::result::failure(
                "DatabaseError",
                R"(the items table does not exist; seed it with the event {"action":"setup"})");
    }
    if (event.size() < 32 && is_setup_event(event)) return setup();
    auto parsed = items::parse_event(event);
    if (auto* bad = std::get_if<items::invalid_event>(&parsed)) return items::invalid(*bad);
    const auto& req = std::get<items::request>(parsed);

    std::string p1, p2;
    const char* params[2];
    const char* stmt;
    int nparams;
    if (auto* c = std::get_if<items::by_category>(&req)) {
        p1 = std::to_string(c->category);
        p2 = std::to_string(c->limit);
        params[0] = p1.c_str();
        params[1] = p2.c_str();
        stmt = "by_category";
        nparams = 2;
    } else {
        params[0] = std::get<items::by_id>(req).id.c_str();
        stmt = "by_id";
        nparams = 1;
    }

    for (int attempt = 0;; ++attempt) {
        result_owner r{PQexecPrepared(conn_, stmt, nparams, params, nullptr, nullptr, 1)};
        if (PQresultStatus(r.r) == PGRES_TUPLES_OK) {
            std::vector<items::item> rows;
            try {
                rows_to_items(r.r, rows);
            } catch (const std::exception& e) {
                return items::result::failure("DatabaseError", e.what());
            }
            if (nparams == 2) return items::result::success(items::items_json(rows));
            if (rows.empty()) return items::not_found(std::get<items::by_id>(req).id);
            return items::result::success(items::item_json(rows.front()));
        }
        // The server went away (restart, idle kill while we were frozen): reconnect once.
        if (attempt == 0 && PQstatus(conn_) == CONNECTION_BAD) {
            try {
                connect();
            } catch (const std::exception& e) {
                return items::result::failure("DatabaseError",
                                              std::string("reconnect failed: ") + e.what());
            }
            continue;
        }
        return items::result::failure("DatabaseError", trimmed_error(conn_));
    }
}

}  // namespace items_libpq
