// items over Qt 6 SQL with the QPSQL driver plugin.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "items.hpp"

namespace items_qt {

class handler {
  public:
    explicit handler(const std::string& url);  // connects and prepares; throws
    handler(const handler&) = delete;
    handler& operator=(const handler&) = delete;
    ~handler();

    items::result handle(std::string_view event);

  private:
    struct state;
    void connect();
    items::pg_params params_;
    std::string name_;  // QSqlDatabase connection name, unique per handler
    std::unique_ptr<state> s_;
};

}  // namespace items_qt
