// Opening a SQLite store: one engine process per file (FileLock), WAL journal,
// synchronous=FULL, foreign keys on, writers serialised in process.

#include "store/backends.h"
#include "store/sql_store.h"
#include "store/sqlite_connection.h"
#include "store/store_error.h"

namespace storeflow::store::internal {
namespace {

std::unique_ptr<SqlConnection> OpenSession(const std::string& path, const std::string& peer) {
  auto conn = std::make_unique<SqliteConnection>(path, peer);
  // Waits on a lock held by another connection (the sqlite3 shell, a backup)
  // instead of failing at once; in-process writers queue on SqlStore's lock.
  conn->Query("PRAGMA busy_timeout = 10000", 1, SqlParams());
  conn->ExecOnce("PRAGMA foreign_keys = ON");
  // FULL: every commit is on disk before it returns, so an acknowledged event
  // survives a power loss, not only a process crash (NORMAL would risk the last
  // commits). Group commit keeps the fsync count low.
  conn->ExecOnce("PRAGMA synchronous = FULL");
  return conn;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const StoreUrl& url, const OpenOptions& options) {
  const std::string path = url.sqlite.path;
  const bool in_memory = url.sqlite.in_memory();
  const std::string peer = "SQLite database " + path;

  SqlStore::Parts parts;
  if (!in_memory) {
    auto lock = FileLock::Acquire(path);
    if (!lock.ok()) return lock.status();
    parts.file_lock = std::move(lock).value();
  }
  parts.dialect = &SqliteDialect();
  parts.display_url = url.display;
  parts.factory = [path, peer] { return OpenSession(path, peer); };
  // Each session of ":memory:" would be a database of its own: use exactly one.
  parts.pool_size = in_memory ? 1 : options.pool_size;
  auto store = std::make_unique<SqlStore>(std::move(parts));

  return Guarded("", "Open", [&]() -> Result<std::unique_ptr<Store>> {
    if (!in_memory) {
      auto conn = store->pool().Acquire();
      const auto rows = conn->Query("PRAGMA journal_mode = WAL", 1, SqlParams());
      const std::string mode = rows.empty() ? "" : rows.Text(0, 0);
      if (mode != "wal") {
        return FailedPrecondition("cannot switch " + peer + " to WAL journal mode (it stays in '" +
                                  mode + "' mode; is the file on a network file system?)");
      }
    }
    store->Migrate(options.migrate);
    return std::unique_ptr<Store>(std::move(store));
  });
}

}  // namespace storeflow::store::internal
