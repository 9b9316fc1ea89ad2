#pragma once

// Versioned schema migrations. The SQL lives in migrations/<backend>/NNNN_name.sql
// and is compiled into the binary (CMake generates migrations_embedded.cpp), so a
// running engine never reads the source tree.

#include <span>
#include <string>

#include "store/dialect.h"

namespace storeflow::store::internal {

class SqlConnection;

struct Migration {
  int version;       // 1, 2, 3... without gaps; the same list for every backend
  const char* name;  // "init"
  const char* sql;   // statements separated by ';'
};

// Defined in the generated migrations_embedded.cpp.
std::span<const Migration> EmbeddedMigrations(Backend backend);
extern const char kStoreflowVersion[];

int LatestSchemaVersion();

// Brings the database on `conn` to the latest schema version in one transaction
// (PostgreSQL: under an advisory lock, so engines starting together don't race),
// or with `apply` false only checks that it is there. A database of a newer
// version is refused (FailedPrecondition naming `display_url`). Throws StoreError.
void MigrateOrCheck(SqlConnection& conn, const Dialect& dialect, bool apply,
                    const std::string& display_url);

// For a store opened read-only beside the engine that holds it: the database must
// have exactly this build's schema version, since nothing may migrate it here.
// Otherwise FailedPrecondition naming `display_url`, both versions and what to
// do (use the engine's own storeflow; or stop it and run `storeflow migrate`).
// Throws StoreError.
void CheckSchemaForReading(SqlConnection& conn, const Dialect& dialect,
                           const std::string& display_url);

// The schema version recorded in the database (0 when it has none). Throws.
int ReadSchemaVersion(SqlConnection& conn, const Dialect& dialect);

// The installation id made by migration 3 (table `installation`). Throws
// StoreError: kFailedPrecondition naming `display_url` when the row is missing.
std::string ReadInstallationId(SqlConnection& conn, const std::string& display_url);

}  // namespace storeflow::store::internal
