// ECPG holds one named connection ("items") in process-global state, hence one handler at a time.
#include "handler.hpp"

#include <memory>
#include <stdexcept>
#include <variant>
#include <vector>

#include "items_ecpg.h"

namespace items_ecpg {
namespace {

items::item to_item(const items_ecpg_row& r) {
    items::item it;
    it.id = r.id;
    it.name = r.name;
    it.price_cents = items::parse_numeric_cents(r.price);
    it.created_at_us = items::parse_timestamptz_us(r.created_at);
    return it;
}

}  // namespace

handler::handler(const std::string& url) {
    items::pg_params p = items::parse_pg_url(url);
    // ECPG's target syntax: tcp:postgresql://host:port/dbname?key=value&…
    target_ = "tcp:postgresql://" + p.host + ":" + std::to_string(p.port) + "/" + p.dbname;
    char sep = '?';
    for (const auto& [k, v] : p.options) {
        target_ += sep + k + "=" + v;
        sep = '&';
    }
    user_ = p.user;
    password_ = p.password;
    connect();
}

handler::~handler() {
    items_ecpg_disconnect();
}

void handler::connect() {
    items_ecpg_disconnect();
    char err[512] = "";
    if (items_ecpg_connect(target_.c_str(), user_.c_str(), password_.c_str(), err, sizeof err) !=
        0) {
        items_ecpg_disconnect();
        throw std::runtime_error(err);
    }
}

items::result handler::handle(std::string_view event) {
    auto parsed = items::parse_event(event);
    if (auto* bad = std::get_if<items::invalid_event>(&parsed)) return items::invalid(*bad);
    const auto& req = std::get<items::request>(parsed);
    static std::unique_ptr<items_ecpg_row[]> rows(new items_ecpg_row[ITEMS_ECPG_MAX_ROWS]);
    for (int attempt = 0;; ++attempt) {
        char err[512] = "";
        int n;
        if (auto* c = std::get_if<items::by_category>(&req))
            n = items_ecpg_by_category(c->category, c->limit, rows.get(), err, sizeof err);
        else
            n = items_ecpg_by_id(std::get<items::by_id>(req).id.c_str(), rows.get(), err,
                                 sizeof err);
        if (n < 0) {
            // Validated input leaves a lost connection as the likely cause: reconnect once.
            if (attempt > 0) return items::result::failure("DatabaseError", err);
            try {
                connect();
            } catch (const std::exception& e) {
                return items::result::failure("DatabaseError",
                                              std::string("reconnect failed: ") + e.what());
            }
            continue;
        }
        try {
            if (std::holds_alternative<items::by_category>(req)) {
                std::vector<items::item> out;
                out.reserve(static_cast<size_t>(n));
                for (int i = 0; i < n; ++i) out.push_back(to_item(rows[static_cast<size_t>(i)]));
                return items::result::success(items::items_json(out));
            }
            if (n == 0) return items::not_found(std::get<items::by_id>(req).id);
            return items::result::success(items::item_json(to_item(rows[0])));
        } catch (const std::exception& e) {
            return items::result::failure("DatabaseError", e.what());
        }
    }
}

}  // namespace items_ecpg
