#include "handler.hpp"

#include <Poco/ActiveRecord/Query.h>
#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include <mutex>
#include <stdexcept>
#include <variant>
#include <vector>

#include "item_record.hpp"

namespace items_poco {

// ---- the generated part of the record class ------------------------------------------------

const std::vector<std::string>& Item::columns() {
    static const std::vector<std::string> cols = {"id", "name", "price", "created_at"};
    return cols;
}

const std::string& Item::table() {
    static const std::string t = "items";
    return t;
}

Item::Ptr Item::find(Poco::ActiveRecord::Context::Ptr pContext, const ID& id) {
    using namespace Poco::Data::Keywords;
    Poco::ActiveRecord::StatementPlaceholderProvider::Ptr pSPP(
        pContext->statementPlaceholderProvider());
    Item::Ptr pObject(new Item);
    ID key = id;
    // ::uuid: the connector binds strings as text, and uuid = text has no operator.
    pContext->session() << "SELECT id, name, price, created_at FROM items WHERE id = "
                        << pSPP->next() << "::uuid",
        into(pObject->mutableID()), into(*pObject), bind(key), now;
    return withContext(pObject, pContext);
}

// ---- the function ----------------------------------------------------------------------------

namespace {

// POCO's connector parses key=value connection strings itself (no postgresql:// URLs).
std::string keyword_conninfo(const std::string& url) {
    items::pg_params p = items::parse_pg_url(url);
    auto quote = [](const std::string& v) {
        std::string out = "'";
        for (char c : v) {
            if (c == '\\' || c == '\'') out += '\\';
            out += c;
        }
        return out + "'";
    };
    std::string s = "host=" + quote(p.host) + " port=" + std::to_string(p.port) +
                    " dbname=" + quote(p.dbname) + " user=" + quote(p.user) +
                    " password=" + quote(p.password);
    for (const auto& [k, v] : p.options) s += " " + k + "=" + quote(v);
    return s;
}

}  // namespace

handler::handler(const std::string& url) : conninfo_(keyword_conninfo(url)) {
    static std::once_flag registered;
    std::call_once(registered, [] { Poco::Data::PostgreSQL::Connector::registerConnector(); });
    try {
        connect();
    } catch (const Poco::Exception& e) {
        throw std::runtime_error(e.displayText());  // what() alone is only the class's name
    }
}

handler::~handler() = default;

void handler::connect() {
    context_ = nullptr;
    context_ = new Poco::ActiveRecord::Context(Poco::Data::PostgreSQL::Connector::KEY, conninfo_);
}

items::result handler::handle(std::string_view event) {
    auto parsed = items::parse_event(event);
    if (auto* bad = std::get_if<items::invalid_event>(&parsed)) return items::invalid(*bad);
    const auto& req = std::get<items::request>(parsed);
    for (int attempt = 0;; ++attempt) {
        try {
            if (auto* c = std::get_if<items::by_category>(&req)) {
                // The LIMIT goes to the server: ActiveRecord's own limit() counts rows on the
                // client after fetching the whole category.
                Poco::ActiveRecord::Query<Item> query(context_);
                std::vector<Item::Ptr> found =
                    query.where("category = ?")
                        .bind(c->category)
                        .orderBy("created_at DESC LIMIT " + std::to_string(c->limit))
                        .execute();
                std::vector<items::item> rows;
                rows.reserve(found.size());
                for (const auto& p : found) rows.push_back(p->to_item());
                return items::result::success(items::items_json(rows));
            }
            const auto& id = std::get<items::by_id>(req).id;
            Item::Ptr p = Item::find(context_, id);
            if (!p) return items::not_found(id);
            return items::result::success(items::item_json(p->to_item()));
        } catch (const Poco::Exception& e) {
            bool lost = true;
            try {
                lost = !context_->session().isGood();
            } catch (...) {
            }
            if (attempt > 0 || !lost)
                return items::result::failure("DatabaseError", e.displayText());
            try {
                connect();
            } catch (const Poco::Exception& e2) {
                return items::result::failure("DatabaseError",
                                              "reconnect failed: " + e2.displayText());
            }
        } catch (const std::exception& e) {
            return items::result::failure("DatabaseError", e.what());
        }
    }
}

}  // namespace items_poco
