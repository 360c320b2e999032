// items over ECPG: embedded SQL precompiled at build time (items_ecpg.pgc).
#pragma once

#include <string>
#include <string_view>

#include "items.hpp"

namespace items_ecpg {

class handler {
  public:
    explicit handler(const std::string& url);  // connects; throws
    handler(const handler&) = delete;
    handler& operator=(const handler&) = delete;
    ~handler();

    items::result handle(std::string_view event);

  private:
    void connect();
    std::string target_, user_, password_;
};

}  // namespace items_ecpg
