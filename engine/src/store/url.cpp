#include "store/url.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <optional>

namespace storeflow::store::internal {
namespace {

constexpr std::string_view kExpected =
    "expected sqlite:PATH, sqlite::memory: or postgresql://user[:password]@host[:port]/db";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; nullopt when an escape is malformed.
std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = HexValue(text[i + 1]);
    const int lo = HexValue(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

bool IsSessionSetting(std::string_view key) {
  return key == "statement_timeout" || key == "idle_in_transaction_session_timeout";
}

// A PostgreSQL time setting: digits, then optionally ms, s, min, h or d.
bool IsServerDuration(std::string_view value) {
  std::size_t digits = 0;
  while (digits < value.size() && std::isdigit(static_cast<unsigned char>(value[digits]))) {
    ++digits;
  }
  if (digits == 0 || digits > 9) return false;
  const std::string_view unit = value.substr(digits);
  return unit.empty() || unit == "ms" || unit == "s" || unit == "min" || unit == "h" || unit == "d";
}

void SetSessionSetting(std::vector<std::pair<std::string, std::string>>& session,
                       const std::string& key, const std::string& value) {
  for (auto& [name, current] : session) {
    if (name == key) {
      current = value;
      return;
    }
  }
  session.emplace_back(key, value);
}

Status BadUrl(std::string_view url, std::string_view what) {
  std::string message = "invalid database URL '" + MaskUrlPassword(url) + "': ";
  message += what;
  return InvalidArgument(std::move(message));
}

Result<StoreUrl> ParsePostgres(std::string_view url, std::string_view rest) {
  StoreUrl out;
  out.kind = StoreUrl::Kind::kPostgresql;
  PostgresTarget& pg = out.postgres;
  pg.session = DefaultSessionSettings();

  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 == rest.size()) {
    return BadUrl(url, "the database name is missing (…@host[:port]/DATABASE)");
  }
  std::string_view authority = rest.substr(0, slash);
  const std::string_view database = rest.substr(slash + 1);

  const auto at = authority.rfind('@');
  if (at == std::string_view::npos || at == 0) {
    return BadUrl(url, "the user is missing (postgresql://USER[:password]@host/db)");
  }
  const std::string_view userinfo = authority.substr(0, at);
  const std::string_view hostport = authority.substr(at + 1);

  const auto colon = userinfo.find(':');
  const auto user = PercentDecode(userinfo.substr(0, colon));
  if (!user) return BadUrl(url, "the user has a malformed %-escape");
  if (user->empty()) return BadUrl(url, "the user is empty");
  pg.user = *user;
  if (colon != std::string_view::npos) {
    const auto password = PercentDecode(userinfo.substr(colon + 1));
    if (!password) return BadUrl(url, "the password has a malformed %-escape");
    pg.password = *password;
  }

  std::string_view host = hostport;
  std::string_view port;
  if (!hostport.empty() && hostport.front() == '[') {  // [IPv6]:port
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "the host has an unclosed '['");
    host = hostport.substr(1, close - 1);
    const std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return BadUrl(url, "unexpected text after the host's ']'");
      port = after.substr(1);
    }
  } else if (const auto c = hostport.rfind(':'); c != std::string_view::npos) {
    host = hostport.substr(0, c);
    port = hostport.substr(c + 1);
  }
  const auto decoded_host = PercentDecode(host);
  if (!decoded_host) return BadUrl(url, "the host has a malformed %-escape");
  if (decoded_host->empty()) return BadUrl(url, "the host is missing (…@HOST[:port]/db)");
  pg.host = *decoded_host;
  if (!port.empty() || hostport.ends_with(':')) {
    int value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      return BadUrl(url, "the port '" + std::string(port) + "' is not a number from 1 to 65535");
    }
    pg.port = value;
  }

  const auto decoded_db = PercentDecode(database);
  if (!decoded_db) return BadUrl(url, "the database name has a malformed %-escape");
  if (decoded_db->find('/') != std::string::npos) {
    return BadUrl(url, "the database name contains '/'");
  }
  pg.database = *decoded_db;

  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const std::string key(pair.substr(0, eq));
    const auto& allowed = AllowedPostgresOptions();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string valid;
      for (const auto name : allowed) {
        if (!valid.empty()) valid += ", ";
        valid += name;
      }
      return BadUrl(url, std::string("unknown option '")
                             .append(key)
                             .append("' (valid options: ")
                             .append(valid)
                             .append(")"));
    }
    const auto value =
        PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return BadUrl(url, "the option '" + key + "' has a malformed %-escape");
    if (IsSessionSetting(key)) {
      if (!IsServerDuration(*value)) {
        return BadUrl(url, "the option '" + key +
                               "' must be a whole number with an optional "
                               "unit (ms, s, min, h, d), e.g. 30s; 0 turns it off");
      }
      SetSessionSetting(pg.session, key, *value);
      continue;
    }
    pg.options.emplace_back(key, *value);
  }

  out.display = "postgresql://" + pg.user + (pg.password.empty() ? "" : ":***") + "@" +
                (pg.host.find(':') != std::string::npos ? "[" + pg.host + "]" : pg.host) + ":" +
                std::to_string(pg.port) + "/" + pg.database;
  return out;
}

