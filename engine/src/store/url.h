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
  // Server settings of every session (SET at connect): statement_timeout and
  // idle_in_transaction_session_timeout, the defaults of DefaultSessionSettings
  // unless the URL's query sets them.
  std::vector<std::pair<std::string, std::string>> session;
};

// The session settings a URL does not set: statement_timeout 30s (a stuck
// statement fails instead of holding a request), idle_in_transaction_session_timeout
// 60s (a transaction left open by a stalled engine frees its locks).
const std::vector<std::pair<std::string, std::string>>& DefaultSessionSettings();

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
// whitespace is refused (InvalidArgument naming the part). Options the URL does
// not set get these defaults: connect_timeout=10, keepalives=1,
// keepalives_idle=30, keepalives_interval=10, keepalives_count=3,
// tcp_user_timeout=30000 (ms: unacknowledged data fails the connection, so a
// dead server is noticed in about 30 s, not ~15 min of TCP retransmissions),
// application_name=storeflow, and sslmode=prefer unless PGSSLMODE is set.
Result<std::string> PostgresConnInfo(const PostgresTarget& target);

// The connection options accepted in a postgresql URL's query (libpq keywords
// and the session settings).
const std::vector<std::string_view>& AllowedPostgresOptions();

}  // namespace storeflow::store::internal
