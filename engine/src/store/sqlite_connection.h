#pragma once

// A SQLite session on Poco::Data. Statements are kept per session and
// re-executed with new values bound by reference.

#include <memory>
#include <string>
#include <unordered_map>

#include <Poco/Data/Session.h>

#include "store/sql_connection.h"

namespace storeflow::store::internal {

class SqliteConnection final : public SqlConnection {
 public:
  // Opens `path` (":memory:" too). Throws StoreError(FailedPrecondition).
  SqliteConnection(const std::string& path, std::string peer);
  ~SqliteConnection() override;

  SqlRows Query(const std::string& sql, int columns, SqlParams params) override;
  std::size_t Exec(const std::string& sql, SqlParams params = {}) override;
  void ExecOnce(const std::string& sql) override;

 private:
  struct Prepared;
  Prepared& Lookup(const std::string& sql, const SqlParams& params, int columns);
  std::size_t Run(const std::string& sql, int columns, SqlParams& params, SqlRows* rows);
  [[noreturn]] void Fail(const std::exception& e, const std::string& sql);

  Poco::Data::Session session_;
  // Declared after session_: statements are finalized before the file is closed.
  std::unordered_map<std::string, std::unique_ptr<Prepared>> statements_;
};

}  // namespace storeflow::store::internal