// A libpq keyword value: backslash and single quote escaped; whitespace refused
// (Poco's connector splits its connection string on spaces).
Status AppendConnInfo(std::string& out, std::string_view keyword, std::string_view value,
                      std::string_view part) {
  if (std::any_of(value.begin(), value.end(),
                  [](unsigned char c) { return std::isspace(c) != 0; })) {
    std::string message = "the PostgreSQL ";
    message += part;
    message += " contains whitespace, which the PostgreSQL connector cannot pass";
    if (keyword == "password") message += "; put the password in ~/.pgpass or PGPASSFILE instead";
    return InvalidArgument(std::move(message));
  }
  if (value.empty()) return Status::Ok();
  if (!out.empty()) out += ' ';
  out += keyword;
  out += '=';
  for (const char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string_view>& AllowedPostgresOptions() {
  static const std::vector<std::string_view> kOptions = {
      "application_name",
      "connect_timeout",
      "idle_in_transaction_session_timeout",
      "keepalives",
      "keepalives_count",
      "keepalives_idle",
      "keepalives_interval",
      "sslcert",
      "sslkey",
      "sslmode",
      "sslrootcert",
      "statement_timeout",
      "target_session_attrs",
      "tcp_user_timeout",
  };
  return kOptions;
}

const std::vector<std::pair<std::string, std::string>>& DefaultSessionSettings() {
  static const std::vector<std::pair<std::string, std::string>> kSettings = {
      {"statement_timeout", "30s"},
      {"idle_in_transaction_session_timeout", "60s"},
  };
  return kSettings;
}

std::string MaskUrlPassword(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto authority_begin = scheme_end + 3;
  auto authority_end = url.find('/', authority_begin);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  const auto at = url.rfind('@', authority_end);
  if (at == std::string_view::npos || at < authority_begin) return std::string(url);
  const auto colon = url.find(':', authority_begin);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  std::string out(url.substr(0, colon + 1));
  out += "***";
  out += url.substr(at);
  return out;
}

Result<StoreUrl> ParseStoreUrl(std::string_view url) {
  if (url.empty()) return InvalidArgument(std::string("the database URL is empty; ") += kExpected);
  if (url.starts_with("sqlite:")) {
    StoreUrl out;
    out.kind = StoreUrl::Kind::kSqlite;
    out.sqlite.path = std::string(url.substr(7));
    if (out.sqlite.path.empty()) {
      return BadUrl(url, "the SQLite file path is missing (sqlite:PATH, or sqlite::memory:)");
    }
    out.display = std::string(url);
    return out;
  }
  for (const std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (url.starts_with(scheme)) return ParsePostgres(url, url.substr(scheme.size()));
  }
  const auto colon = url.find(':');
  if (colon == std::string_view::npos) {
    return BadUrl(url, std::string("it has no scheme; ") += kExpected);
  }
  return BadUrl(url, "unsupported scheme '" + std::string(url.substr(0, colon)) + "'; " +
                         std::string(kExpected));
}

Result<std::string> PostgresConnInfo(const PostgresTarget& target) {
  std::string out;
  STOREFLOW_RETURN_IF_ERROR(AppendConnInfo(out, "host", target.host, "host"));
  STOREFLOW_RETURN_IF_ERROR(AppendConnInfo(out, "port", std::to_string(target.port), "port"));
  STOREFLOW_RETURN_IF_ERROR(AppendConnInfo(out, "dbname", target.database, "database name"));
  STOREFLOW_RETURN_IF_ERROR(AppendConnInfo(out, "user", target.user, "user"));
  STOREFLOW_RETURN_IF_ERROR(AppendConnInfo(out, "password", target.password, "password"));
  const auto has = [&](std::string_view key) {
    return std::any_of(target.options.begin(), target.options.end(),
                       [&](const auto& option) { return option.first == key; });
  };
  for (const auto& [key, value] : target.options) {
    STOREFLOW_RETURN_IF_ERROR(AppendConnInfo(out, key, value, "option " + key));
  }
  // Fail fast on an unreachable server, notice a dead one (keepalives for an
  // idle session, tcp_user_timeout for one waiting on unacknowledged data) and
  // name the connections in pg_stat_activity.
  static constexpr std::pair<std::string_view, std::string_view> kDefaults[] = {
      {"connect_timeout", "10"},        {"keepalives", "1"},       {"keepalives_idle", "30"},
      {"keepalives_interval", "10"},    {"keepalives_count", "3"}, {"tcp_user_timeout", "30000"},
      {"application_name", "storeflow"}};
  for (const auto& [key, value] : kDefaults) {
    if (!has(key)) out.append(" ").append(key).append("=").append(value);
  }
  // TLS when the server offers it; `require` or `verify-full` in the URL (or
  // PGSSLMODE) insists on it.
  const char* env_sslmode = std::getenv("PGSSLMODE");
  if (!has("sslmode") && (env_sslmode == nullptr || *env_sslmode == '\0')) {
    out += " sslmode=prefer";
  }
  return out;
}

}  // namespace storeflow::store::internal
