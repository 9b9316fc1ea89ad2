#pragma once

// A PostgreSQL session on libpq: statements are prepared once per session
// (PQprepare) and executed with text parameters (PQexecPrepared), one round trip
// each. Poco 1.11's PostgreSQL connector is not used: a re-executed statement
// that fails double-frees its previous result, a failed or lost connection leaks
// its PGconn, and an unreused statement costs four round trips (see
// docs/architecture.md, "Why PostgreSQL goes through libpq").

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/sql_connection.h"

struct pg_conn;
struct pg_result;

namespace storeflow::store::internal {

class PgConnection final : public SqlConnection {
 public:
  using Settings = std::vector<std::pair<std::string, std::string>>;

  // Connects with `conninfo` (libpq keyword=value), then sets the server
  // settings `session` (name, value) for the session, in one round trip.
  // Throws StoreError: kUnavailable when the server can't be reached,
  // kFailedPrecondition when it refuses (authentication, missing database),
  // kInvalidArgument for a bad option or setting.
  PgConnection(const std::string& conninfo, std::string peer, const Settings& session = {});
  ~PgConnection() override;

  SqlRows Query(const std::string& sql, int columns, SqlParams params) override;
  std::size_t Exec(const std::string& sql, SqlParams params = {}) override;
  void ExecOnce(const std::string& sql) override;

 private:
  void ApplySettings(const Settings& session);                // throws
  pg_result* Run(const std::string& sql, SqlParams& params);  // an OK result; throws
  [[noreturn]] void Fail(pg_result* result, const std::string& sql);

  pg_conn* conn_ = nullptr;
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
  int next_statement_ = 0;
};

// The Status for a failed connection attempt with libpq's `reason`.
Status PostgresConnectFailure(const std::string& peer, const std::string& reason);

}  // namespace storeflow::store::internal
