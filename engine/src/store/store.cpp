#include "store/store.h"

#include <mutex>

#include <Poco/Data/SQLite/Connector.h>

#include "store/backends.h"
#include "store/migrations.h"
#include "store/url.h"

namespace storeflow::store {

namespace internal {

void RegisterConnectors() {
  static std::once_flag once;
  std::call_once(once, [] { Poco::Data::SQLite::Connector::registerConnector(); });
}

}  // namespace internal

Result<std::unique_ptr<Store>> Store::Open(const std::string& url, const OpenOptions& options) {
  auto parsed = internal::ParseStoreUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (options.pool_size < 1) {
    return InvalidArgument("pool_size must be at least 1 (got " +
                           std::to_string(options.pool_size) + ")");
  }
  internal::RegisterConnectors();
  if (parsed->kind == internal::StoreUrl::Kind::kSqlite) {
    return internal::OpenSqliteStore(*parsed, options);
  }
  return internal::OpenPostgresStore(*parsed, options);
}

int Store::LatestSchemaVersion() {
  return internal::LatestSchemaVersion();
}

}  // namespace storeflow::store
