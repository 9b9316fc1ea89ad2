#pragma once

// The two ways Store::Open builds a store, and the one-time registration of the
// Poco::Data SQLite connector (PostgreSQL sessions are libpq connections).

#include <memory>

#include "store/store.h"
#include "store/url.h"

namespace storeflow::store::internal {

// Registers Poco's SQLite connector once (thread-safe).
void RegisterConnectors();

Result<std::unique_ptr<Store>> OpenSqliteStore(const StoreUrl& url, const OpenOptions& options);
Result<std::unique_ptr<Store>> OpenPostgresStore(const StoreUrl& url, const OpenOptions& options);

}  // namespace storeflow::store::internal
