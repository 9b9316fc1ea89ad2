// Opening a PostgreSQL store: a pool of sessions, migrations under an advisory
// lock, and the LISTEN thread for cross-process wake-ups.

#include "store/backends.h"
#include "store/pg_connection.h"
#include "store/sql_store.h"
#include "store/store_error.h"

namespace storeflow::store::internal {

Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreUrl& url, const OpenOptions& options,
                                                 Access access) {
  const bool read_only = access == Access::kReadOnly;
  const PostgresTarget& target = url.postgres;
  auto conninfo = PostgresConnInfo(target);
  if (!conninfo.ok()) return conninfo.status();
  const std::string peer = "PostgreSQL at " + target.host + ":" + std::to_string(target.port);

  SqlStore::Parts parts;
  parts.dialect = &PostgresDialect();
  parts.display_url = url.display;
  parts.secret = target.password;
  parts.factory = [info = *conninfo, peer,
                   session = target.session]() -> std::unique_ptr<SqlConnection> {
    return std::make_unique<PgConnection>(info, peer, session);
  };
  parts.pool_size = options.pool_size;
  parts.read_only = read_only;
  auto store = std::make_unique<SqlStore>(std::move(parts));

  return Guarded(target.password, "Open", [&]() -> Result<std::unique_ptr<Store>> {
    store->Migrate(options.migrate);  // the first session: connection errors show here
    // A read-only store makes no work, so it has nothing to be woken for.
    if (!read_only) store->StartListener(*conninfo, peer);
    return std::unique_ptr<Store>(std::move(store));
  });
}

}  // namespace storeflow::store::internal
