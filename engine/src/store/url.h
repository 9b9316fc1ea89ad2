#pragma once

// Database URLs: "sqlite:PATH", "sqlite::memory:" and
// "postgresql://user[:password]@host[:port]/db[?option=value&...]" ("postgres://"
// too). The password never appears in messages: they show display_url().

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace storeflow::store::internal {

struct SqliteTarget {
  std::string path;  // ":memory:" for an in-memory database
  bool in_memory() const { return path == ":memory:"; }
};

struct PostgresTarget {
  std::string user;
  std::string password;  // empty: none (libpq may still use ~/.pgpass)
  std::string host;
  int port = 5432;
  std::string database;
  std::vector<std::pair<std::string, std::string>> options;  // libpq keywords
};

struct StoreUrl {
  enum class Kind { kSqlite, kPostgresql };
  Kind kind = Kind::kSqlite;
  SqliteTarget sqlite;
  PostgresTarget postgres;
  std::string display;  // the URL with the password masked, for messages
};

Result<StoreUrl> ParseStoreUrl(std::string_view url);

// `url` with a password in its user part replaced by "***" (works on URLs that
// do not parse, so error messages can quote them).
std::string MaskUrlPassword(std::string_view url);

// The libpq "keyword=value ..." string for `target`, accepted by both libpq and
// Poco's PostgreSQL connector. Poco splits on spaces, so a value containing
// whitespace is refused (InvalidArgument naming the part).
Result<std::string> PostgresConnInfo(const PostgresTarget& target);

// The connection options accepted in a postgresql URL's query.
const std::vector<std::string_view>& AllowedPostgresOptions();

}  // namespace storeflow::store::internal
