#include "store/sqlite_connection.h"

#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Data/Statement.h>

#include "store/store_error.h"

namespace storeflow::store::internal {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::use;

struct SqliteConnection::Prepared {
  explicit Prepared(Poco::Data::Session& session) : statement(session) {}

  Poco::Data::Statement statement;
  std::string kinds;  // one SqlParam::Kind per placeholder
  // Bound by reference: sized once, never resized, so the addresses stay valid.
  std::vector<Poco::Nullable<Poco::Int64>> ints;
  std::vector<Poco::Nullable<std::string>> texts;
  std::vector<SqlRows::Column> columns;
};

namespace {

Poco::Data::Session OpenSession(const std::string& path, const std::string& peer) {
  try {
    return {"SQLite", path};
  } catch (const Poco::Exception& e) {
    throw StoreError(FailedPrecondition("cannot open " + peer + ": " + e.message()));
  }
}

}  // namespace

SqliteConnection::SqliteConnection(const std::string& path, std::string peer)
    : SqlConnection(SqliteDialect(), std::move(peer)), session_(OpenSession(path, peer_)) {}

SqliteConnection::~SqliteConnection() {
  try {
    statements_.clear();  // finalize every sqlite3_stmt before closing the file
    session_.close();
  } catch (...) {  // nothing useful to do about a failing close
  }
}

SqlRows SqliteConnection::Query(const std::string& sql, int columns, SqlParams params) {
  SqlRows rows;
  Run(sql, columns, params, &rows);
  return rows;
}

std::size_t SqliteConnection::Exec(const std::string& sql, SqlParams params) {
  return Run(sql, 0, params, nullptr);
}

void SqliteConnection::ExecOnce(const std::string& sql) {
  ThrowIfBroken();
  try {
    Poco::Data::Statement statement(session_);
    statement << sql;
    statement.execute();
  } catch (const std::exception& e) {
    Fail(e, sql);
  }
}

SqliteConnection::Prepared& SqliteConnection::Lookup(const std::string& sql,
                                                     const SqlParams& params, int columns) {
  std::string kinds;
  kinds.reserve(params.size());
  for (const auto& p : params) kinds += static_cast<char>(p.kind);

  auto it = statements_.find(sql);
  if (it != statements_.end() && it->second->kinds == kinds &&
      it->second->columns.size() == static_cast<std::size_t>(columns)) {
    return *it->second;
  }
  auto prepared = std::make_unique<Prepared>(session_);
  prepared->kinds = std::move(kinds);
  prepared->ints.resize(params.size());
  prepared->texts.resize(params.size());
  prepared->columns.resize(static_cast<std::size_t>(columns));
  Poco::Data::Statement& st = prepared->statement;
  st << sql;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].kind == SqlParam::Kind::kInt) {
      st, use(prepared->ints[i]);
    } else {
      st, use(prepared->texts[i]);
    }
  }
  for (auto& column : prepared->columns) st, into(column);
  auto& slot = statements_[sql];
  slot = std::move(prepared);
  return *slot;
}

std::size_t SqliteConnection::Run(const std::string& sql, int columns, SqlParams& params,
                                  SqlRows* rows) {
  ThrowIfBroken();
  try {
    Prepared& p = Lookup(sql, params, columns);
    for (std::size_t i = 0; i < params.size(); ++i) {
      SqlParam& param = params[i];
      if (param.kind == SqlParam::Kind::kInt) {
        if (param.null) {
          p.ints[i].clear();
        } else {
          p.ints[i] = static_cast<Poco::Int64>(param.int_value);
        }
      } else if (param.null) {
        p.texts[i].clear();
      } else {
        p.texts[i] = std::move(param.text_value);
      }
    }
    for (auto& column : p.columns) column.clear();
    const std::size_t count = p.statement.execute();
    for (auto& text : p.texts) text.clear();  // don't keep payloads alive between calls
    if (rows != nullptr) {
      std::vector<SqlRows::Column> out(p.columns.size());
      // Move each column's contents; the vectors themselves stay bound to the statement.
      for (std::size_t c = 0; c < out.size(); ++c) out[c] = std::move(p.columns[c]);
      *rows = SqlRows(std::move(out));
    }
    return count;
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& e) {
    // A statement that threw is left mid-execution by Poco: prepare it anew next time.
    statements_.erase(sql);
    Fail(e, sql);
  }
}

void SqliteConnection::Fail(const std::exception& e, const std::string& sql) {
  const auto* poco = dynamic_cast<const Poco::Exception*>(&e);
  const std::string message = FirstLine(poco != nullptr ? poco->message() : e.what());
  using namespace Poco::Data::SQLite;  // NOLINT(google-build-using-namespace): exception names
  if (dynamic_cast<const DBLockedException*>(&e) != nullptr ||
      dynamic_cast<const TableLockedException*>(&e) != nullptr) {
    throw StoreError(Aborted(peer_ + " is locked by another connection: " + message + "; retry"));
  }
  if (dynamic_cast<const IOErrorException*>(&e) != nullptr ||
      dynamic_cast<const CantOpenDBFileException*>(&e) != nullptr ||
      dynamic_cast<const DatabaseFullException*>(&e) != nullptr ||
      dynamic_cast<const ReadOnlyException*>(&e) != nullptr) {
    throw StoreError(Unavailable(peer_ + ": " + message));
  }
  throw StoreError(Internal("SQL error: " + message + " (in: " + StatementHint(sql) + ")"));
}

}  // namespace storeflow::store::internal
