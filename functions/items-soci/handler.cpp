// SOCI maps rows through soci::type_conversion<items::item> (below), its ORM-less mapping hook.
// Its PostgreSQL backend turns timestamptz into std::tm, which has no fractional seconds, so
// created_at is selected as text (ORDER BY still uses the column and its index); numeric comes
// as double, which holds every numeric(10,2) value closely enough that rounding cents is exact.
#include "handler.hpp"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include <cmath>
#include <variant>
#include <vector>

namespace soci {

template <>
struct type_conversion<items::item> {
    typedef values base_type;
    static void from_base(const values& v, indicator, items::item& it) {
        it.id = v.get<std::string>("id");
        it.name = v.get<std::string>("name");
        if (v.get_properties("price").get_data_type() == dt_string)
            it.price_cents = items::parse_numeric_cents(v.get<std::string>("price"));
        else
            it.price_cents = std::llround(v.get<double>("price") * 100.0);
        it.created_at_us = items::parse_timestamptz_us(v.get<std::string>("created_at_text"));
    }
    static void to_base(const items::item&, values&, indicator&) {}
};

}  // namespace soci

namespace items_soci {
namespace {

constexpr const char* sql_by_category =
    "SELECT id, name, price, created_at::text AS created_at_text FROM items "
    "WHERE category = :category ORDER BY created_at DESC LIMIT :lim";
constexpr const char* sql_by_id =
    "SELECT id, name, price, created_at::text AS created_at_text FROM items WHERE id = :id::uuid";

}  // namespace

// Statements are prepared once per connection and re-executed with new bound values.
struct handler::state {
    soci::session sql;
    std::int32_t category = 0, limit = 0;
    std::string id;
    items::item row;
    soci::statement by_category;
    soci::statement by_id;

    explicit state(const std::string& conninfo)
        : sql(*soci::factory_postgresql(), conninfo),
          by_category((sql.prepare << sql_by_category, soci::into(row),
                       soci::use(category, "category"), soci::use(limit, "lim"))),
          by_id((sql.prepare << sql_by_id, soci::into(row), soci::use(id, "id"))) {}
};

handler::handler(const std::string& conninfo) : conninfo_(conninfo) {
    connect();
}

handler::~handler() = default;

void handler::connect() {
    s_.reset();
    s_ = std::make_unique<state>(conninfo_);
}

items::result handler::handle(std::string_view event) {
    auto parsed = items::parse_event(event);
    if (auto* bad = std::get_if<items::invalid_event>(&parsed)) return items::invalid(*bad);
    const auto& req = std::get<items::request>(parsed);
    for (int attempt = 0;; ++attempt) {
        try {
            std::vector<items::item> rows;
            if (auto* c = std::get_if<items::by_category>(&req)) {
                s_->category = c->category;
                s_->limit = c->limit;
                s_->by_category.execute(false);
                while (s_->by_category.fetch()) rows.push_back(s_->row);
                return items::result::success(items::items_json(rows));
            }
            s_->id = std::get<items::by_id>(req).id;
            s_->by_id.execute(false);
            if (!s_->by_id.fetch()) return items::not_found(s_->id);
            items::item it = s_->row;
            while (s_->by_id.fetch()) {
            }
            return items::result::success(items::item_json(it));
        } catch (const std::exception& e) {
            // SOCI reports a lost connection as a plain soci_error: reconnect once, when the
            // session says the connection is gone.
            bool lost = false;
            try {
                lost = !s_->sql.is_connected();
            } catch (...) {
                lost = true;
            }
            if (attempt > 0 || !lost) return items::result::failure("DatabaseError", e.what());
            try {
                connect();
            } catch (const std::exception& e2) {
                return items::result::failure("DatabaseError",
                                              std::string("reconnect failed: ") + e2.what());
            }
        }
    }
}

}  // namespace items_soci
