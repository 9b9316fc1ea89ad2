#pragma once

// One database session with its prepared statements: each statement is prepared
// once per session and re-executed with new values. Two implementations:
// SqliteConnection (Poco::Data statements) and PgConnection (libpq on the Poco
// session's connection). Not thread-safe: a session is used by one thread at a
// time (ConnectionPool hands it out). Errors are thrown as StoreError.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Nullable.h>

#include "store/dialect.h"

namespace storeflow::store::internal {

// A bound value: an integer or a text, either of which may be null.
struct SqlParam {
  enum class Kind : char { kInt = 'i', kText = 't' };
  Kind kind = Kind::kInt;
  bool null = true;
  std::int64_t int_value = 0;
  std::string text_value;
};

inline SqlParam IntParam(std::int64_t value) {
  return {SqlParam::Kind::kInt, false, value, {}};
}
inline SqlParam IntParam(const std::optional<std::int64_t>& value) {
  return value ? IntParam(*value) : SqlParam{SqlParam::Kind::kInt, true, 0, {}};
}
inline SqlParam TextParam(std::string value) {
  return {SqlParam::Kind::kText, false, 0, std::move(value)};
}
inline SqlParam TextParam(const std::optional<std::string>& value) {
  return value ? TextParam(*value) : SqlParam{SqlParam::Kind::kText, true, 0, {}};
}

using SqlParams = std::vector<SqlParam>;

// Result rows, every column as nullable text (PostgreSQL sends text; SQLite
// converts integers exactly). Accessors throw StoreError on a malformed value.
class SqlRows {
 public:
  using Column = std::vector<Poco::Nullable<std::string>>;

  SqlRows() = default;
  explicit SqlRows(std::vector<Column> columns) : columns_(std::move(columns)) {}

  std::size_t size() const { return columns_.empty() ? 0 : columns_.front().size(); }
  bool empty() const { return size() == 0; }

  bool IsNull(std::size_t row, int col) const { return cell(row, col).isNull(); }
  // The text of a non-null cell ("" when null).
  const std::string& Text(std::size_t row, int col) const;
  std::optional<std::string> OptText(std::size_t row, int col) const;
  std::int64_t Int(std::size_t row, int col) const;  // throws when null
  std::optional<std::int64_t> OptInt(std::size_t row, int col) const;

 private:
  const Poco::Nullable<std::string>& cell(std::size_t row, int col) const {
    return columns_[static_cast<std::size_t>(col)][row];
  }
  std::vector<Column> columns_;
};

class SqlConnection {
 public:
  // `peer` names the database in messages ("PostgreSQL at host:port", "SQLite
  // database PATH").
  SqlConnection(const Dialect& dialect, std::string peer)
      : dialect_(dialect), peer_(std::move(peer)) {}
  virtual ~SqlConnection() = default;
  SqlConnection(const SqlConnection&) = delete;
  SqlConnection& operator=(const SqlConnection&) = delete;

  // Runs `sql` (with `?` placeholders) returning rows of `columns` columns.
  virtual SqlRows Query(const std::string& sql, int columns, SqlParams params) = 0;
  // Runs `sql` without a result set; returns the number of rows it changed.
  virtual std::size_t Exec(const std::string& sql, SqlParams params = {}) = 0;
  // Runs `sql` once without keeping a prepared statement (DDL, settings).
  virtual void ExecOnce(const std::string& sql) = 0;

  // True after a failure that leaves the session unusable (connection lost): the
  // pool then discards it instead of reusing it.
  bool broken() const { return broken_; }
  void MarkBroken() { broken_ = true; }
  const Dialect& dialect() const { return dialect_; }
  const std::string& peer() const { return peer_; }

 protected:
  void ThrowIfBroken() const;

  const Dialect& dialect_;
  const std::string peer_;
  bool broken_ = false;
};

// A statement's first line, shortened, to say which statement failed in a
// message. It holds no values: every value is a bound parameter.
std::string StatementHint(const std::string& sql);
std::string FirstLine(std::string_view text);

}  // namespace storeflow::store::internal
