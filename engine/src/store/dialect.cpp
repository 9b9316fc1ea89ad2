#include "store/dialect.h"

namespace storeflow::store::internal {

std::string Dialect::FormatIdList(const std::vector<std::int64_t>& ids) const {
  // SQLite reads a JSON array (json_each); PostgreSQL an array literal.
  const bool json = backend == Backend::kSqlite;
  std::string out(json ? "[" : "{");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(ids[i]);
  }
  out += json ? "]" : "}";
  return out;
}

std::string Dialect::ColumnInList(std::string_view column) const {
  return std::string(column) + std::string(id_in_list.substr(id_in_list.find(' ')));
}

std::string Dialect::IdInSubquery(std::string_view subquery) const {
  if (backend == Backend::kSqlite) return "id IN (" + std::string(subquery) + ")";
  return "id = ANY(ARRAY(" + std::string(subquery) + "))";
}

const Dialect& SqliteDialect() {
  static const Dialect kDialect{
      .backend = Backend::kSqlite,
      .name = "sqlite",
      .begin_sql = "BEGIN IMMEDIATE",
      .begin_read_sql = "BEGIN DEFERRED",
      .read_only_sql = "PRAGMA query_only = ON",
      .read_write_sql = "PRAGMA query_only = OFF",
      .claim_lock_clause = "",
      .id_in_list = "id IN (SELECT value FROM json_each(?))",
      .serialize_writers = true,
  };
  return kDialect;
}

const Dialect& PostgresDialect() {
  static const Dialect kDialect{
      .backend = Backend::kPostgresql,
      .name = "postgresql",
      .begin_sql = "BEGIN",
      .begin_read_sql = "BEGIN READ ONLY",
      .read_only_sql = "",
      .read_write_sql = "",
      .claim_lock_clause = " FOR UPDATE SKIP LOCKED",
      .id_in_list = "id = ANY(CAST(? AS BIGINT[]))",
      .serialize_writers = false,
  };
  return kDialect;
}

}  // namespace storeflow::store::internal
