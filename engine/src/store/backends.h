#pragma once

// The two ways Store::Open builds a store, and the one-time registration of the
// Poco::Data SQLite connector (PostgreSQL sessions are libpq connections).

#include <memory>

#include "store/store.h"
#include "store/url.h"

namespace storeflow::store::internal {

// Registers Poco's SQLite connector once (thread-safe).
void RegisterConnectors();

// kReadOnly: store/read_only.h (no lock, no migration, no writes).
enum class Access { kReadWrite, kReadOnly };

Result<std::unique_ptr<Store>> OpenSqliteStore(const StoreUrl& url, const OpenOptions& options,
                                               Access access = Access::kReadWrite);
Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreUrl& url, const OpenOptions& options,
                                                 Access access = Access::kReadWrite);

}  // namespace storeflow::store::internal
