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

    items::result handle(std::string_view event);
    PGconn* connection() const { return conn_; }  // for tests and the benchmark

  private:
    void connect();
    std::string conninfo_;
    PGconn* conn_ = nullptr;
};

}  // namespace items_libpq
