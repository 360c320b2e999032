// No QCoreApplication and no event loop: QtSql's PostgreSQL driver is synchronous, and plugin
// lookup works from Qt's built-in plugin path (plus <exe>/../plugins, where the bundled artifact
// ships the driver). numeric is read with QSql::HighPrecision, i.e. as the server's text, not a
// double; timestamptz would become a QDateTime, which keeps only milliseconds, so created_at is
// selected as text (ORDER BY still uses the column and its index).
#include "handler.hpp"

#include <unistd.h>

#include <QtCore/QCoreApplication>
#include <QtCore/QFileInfo>
#include <QtCore/QVariant>
#include <QtSql/QSqlDatabase>
#include <QtSql/QSqlError>
#include <QtSql/QSqlQuery>
#include <atomic>
#include <stdexcept>
#include <variant>
#include <vector>

namespace items_qt {
namespace {

constexpr const char* sql_by_category =
    "SELECT id, name, price, created_at::text FROM items WHERE category = ? ORDER BY created_at "
    "DESC LIMIT ?";
constexpr const char* sql_by_id =
    "SELECT id, name, price, created_at::text FROM items WHERE id = ?::uuid";

void add_bundled_plugin_path() {
    char exe[4096];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = '\0';
    QString dir = QFileInfo(QString::fromLocal8Bit(exe)).absolutePath() + "/../plugins";
    if (QFileInfo::exists(dir + "/sqldrivers")) QCoreApplication::addLibraryPath(dir);
}

std::string text(const QSqlError& e) {
    return e.text().toStdString();
}

}  // namespace

struct handler::state {
    QSqlDatabase db;
    QSqlQuery by_category;
    QSqlQuery by_id;
    explicit state(QSqlDatabase d) : db(std::move(d)), by_category(db), by_id(db) {}
};

handler::handler(const std::string& url) : params_(items::parse_pg_url(url)) {
    static std::atomic<int> counter{0};
    name_ = "items-" + std::to_string(counter++);
    add_bundled_plugin_path();
    connect();
}

handler::~handler() {
    s_.reset();  // queries and the handle go before the connection is removed
    QSqlDatabase::removeDatabase(QString::fromStdString(name_));
}

void handler::connect() {
    s_.reset();
    QString name = QString::fromStdString(name_);
    QSqlDatabase db = QSqlDatabase::contains(name) ? QSqlDatabase::database(name, false)
                                                   : QSqlDatabase::addDatabase("QPSQL", name);
    if (!db.isValid())
        throw std::runtime_error("the Qt PostgreSQL driver (QPSQL plugin) is not available");
    db.close();
    db.setHostName(QString::fromStdString(params_.host));
    db.setPort(params_.port);
    db.setDatabaseName(QString::fromStdString(params_.dbname));
    db.setUserName(QString::fromStdString(params_.user));
    db.setPassword(QString::fromStdString(params_.password));
    QString options;
    for (const auto& [k, v] : params_.options) {
        if (!options.isEmpty()) options += ';';
        options += QString::fromStdString(k + "=" + v);
    }
    db.setConnectOptions(options);
    if (!db.open()) throw std::runtime_error(text(db.lastError()));
    auto st = std::make_unique<state>(db);
    for (QSqlQuery* q : {&st->by_category, &st->by_id}) {
        q->setForwardOnly(true);
        q->setNumericalPrecisionPolicy(QSql::HighPrecision);
    }
    if (!st->by_category.prepare(sql_by_category))
        throw std::runtime_error(text(st->by_category.lastError()));
    if (!st->by_id.prepare(sql_by_id)) throw std::runtime_error(text(st->by_id.lastError()));
    s_ = std::move(st);
}

namespace {

items::item to_item(const QSqlQuery& q) {
    items::item it;
    it.id = q.value(0).toString().toStdString();
    it.name = q.value(1).toString().toStdString();
    it.price_cents = items::parse_numeric_cents(q.value(2).toString().toStdString());
    it.created_at_us = items::parse_timestamptz_us(q.value(3).toString().toStdString());
    return it;
}

}  // namespace

items::result handler::handle(std::string_view event) {
    auto parsed = items::parse_event(event);
    if (auto* bad = std::get_if<items::invalid_event>(&parsed)) return items::invalid(*bad);
    const auto& req = std::get<items::request>(parsed);
    for (int attempt = 0;; ++attempt) {
        const auto* c = std::get_if<items::by_category>(&req);
        QSqlQuery& q = c ? s_->by_category : s_->by_id;
        if (c) {
            q.bindValue(0, c->category);
            q.bindValue(1, c->limit);
        } else {
            q.bindValue(0, QString::fromStdString(std::get<items::by_id>(req).id));
        }
        if (!q.exec()) {
            std::string err = text(q.lastError());
            // QPSQL reports a lost connection as a statement error; when the connection is
            // bad, reconnect once.
            bool lost = q.lastError().type() == QSqlError::ConnectionError || !s_->db.isOpen() ||
                        err.find("connection") != std::string::npos ||
                        err.find("terminat") != std::string::npos;
            if (attempt > 0 || !lost) return items::result::failure("DatabaseError", err);
            try {
                connect();
            } catch (const std::exception& e) {
                return items::result::failure("DatabaseError",
                                              std::string("reconnect failed: ") + e.what());
            }
            continue;
        }
        try {
            std::vector<items::item> rows;
            while (q.next()) rows.push_back(to_item(q));
            q.finish();
            if (c) return items::result::success(items::items_json(rows));
            if (rows.empty()) return items::not_found(std::get<items::by_id>(req).id);
            return items::result::success(items::item_json(rows.front()));
        } catch (const std::exception& e) {
            return items::result::failure("DatabaseError", e.what());
        }
    }
}

}  // namespace items_qt
