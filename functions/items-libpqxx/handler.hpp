// items over libpqxx: a nontransaction and prepared statements.
#pragma once

#include <memory>
#include <pqxx/connection>  // pqxx::connection is a typedef in libpqxx 6: no forward declaration
#include <string>
#include <string_view>

#include "items.hpp"

namespace items_libpqxx {

class handler {
  public:
    explicit handler(const std::string& conninfo);  // connects and prepares; throws
    handler(const handler&) = delete;
    handler& operator=(const handler&) = delete;
    ~handler();

    items::result handle(std::string_view event);

  private:
    void connect();
    std::string conninfo_;
    std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace items_libpqxx
