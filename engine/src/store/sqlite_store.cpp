// Opening a SQLite store: one engine process per file (FileLock), WAL journal,
// synchronous=FULL, foreign keys on, writers serialised in process. Read-only:
// the file opened with mode=ro beside its holder, no lock, no migration.

#include <cctype>
#include <filesystem>

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

// "file:PATH?mode=ro": SQLite's URI form of opening `path` read-only (Poco opens
// with SQLITE_OPEN_URI). Every byte but unreserved ones and '/' is escaped.
std::string ReadOnlyUri(const std::string& path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = path.starts_with('/') ? "file://" : "file:";
  for (const unsigned char c : path) {
    if (std::isalnum(c) != 0 || c == '/' || c == '.' || c == '_' || c == '-' || c == '~') {
      uri += static_cast<char>(c);
    } else {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 0xF];
    }
  }
  return uri + "?mode=ro";
}

// Beside the process that holds the file (its FileLock): reads only. The engine
// keeps the file in WAL mode; each read transaction sees one committed snapshot.
Result<std::unique_ptr<Store>> OpenSqliteReadOnly(const StoreUrl& url, const OpenOptions& options) {
  const std::string path = url.sqlite.path;
  if (url.sqlite.in_memory()) {
    return InvalidArgument("sqlite::memory: cannot be opened read-only (it would be empty)");
  }
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return FailedPrecondition("cannot open SQLite database " + path +
                              " read-only: there is no such file");
  }
  const std::string peer = "SQLite database " + path + " (read-only)";
  SqlStore::Parts parts;
  parts.dialect = &SqliteDialect();
  parts.display_url = url.display;
  parts.factory = [uri = ReadOnlyUri(path), peer] { return OpenSession(uri, peer); };
  parts.pool_size = options.pool_size;
  parts.read_only = true;
  auto store = std::make_unique<SqlStore>(std::move(parts));
  return Guarded("", "Open", [&]() -> Result<std::unique_ptr<Store>> {
    store->Migrate(false);  // only checks the schema version
    return std::unique_ptr<Store>(std::move(store));
  });
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const StoreUrl& url, const OpenOptions& options,
                                               Access access) {
  if (access == Access::kReadOnly) return OpenSqliteReadOnly(url, options);
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
