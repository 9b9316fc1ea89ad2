#pragma once

// What differs between the SQL of the two backends, in one place. Everything else
// (statements, row mapping) is shared: statements are written with `?`
// placeholders and adapted to PostgreSQL's `$1..$n` once per prepared statement.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace storeflow::store::internal {

enum class Backend { kSqlite, kPostgresql };

struct Dialect {
  Backend backend;
  std::string_view name;  // "sqlite" | "postgresql"
  // Starts a write transaction. SQLite: BEGIN IMMEDIATE takes the write lock at
  // once, so writers queue instead of failing on a read-to-write upgrade.
  std::string_view begin_sql;
  // Starts a transaction that only reads (Store::BeginRead): it takes no write
  // lock. SQLite: a deferred BEGIN, then read_only_sql (PRAGMA query_only), undone
  // by read_write_sql when the transaction ends. PostgreSQL: BEGIN READ ONLY.
  std::string_view begin_read_sql;
  std::string_view read_only_sql;   // empty: begin_read_sql is enough
  std::string_view read_write_sql;  // undoes read_only_sql
  // Appended to the SELECT that picks runs to claim. PostgreSQL: engines skip
  // rows another engine is claiming; SQLite has a single writer anyway.
  std::string_view claim_lock_clause;
  // A condition matching `id` against one text parameter holding a list of ids
  // (formatted by FormatIdList): one prepared statement for any list length.
  std::string_view id_in_list;
  // True when writers must be serialised in process (SQLite: one writer per file).
  bool serialize_writers;

  std::string FormatIdList(const std::vector<std::int64_t>& ids) const;
  // id_in_list for another column: "run_id IN (SELECT value FROM json_each(?))".
  std::string ColumnInList(std::string_view column) const;
  // "id IN (subquery)". PostgreSQL: "id = ANY(ARRAY(subquery))", whose generic
  // plan stays an index lookup by id (IN becomes a hash join over the table).
  std::string IdInSubquery(std::string_view subquery) const;
};

const Dialect& SqliteDialect();
const Dialect& PostgresDialect();

}  // namespace storeflow::store::internal
