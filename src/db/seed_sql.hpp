// The items table and its deterministic rows (docs/architecture.md, "The items use case"), as
// one SQL script: used by the embedded database and by items-libpq's setup action, which seeds
// an RDS database the same way, so both hold the same bytes. One transaction, so a table that
// exists is a table fully seeded. Header-only and dependency-free so a function can include it.
#pragma once

namespace lambench::db {

inline constexpr const char* schema_and_seed = R"SQL(
BEGIN;
CREATE TABLE items (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    category int NOT NULL,
    price numeric(10,2) NOT NULL,
    created_at timestamptz NOT NULL
);
INSERT INTO items (id, name, category, price, created_at)
SELECT md5('item-' || i)::uuid,
       'item ' || i,
       i % 50,
       ((i * 37) % 100000) / 100.0,
       timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute 1.5 second'
FROM generate_series(1, 10000) AS i;
CREATE INDEX items_category_idx ON items (category);
COMMIT;
ANALYZE items;
)SQL";

}  // namespace lambench::db
