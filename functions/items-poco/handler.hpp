// items over POCO Data (PostgreSQL connector) with ActiveRecord, POCO's ORM.
#pragma once

#include <Poco/ActiveRecord/Context.h>

#include <string>
#include <string_view>

#include "items.hpp"

namespace items_poco {

class handler {
  public:
    explicit handler(const std::string& conninfo);  // connects; throws
    handler(const handler&) = delete;
    handler& operator=(const handler&) = delete;
    ~handler();

    items::result handle(std::string_view event);

  private:
    void connect();
    std::string conninfo_;
    Poco::ActiveRecord::Context::Ptr context_;
};

}  // namespace items_poco
