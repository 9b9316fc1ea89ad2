#pragma once

// Reading a database beside the process that holds it: the CLI's runs, events,
// dlq and records commands while `storeflow serve` runs on the same SQLite file.
// A SQLite file is held by one process at a time (file_lock.h); a read-only store
// takes no lock, so it neither waits for the holder nor stops it from starting.

#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "store/store.h"

namespace storeflow::store {

// Opens `url` to read only. SQLite: the file opened read-only (mode=ro), no file
// lock, no migration; each BeginRead() sees what was committed when it began (the
// holder keeps the file in WAL mode). PostgreSQL: no migration, no LISTEN. A schema
// older or newer than this build is refused (kFailedPrecondition saying what to
// do): nothing may migrate it from here. Use BeginRead(): Begin, ClaimDueRuns and
// ExtendLeases fail with kFailedPrecondition. A missing SQLite file is
// kFailedPrecondition (nothing is created); "sqlite::memory:" kInvalidArgument.
Result<std::unique_ptr<Store>> OpenReadOnly(const std::string& url, int pool_size = 2);

// The process holding the SQLite file of `url` (an engine, or a command that
// writes), as the pid it recorded ("unknown" when unreadable); nullopt when no
// process holds it, and for ":memory:", PostgreSQL and URLs that don't parse.
// Probes the lock without waiting and creates nothing.
std::optional<std::string> SqliteHolder(const std::string& url);

}  // namespace storeflow::store
