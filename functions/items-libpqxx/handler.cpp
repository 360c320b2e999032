// libpqxx's results are text, so price and created_at arrive as PostgreSQL formats them and are
// parsed into the item's exact types (cents, Unix µs) by items-common.
#include "handler.hpp"

#include <pqxx/pqxx>
#include <variant>
#include <vector>

namespace items_libpqxx {
namespace {

items::item to_item(const pqxx::row& row) {
    items::item it;
    it.id = row[0].c_str();
    it.name.assign(row[1].c_str(), row[1].size());
    it.price_cents = items::parse_numeric_cents(row[2].c_str());
    it.created_at_us = items::parse_timestamptz_us(row[3].c_str());
    return it;
}

}  // namespace

handler::handler(const std::string& conninfo) : conninfo_(conninfo) {
    connect();
}

handler::~handler() = default;

void handler::connect() {
    conn_.reset();
    conn_ = std::make_unique<pqxx::connection>(conninfo_);
    conn_->prepare("by_category", items::sql_by_category);
    conn_->prepare("by_id", items::sql_by_id);
}

items::result handler::handle(std::string_view event) {
    auto parsed = items::parse_event(event);
    if (auto* bad = std::get_if<items::invalid_event>(&parsed)) return items::invalid(*bad);
    const auto& req = std::get<items::request>(parsed);
    for (int attempt = 0;; ++attempt) {
        try {
            pqxx::nontransaction tx(*conn_);
            if (auto* c = std::get_if<items::by_category>(&req)) {
                pqxx::result r = tx.exec_prepared("by_category", c->category, c->limit);
                std::vector<items::item> rows;
                rows.reserve(r.size());
                for (const auto& row : r) rows.push_back(to_item(row));
                return items::result::success(items::items_json(rows));
            }
            const auto& id = std::get<items::by_id>(req).id;
            pqxx::result r = tx.exec_prepared("by_id", id);
            if (r.empty()) return items::not_found(id);
            return items::result::success(items::item_json(to_item(r[0])));
        } catch (const pqxx::broken_connection& e) {
            // The server went away (restart, idle kill while frozen): reconnect once.
            if (attempt > 0) return items::result::failure("DatabaseError", e.what());
            try {
                connect();
            } catch (const std::exception& e2) {
                return items::result::failure("DatabaseError",
                                              std::string("reconnect failed: ") + e2.what());
            }
        } catch (const std::exception& e) {
            return items::result::failure("DatabaseError", e.what());
        }
    }
}

}  // namespace items_libpqxx
