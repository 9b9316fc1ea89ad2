#include "store/migrations.h"

#include <chrono>
#include <cstdint>

#include "store/sql_connection.h"
#include "store/sql_text.h"
#include "store/store_error.h"

namespace storeflow::store::internal {
namespace {

constexpr const char* kSchemaTableDdl =
    "CREATE TABLE storeflow_schema ("
    " version INTEGER PRIMARY KEY,"     // the migration number
    " applied_at BIGINT NOT NULL,"      // ms since the epoch, wall clock of the migrating engine
    " storeflow_version TEXT NOT NULL"  // the storeflow release that applied it
    ")";

// pg_advisory_xact_lock key ("storeflo" in ASCII): serialises engines that start
// together on one PostgreSQL database.
constexpr std::int64_t kMigrationLockKey = 0x73746f7265666c6f;

bool SchemaTableExists(SqlConnection& conn, const Dialect& dialect) {
  static const std::string kSqlite =
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'storeflow_schema'";
  static const std::string kPostgres =
      "SELECT count(*) FROM information_schema.tables"
      " WHERE table_schema = current_schema() AND table_name = 'storeflow_schema'";
  const auto rows =
      conn.Query(dialect.backend == Backend::kSqlite ? kSqlite : kPostgres, 1, SqlParams());
  return rows.Int(0, 0) > 0;
}

[[noreturn]] void RefuseNewer(const std::string& display_url, int version, int latest) {
  throw StoreError(
      FailedPrecondition("database " + display_url + " has schema version " +
                         std::to_string(version) + "; this storeflow knows versions up to " +
                         std::to_string(latest) + " — upgrade storeflow or use another database"));
}

std::int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Apply(SqlConnection& conn, const Dialect& dialect, const std::string& display_url) {
  const int latest = LatestSchemaVersion();
  if (dialect.backend == Backend::kPostgresql) {
    // No statement_timeout in this transaction: waiting for another engine's
    // migration, and a migration itself, may take longer than a request may.
    conn.ExecOnce("SET LOCAL statement_timeout = 0");
    conn.Query("SELECT pg_advisory_xact_lock(?)", 1, {IntParam(kMigrationLockKey)});
  }
  if (!SchemaTableExists(conn, dialect)) conn.ExecOnce(kSchemaTableDdl);
  const int version = ReadSchemaVersion(conn, dialect);
  if (version > latest) RefuseNewer(display_url, version, latest);
  for (const Migration& m : EmbeddedMigrations(dialect.backend)) {
    if (m.version <= version) continue;
    try {
      for (const std::string& statement : SplitSqlStatements(m.sql)) conn.ExecOnce(statement);
    } catch (const StoreError& e) {
      throw StoreError(e.status().WithContext("migration " + std::to_string(m.version) + " (" +
                                              m.name + ") on " + display_url + " failed"));
    }
    conn.Exec(
        "INSERT INTO storeflow_schema (version, applied_at, storeflow_version) VALUES (?, ?, ?)",
        {IntParam(m.version), IntParam(WallClockMs()), TextParam(std::string(kStoreflowVersion))});
  }
}

}  // namespace

int LatestSchemaVersion() {
  const auto list = EmbeddedMigrations(Backend::kSqlite);
  return list.empty() ? 0 : list.back().version;
}

int ReadSchemaVersion(SqlConnection& conn, const Dialect& dialect) {
  if (!SchemaTableExists(conn, dialect)) return 0;
  const auto rows =
      conn.Query("SELECT COALESCE(MAX(version), 0) FROM storeflow_schema", 1, SqlParams());
  return static_cast<int>(rows.Int(0, 0));
}

std::string ReadInstallationId(SqlConnection& conn, const std::string& display_url) {
  const auto rows = conn.Query("SELECT id FROM installation WHERE singleton = ?", 1, {IntParam(1)});
  if (rows.empty() || rows.Text(0, 0).empty()) {
    throw StoreError(FailedPrecondition(
        "database " + display_url +
        " has no installation id (the row of table `installation` is gone); restore it from a "
        "backup: steps' idempotency keys depend on it"));
  }
  return rows.Text(0, 0);
}

void CheckSchemaForReading(SqlConnection& conn, const Dialect& dialect,
                           const std::string& display_url) {
  const int latest = LatestSchemaVersion();
  const int version = ReadSchemaVersion(conn, dialect);
  if (version > latest) {
    throw StoreError(FailedPrecondition(
        "database " + display_url + " has schema version " + std::to_string(version) +
        "; this storeflow knows versions up to " + std::to_string(latest) +
        " — read it with the storeflow that runs the engine (a newer release)"));
  }
  if (version < latest) {
    throw StoreError(FailedPrecondition(
        "database " + display_url + " has schema version " + std::to_string(version) +
        "; this storeflow needs version " + std::to_string(latest) +
        ", and it is opened read-only here (it is not migrated beside the process that holds "
        "it) — read it with the storeflow that runs the engine, or stop the engine and run "
        "`storeflow migrate`"));
  }
}

void MigrateOrCheck(SqlConnection& conn, const Dialect& dialect, bool apply,
                    const std::string& display_url) {
  const int latest = LatestSchemaVersion();
  if (!apply) {
    const int version = ReadSchemaVersion(conn, dialect);
    if (version > latest) RefuseNewer(display_url, version, latest);
    if (version < latest) {
      throw StoreError(FailedPrecondition(
          "database " + display_url + " has schema version " + std::to_string(version) +
          "; this storeflow needs version " + std::to_string(latest) +
          " — run `storeflow migrate` (or open it with migrations enabled)"));
    }
    return;
  }
  conn.Exec(std::string(dialect.begin_sql));
  try {
    Apply(conn, dialect, display_url);
    conn.Exec("COMMIT");
  } catch (...) {
    try {
      conn.Exec("ROLLBACK");
    } catch (...) {  // the original error matters more
    }
    throw;
  }
}

}  // namespace storeflow::store::internal
