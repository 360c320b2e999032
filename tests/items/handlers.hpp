// Every items library's handler behind one interface, for tests and the benchmark. A library
// whose function is not built (its CMake could not find it) is simply absent.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "items.hpp"

#ifdef ITEMS_HAVE_LIBPQ
#include "../../functions/items-libpq/handler.hpp"
#endif
#ifdef ITEMS_HAVE_LIBPQXX
#include "../../functions/items-libpqxx/handler.hpp"
#endif
#ifdef ITEMS_HAVE_SOCI
#include "../../functions/items-soci/handler.hpp"
#endif
#ifdef ITEMS_HAVE_ECPG
#include "../../functions/items-ecpg/handler.hpp"
#endif
#ifdef ITEMS_HAVE_POCO
#include "../../functions/items-poco/handler.hpp"
#endif
#ifdef ITEMS_HAVE_QT
#include "../../functions/items-qt/handler.hpp"
#endif

namespace items_test {

struct any_handler {
    virtual ~any_handler() = default;
    virtual items::result handle(std::string_view event) = 0;
};

template <class H>
struct wrapped : any_handler {
    explicit wrapped(const std::string& url) : h(url) {}
    items::result handle(std::string_view event) override { return h.handle(event); }
    H h;
};

using factory = std::function<std::unique_ptr<any_handler>(const std::string& url)>;

inline const std::map<std::string, factory>& libraries() {
    static const std::map<std::string, factory> all = [] {
        std::map<std::string, factory> m;
#define ITEMS_ADD(name, type) \
    m[name] = [](const std::string& u) { return std::make_unique<wrapped<type>>(u); }
#ifdef ITEMS_HAVE_LIBPQ
        ITEMS_ADD("libpq", items_libpq::handler);
#endif
#ifdef ITEMS_HAVE_LIBPQXX
        ITEMS_ADD("libpqxx", items_libpqxx::handler);
#endif
#ifdef ITEMS_HAVE_SOCI
        ITEMS_ADD("soci", items_soci::handler);
#endif
#ifdef ITEMS_HAVE_ECPG
        ITEMS_ADD("ecpg", items_ecpg::handler);
#endif
#ifdef ITEMS_HAVE_POCO
        ITEMS_ADD("poco", items_poco::handler);
#endif
#ifdef ITEMS_HAVE_QT
        ITEMS_ADD("qt", items_qt::handler);
#endif
#undef ITEMS_ADD
        return m;
    }();
    return all;
}

}  // namespace items_test
