#pragma once

// Where `storeflow demo` keeps its data. By default SQLite files in its folder:
// the visit's DIR/store.db (or the --db sqlite:PATH given), each day's
// DIR/day/store.db, DIR/day-2/store.db, ... With --db postgresql://USER@HOST/NAME
// the visit and each day get an empty database of their own on that server,
// named after NAME: NAME_demo for the visit, NAME_demo_day, NAME_demo_day_2, ...
// for the days (the day's counts assume a store with nothing of the day in it).
// The demo connects to NAME only to make them, and never writes to it. Its
// databases carry a mark (their COMMENT ON DATABASE, kDemoDatabaseMark): one
// that exists with the mark is dropped and made again; one that exists without
// it is someone else's, and the demo stops before changing anything.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace storeflow::app {

inline constexpr char kDemoDatabaseMark[] =
    "made by storeflow demo; dropped and made again by the next demo run";

struct DemoDatabases {
  std::string visit;              // the visit's database URL
  std::vector<std::string> days;  // each day's database URL, in order
  // PostgreSQL: the server as --db names it without the password, and the
  // databases made for the demo (the visit's first). Empty on SQLite.
  std::string server;
  std::vector<std::string> made;
  bool postgres() const { return !made.empty(); }
};

// The databases of a demo whose --db is `db` (nullopt: SQLite in `dir`) and whose
// days play in `day_folders` (SQLite: store.db in each). PostgreSQL: makes them
// (store/pg_databases.h) before anything else runs. kInvalidArgument for a --db the
// demo cannot name its databases after (a usage error); kFailedPrecondition when
// one of its names is taken by a database it did not make, or the server refuses
// the URL or the making; kUnavailable when the server cannot be reached. Messages
// show the URL without its password and say what to do.
Result<DemoDatabases> PrepareDemoDatabases(const std::optional<std::string>& db,
                                           const std::filesystem::path& dir,
                                           const std::vector<std::filesystem::path>& day_folders);

}  // namespace storeflow::app
