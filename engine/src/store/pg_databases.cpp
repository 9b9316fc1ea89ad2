#include "store/pg_databases.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>

#include "store/pg_connection.h"
#include "store/store_error.h"
#include "store/url.h"

namespace storeflow::store {
namespace {

using internal::StoreError;

Result<internal::StoreUrl> ParsePostgresUrl(std::string_view url) {
  auto parsed = internal::ParseStoreUrl(url);
  if (!parsed.ok()) return parsed.status();
  if (parsed->kind != internal::StoreUrl::Kind::kPostgresql) {
    return InvalidArgument("'" + parsed->display + "' is not a PostgreSQL URL (postgresql://...)");
  }
  return parsed;
}

// %-escapes every byte but the unreserved ones (RFC 3986).
std::string PercentEncode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", u);
      out += escaped;
    }
  }
  return out;
}

bool IsPlainMark(std::string_view mark) {
  return !mark.empty() && mark.size() <= 200 && std::all_of(mark.begin(), mark.end(), [](char c) {
    return c >= ' ' && c <= '~' && c != '\'' && c != '\\';
  });
}

// Runs a statement that changes the server (CREATE, DROP, COMMENT), saying what
// it was for and what to do when the role may not.
void Change(internal::PgConnection& conn, const std::string& sql, const std::string& what) {
  try {
    conn.ExecOnce(sql);
  } catch (const StoreError& e) {
    const Status& failed = e.status();
    if (failed.code() != StatusCode::kInternal) throw StoreError(failed.WithContext(what));
    std::string hint;
    if (failed.message().find("SQLSTATE 42501") != std::string::npos) {
      hint =
          " (the URL's role needs the CREATEDB privilege and must own the databases it "
          "drops: ALTER ROLE ... CREATEDB, or name a role that has it)";
    } else if (failed.message().find("SQLSTATE 55006") != std::string::npos) {
      hint = " (close the sessions using it, e.g. a psql or a storeflow serve, and try again)";
    }
    throw StoreError(FailedPrecondition(what + ": " + failed.message() + hint));
  }
}

}  // namespace

std::string UrlWithoutPassword(std::string_view url) {
  return internal::MaskUrlPassword(url);
}

Result<std::string> PostgresDatabaseName(std::string_view url) {
  auto parsed = ParsePostgresUrl(url);
  if (!parsed.ok()) return parsed.status();
  return parsed->postgres.database;
}

Result<std::string> PostgresUrlWithDatabase(std::string_view url, std::string_view database) {
  auto parsed = ParsePostgresUrl(url);
  if (!parsed.ok()) return parsed.status();
  // As ParseStoreUrl reads it: scheme://authority/database[?query].
  const auto scheme_end = url.find("://") + 3;
  const auto query = url.find('?', scheme_end);
  const std::string_view rest = url.substr(scheme_end, query - scheme_end);
  std::string out(url.substr(0, scheme_end + rest.find('/') + 1));
  out += PercentEncode(database);
  if (query != std::string_view::npos) out += url.substr(query);
  return out;
}

bool IsPlainDatabaseName(std::string_view name) {
  return !name.empty() && name.size() <= 63 && !(name[0] >= '0' && name[0] <= '9') &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

Status RecreateMarkedDatabases(std::string_view url, const std::vector<std::string>& names,
                               std::string_view mark) {
  auto parsed = ParsePostgresUrl(url);
  if (!parsed.ok()) return parsed.status();
  for (const std::string& name : names) {
    if (!IsPlainDatabaseName(name)) {
      return InvalidArgument("'" + name +
                             "' is not a plain database name (1 to 63 of a-z, 0-9 and _, not "
                             "starting with a digit)");
    }
  }
  if (!IsPlainMark(mark)) {
    return InvalidArgument("a database mark is 1 to 200 printable characters without ' or \\");
  }
  const internal::PostgresTarget& target = parsed->postgres;
  auto conninfo = internal::PostgresConnInfo(target);
  if (!conninfo.ok()) return conninfo.status().WithContext(parsed->display);
  const std::string server = parsed->display;
  return internal::Guarded(target.password, "RecreateMarkedDatabases", [&]() -> Status {
    internal::PgConnection conn(*conninfo, server, target.session);
    std::vector<bool> exists(names.size(), false);
    for (std::size_t i = 0; i < names.size(); ++i) {
      const internal::SqlRows rows = conn.Query(
          "SELECT COALESCE(shobj_description(oid, 'pg_database'), '') FROM pg_database "
          "WHERE datname = ?",
          1, {internal::TextParam(names[i])});
      if (rows.empty()) continue;
      if (rows.Text(0, 0) != mark) {
        return FailedPrecondition("database " + names[i] + " on " + server +
                                  " already exists and was not made here (its comment is not '" +
                                  std::string(mark) + "'): left as it is");
      }
      exists[i] = true;
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string quoted = "\"" + names[i] + "\"";
      if (exists[i]) {
        Change(conn, "DROP DATABASE " + quoted, "dropping database " + names[i] + " on " + server);
      }
      Change(conn, "CREATE DATABASE " + quoted, "creating database " + names[i] + " on " + server);
      Change(conn, "COMMENT ON DATABASE " + quoted + " IS '" + std::string(mark) + "'",
             "marking database " + names[i] + " on " + server);
    }
    return Status::Ok();
  });
}

}  // namespace storeflow::store
