#include "store/read_only.h"

#include "store/backends.h"
#include "store/file_lock.h"
#include "store/url.h"

namespace storeflow::store {

Result<std::unique_ptr<Store>> OpenReadOnly(const std::string& url, int pool_size) {
  auto parsed = internal::ParseStoreUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (pool_size < 1) {
    return InvalidArgument("pool_size must be at least 1 (got " + std::to_string(pool_size) + ")");
  }
  internal::RegisterConnectors();
  OpenOptions options;
  options.migrate = false;
  options.pool_size = pool_size;
  if (parsed->kind == internal::StoreUrl::Kind::kSqlite) {
    return internal::OpenSqliteStore(*parsed, options, internal::Access::kReadOnly);
  }
  return internal::OpenPostgresStore(*parsed, options, internal::Access::kReadOnly);
}

std::optional<std::string> SqliteHolder(const std::string& url) {
  auto parsed = internal::ParseStoreUrl(url);
  if (!parsed.ok() || parsed->kind != internal::StoreUrl::Kind::kSqlite ||
      parsed->sqlite.in_memory()) {
    return std::nullopt;
  }
  return internal::FileLock::Holder(parsed->sqlite.path);
}

}  // namespace storeflow::store
