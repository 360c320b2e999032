// items over SOCI with the PostgreSQL backend linked directly (no dlopen of a backend).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "items.hpp"

namespace items_soci {

class handler {
  public:
    explicit handler(const std::string& conninfo);  // connects and prepares; throws
    handler(const handler&) = delete;
    handler& operator=(const handler&) = delete;
    ~handler();

    items::result handle(std::string_view event);

  private:
    struct state;
    void connect();
    std::string conninfo_;
    std::unique_ptr<state> s_;
};

}  // namespace items_soci
