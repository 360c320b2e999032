// main() of every items function: connect during init (billed as Init Duration, reused while
// warm), then serve events. `Handler` is constructed from the connection string and has
// `items::result handle(std::string_view event)`.
#pragma once

#include <exception>
#include <lambench/runtime.hpp>
#include <memory>
#include <string>

#include "items.hpp"

namespace items {

template <class Handler>
int function_main() {
    std::unique_ptr<Handler> h;
    try {
        h = std::make_unique<Handler>(database_url());
    } catch (const std::exception& e) {
        return lambench::runtime::init_error(std::string("cannot connect to the database: ") +
                                             e.what());
    }
    return lambench::runtime::run([&h](const lambench::runtime::invocation& inv) {
        result r = h->handle(inv.payload);
        return r.ok ? lambench::runtime::response::success(std::move(r.body))
                    : lambench::runtime::response::failure(std::move(r.body),
                                                           std::move(r.error_type));
    });
}

}  // namespace items
