#include "store/pg_connection.h"

#include <algorithm>
#include <charconv>

#include <libpq-fe.h>

#include "store/sql_text.h"
#include "store/store_error.h"

namespace storeflow::store::internal {
namespace {

// libpq's (multi-line) message on one line.
std::string OneLine(const std::string& message) {
  std::string out;
  for (const char c : message) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void IgnoreNotice(void*, const char*) {}

}  // namespace

Status PostgresConnectFailure(const std::string& peer, const std::string& reason) {
  const std::string text = OneLine(reason);
  if (text.find("connection option") != std::string::npos) {
    return InvalidArgument(peer + ": bad connection option: " + text);
  }
  for (const std::string_view refusal :
       {"authentication failed", "does not exist", "no pg_hba.conf entry", "permission denied"}) {
    if (text.find(refusal) != std::string::npos) {
      return FailedPrecondition(std::string(peer).append(" refused the connection: ").append(text));
    }
  }
  return Unavailable(peer + " unreachable: " + text);
}

PgConnection::PgConnection(const std::string& conninfo, std::string peer, const Settings& session)
    : SqlConnection(PostgresDialect(), std::move(peer)) {
  conn_ = PQconnectdb(conninfo.c_str());
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    const std::string reason = conn_ == nullptr ? "out of memory" : PQerrorMessage(conn_);
    PQfinish(conn_);
    conn_ = nullptr;
    throw StoreError(PostgresConnectFailure(peer_, reason));
  }
  PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);  // no NOTICE noise on stderr
  if (!session.empty()) ApplySettings(session);
}

void PgConnection::ApplySettings(const Settings& session) {
  // SELECT set_config($1, $2, false), ...: names and values as bound parameters.
  std::string sql = "SELECT ";
  std::vector<const char*> values;
  for (std::size_t i = 0; i < session.size(); ++i) {
    if (i > 0) sql += ", ";
    sql +=
        "set_config($" + std::to_string(2 * i + 1) + ", $" + std::to_string(2 * i + 2) + ", false)";
    values.push_back(session[i].first.c_str());
    values.push_back(session[i].second.c_str());
  }
  PGresult* result = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0);
  if (PQresultStatus(result) == PGRES_TUPLES_OK) {
    PQclear(result);
    return;
  }
  const char* primary_field = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const std::string primary =
      primary_field != nullptr ? primary_field : OneLine(PQerrorMessage(conn_));
  PQclear(result);
  const bool lost = PQstatus(conn_) != CONNECTION_OK;
  PQfinish(conn_);
  conn_ = nullptr;
  if (lost) throw StoreError(Unavailable(peer_ + " unreachable: " + primary));
  throw StoreError(InvalidArgument(peer_ + ": bad session setting: " + primary));
}

// Closing drops the session's prepared statements on the server too.
PgConnection::~PgConnection() {
  PQfinish(conn_);
}

SqlRows PgConnection::Query(const std::string& sql, int columns, SqlParams params) {
  PGresult* result = Run(sql, params);
  const int nrows = PQntuples(result);
  const int ncols = std::min(PQnfields(result), columns);
  std::vector<SqlRows::Column> out(static_cast<std::size_t>(columns));
  for (int c = 0; c < ncols; ++c) {
    auto& column = out[static_cast<std::size_t>(c)];
    column.reserve(static_cast<std::size_t>(nrows));
    for (int r = 0; r < nrows; ++r) {
      if (PQgetisnull(result, r, c) != 0) {
        column.emplace_back();
      } else {
        column.emplace_back(std::string(PQgetvalue(result, r, c),
                                        static_cast<std::size_t>(PQgetlength(result, r, c))));
      }
    }
  }
  PQclear(result);
  if (ncols < columns) {
    throw StoreError(Internal("a statement returned " + std::to_string(ncols) + " columns where " +
                              std::to_string(columns) +
                              " were expected (in: " + StatementHint(sql) + ")"));
  }
  return SqlRows(std::move(out));
}

std::size_t PgConnection::Exec(const std::string& sql, SqlParams params) {
  PGresult* result = Run(sql, params);
  std::size_t count = 0;
  if (PQresultStatus(result) == PGRES_TUPLES_OK) {
    count = static_cast<std::size_t>(PQntuples(result));
  } else {
    const char* tuples = PQcmdTuples(result);
    std::from_chars(tuples, tuples + std::char_traits<char>::length(tuples), count);
  }
  PQclear(result);
  return count;
}

void PgConnection::ExecOnce(const std::string& sql) {
  ThrowIfBroken();
  PGresult* result = PQexec(conn_, sql.c_str());
  const auto status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) Fail(result, sql);
  PQclear(result);
}

PGresult* PgConnection::Run(const std::string& sql, SqlParams& params) {
  ThrowIfBroken();
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "sf" + std::to_string(++next_statement_);
    // No parameter types: the server infers them from the statement.
    PGresult* prepared =
        PQprepare(conn_, name.c_str(), NumberPlaceholders(sql).c_str(), 0, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) Fail(prepared, sql);
    PQclear(prepared);
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  // Text parameters; integers formatted into `numbers` (reserved: no reallocation).
  std::vector<std::string> numbers;
  numbers.reserve(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  for (std::size_t i = 0; i < params.size(); ++i) {
    const SqlParam& p = params[i];
    if (p.null) continue;
    if (p.kind == SqlParam::Kind::kInt) {
      values[i] = numbers.emplace_back(std::to_string(p.int_value)).c_str();
    } else {
      values[i] = p.text_value.c_str();
    }
  }
  PGresult* result = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(params.size()),
                                    values.data(), nullptr, nullptr, 0);
  const auto status = PQresultStatus(result);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) Fail(result, sql);
  return result;
}

void PgConnection::Fail(PGresult* result, const std::string& sql) {
  const char* state_field = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* primary_field = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const std::string state = state_field != nullptr ? state_field : "";
  // Only the primary message: DETAIL can quote row values.
  const std::string primary =
      primary_field != nullptr ? primary_field : OneLine(PQerrorMessage(conn_));
  PQclear(result);

  if (state.starts_with("08") || state.starts_with("57P") || PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    throw StoreError(Unavailable(peer_ + " unreachable: " + primary));
  }
  if (state == "40001" || state == "40P01" || state == "55P03") {
    throw StoreError(Aborted("conflict with a concurrent transaction (SQLSTATE " + state +
                             "): " + primary + "; retry"));
  }
  if (state == "53300") throw StoreError(Unavailable(peer_ + " refused: " + primary));
  if (state == "57014") {  // query_canceled: statement_timeout, or a cancel request
    throw StoreError(DeadlineExceeded(
        peer_ + " cancelled a statement: " + primary +
        " (statement_timeout, set in the database URL's query, bounds every statement; in: " +
        StatementHint(sql) + ")"));
  }
  throw StoreError(Internal("SQL error" + (state.empty() ? "" : " (SQLSTATE " + state + ")") +
                            ": " + primary + " (in: " + StatementHint(sql) + ")"));
}

}  // namespace storeflow::store::internal
