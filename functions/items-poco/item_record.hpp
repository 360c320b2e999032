// The ActiveRecord mapping class for `items`, written by hand as POCO's ActiveRecord code
// generator (poco-arc) would have generated it from an XML description of the table: the
// record class (columns(), table(), find(), accessors) and Poco::Data::TypeHandler<Item> that
// binds/extracts its non-key columns. Values are extracted as the text PostgreSQL sends
// (POCO's PostgreSQL connector uses text results) and typed exactly via items-common.
#pragma once

#include <Poco/ActiveRecord/ActiveRecord.h>
#include <Poco/ActiveRecord/Context.h>
#include <Poco/Data/TypeHandler.h>

#include <string>
#include <vector>

#include "items.hpp"

namespace items_poco {

class Item : public Poco::ActiveRecord::ActiveRecord<std::string> {
  public:
    using Ptr = Poco::AutoPtr<Item>;

    Item() = default;
    explicit Item(ID id) : Poco::ActiveRecord::ActiveRecord<std::string>(id) {}
    Item(const Item& other)
        : Poco::ActiveRecord::ActiveRecord<std::string>(other),
          name_(other.name_),
          price_(other.price_),
          created_at_(other.created_at_) {}
    ~Item() = default;

    const std::string& name() const { return name_; }
    const std::string& price() const { return price_; }            // numeric as text
    const std::string& created_at() const { return created_at_; }  // timestamptz as text
    Item& name(const std::string& v) {
        name_ = v;
        return *this;
    }
    Item& price(const std::string& v) {
        price_ = v;
        return *this;
    }
    Item& created_at(const std::string& v) {
        created_at_ = v;
        return *this;
    }

    items::item to_item() const {
        return {id(), name_, items::parse_numeric_cents(price_),
                items::parse_timestamptz_us(created_at_)};
    }

    static Ptr find(Poco::ActiveRecord::Context::Ptr pContext, const ID& id);

    // The read-only use case needs no writes; the generator's versions would INSERT/UPDATE/DELETE.
    void insert() override { throw Poco::NotImplementedException("items are read-only"); }
    void update() override { throw Poco::NotImplementedException("items are read-only"); }
    void remove() override { throw Poco::NotImplementedException("items are read-only"); }

    static const std::vector<std::string>& columns();
    static const std::string& table();

  private:
    std::string name_;
    std::string price_;
    std::string created_at_;

    friend class Poco::Data::TypeHandler<Item>;
};

}  // namespace items_poco

namespace Poco::Data {

template <>
class TypeHandler<items_poco::Item> {
  public:
    static std::size_t size() { return 3; }  // the id is extracted by ActiveRecord itself

    static void bind(std::size_t pos, const items_poco::Item& ar, AbstractBinder::Ptr pBinder,
                     AbstractBinder::Direction dir) {
        TypeHandler<std::string>::bind(pos++, ar.name_, pBinder, dir);
        TypeHandler<std::string>::bind(pos++, ar.price_, pBinder, dir);
        TypeHandler<std::string>::bind(pos++, ar.created_at_, pBinder, dir);
    }

    static void extract(std::size_t pos, items_poco::Item& ar, const items_poco::Item& deflt,
                        AbstractExtractor::Ptr pExtr) {
        TypeHandler<std::string>::extract(pos++, ar.name_, deflt.name_, pExtr);
        TypeHandler<std::string>::extract(pos++, ar.price_, deflt.price_, pExtr);
        TypeHandler<std::string>::extract(pos++, ar.created_at_, deflt.created_at_, pExtr);
    }

    static void prepare(std::size_t pos, const items_poco::Item& ar,
                        AbstractPreparator::Ptr pPrep) {
        TypeHandler<std::string>::prepare(pos++, ar.name_, pPrep);
        TypeHandler<std::string>::prepare(pos++, ar.price_, pPrep);
        TypeHandler<std::string>::prepare(pos++, ar.created_at_, pPrep);
    }
};

}  // namespace Poco::Data
