// items over libpq: prepared statements, binary results.
#pragma once

#include <string>
#include <string_view>

#include "items.hpp"

typedef struct pg_conn PGconn;

namespace items_libpq {

class handler {
  public:
    explicit handler(const std::string& conninfo);  // connects and prepares; throws
    handler(const handler&) = delete;
    handler& operator=(const handler&) = delete;
    ~handler();

    // The two items events, plus {"action":"setup"}: creates and seeds the items table when it
    // does not exist (the schema and rows of the embedded database) and answers
    // {"rows":N,"seeded":true|false}. `lambench aws deploy` seeds RDS this way.
    items::result handle(std::string_view event);
    PGconn* connection() const { return conn_; }  // for tests and the benchmark

  private:
    void connect();
    bool prepare();  // false when the items table does not exist yet
    items::result setup();
    std::string conninfo_;
    PGconn* conn_ = nullptr;
    bool prepared_ = false;
};

// {"action":"setup"}, whitespace allowed around the tokens; nothing else.
bool is_setup_event(std::string_view event);

}  // namespace items_libpq
