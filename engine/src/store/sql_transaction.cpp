#include "store/sql_transaction.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>
#include <Poco/StreamCopier.h>

#include "store/row_mapping.h"
#include "store/sql_text.h"
#include "store/store_error.h"

namespace storeflow::store::internal {
namespace {

std::string Select(const char* columns, const char* rest) {
  return std::string("SELECT ") + columns + " " + rest;
}

void CheckLimit(int limit) {
  if (limit <= 0) {
    throw StoreError(InvalidArgument("limit must be positive (got " + std::to_string(limit) + ")"));
  }
}

const std::string& PurgeEventsSql(const Dialect& dialect) {
  static const std::string kSqlite =
      "DELETE FROM events WHERE " +
      SqliteDialect().IdInSubquery(
          "SELECT id FROM events WHERE created_at < ? ORDER BY created_at LIMIT ?");
  static const std::string kPostgres =
      "DELETE FROM events WHERE " +
      PostgresDialect().IdInSubquery(
          "SELECT id FROM events WHERE created_at < ? ORDER BY created_at LIMIT ?");
  return dialect.backend == Backend::kSqlite ? kSqlite : kPostgres;
}

// A CTE `w(name)`: the workflows that have runs, one index probe each (a loose
// index scan of runs_by_workflow_status), then a NULL row; follow WITH RECURSIVE.
constexpr std::string_view kWorkflowsWithRuns =
    "w(name) AS (SELECT MIN(workflow) FROM runs UNION ALL SELECT (SELECT MIN(workflow)"
    " FROM runs WHERE workflow > w.name) FROM w WHERE w.name IS NOT NULL)";

// Deletes up to `limit` rows of `table` (primary key `keys`) with expires_at <= now,
// soonest expired first; parameters (now, limit, now). The outer expires_at
// condition keeps a row written again meanwhile (a dedupe key claimed anew, a
// plugin key put again): PostgreSQL re-checks the row's newest version.
std::string PurgeExpiredSql(std::string_view table, std::string_view keys) {
  const std::string t(table);
  const std::string k(keys);
  return "DELETE FROM " + t + " WHERE (" + k + ") IN (SELECT " + k + " FROM " + t +
         " WHERE expires_at <= ? ORDER BY expires_at LIMIT ?) AND expires_at <= ?";
}

std::vector<std::int64_t> IdsOf(const SqlRows& rows) {
  std::vector<std::int64_t> ids;
  ids.reserve(rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) ids.push_back(rows.Int(r, 0));
  return ids;
}

}  // namespace

SqlTransaction::SqlTransaction(ConnectionPool::Handle conn,
                               std::unique_lock<std::timed_mutex> writer, const Dialect& dialect,
                               const std::string& secret, bool read_only)
    : conn_(std::move(conn)),
      writer_(std::move(writer)),
      dialect_(dialect),
      secret_(secret),
      read_only_(read_only) {}

void SqlTransaction::ExecReadOnlySwitch(std::string_view sql) {
  db().Exec(std::string(sql));
}

SqlTransaction::~SqlTransaction() {
  if (!finished_) RollbackAndRelease();
}

void SqlTransaction::RollbackAndRelease() {
  try {
    conn_->Exec("ROLLBACK");
  } catch (...) {
    conn_->MarkBroken();  // never hand out a session that may still be in a transaction
  }
  Release();
}

void SqlTransaction::Release() {
  finished_ = true;
  if (read_only_ && !dialect_.read_write_sql.empty() && conn_) {
    try {
      conn_->Exec(std::string(dialect_.read_write_sql));
    } catch (...) {
      conn_->MarkBroken();  // never hand out a session that still refuses writes
    }
  }
  conn_ = ConnectionPool::Handle();  // back to the pool
  if (writer_.owns_lock()) writer_.unlock();
}

SqlConnection& SqlTransaction::db() {
  if (finished_) {
    throw StoreError(
        FailedPrecondition("the transaction has ended (Commit was called); begin a new one"));
  }
  return *conn_;
}

Status SqlTransaction::Commit() {
  if (!finished_ && !first_error_.ok()) {
    RollbackAndRelease();
    return Aborted(
        "the transaction was rolled back, not committed: an earlier call in it failed (" +
        first_error_.ToString() + ")");
  }
  Status status = Guarded(secret_, "Commit", [&] {
    db().Exec("COMMIT");
    return Status::Ok();
  });
  if (status.ok()) {
    Release();
  } else if (!finished_) {
    RollbackAndRelease();  // a failed COMMIT leaves nothing to continue with
  }
  return status;
}

Status SqlTransaction::Savepoint() {
  return Guard("Savepoint", [&] {
    db().ExecOnce("SAVEPOINT storeflow_step");
    return Status::Ok();
  });
}

Status SqlTransaction::RollbackToSavepoint() {
  Status status = Guarded(secret_, "RollbackToSavepoint", [&] {
    db().ExecOnce("ROLLBACK TO SAVEPOINT storeflow_step");
    return Status::Ok();
  });
  if (status.ok()) first_error_ = Status::Ok();  // what failed after it is undone
  return status;
}

// --- workflow versions ---

Status SqlTransaction::PutWorkflowVersion(const WorkflowVersionRow& row) {
  return Guard("PutWorkflowVersion", [&] {
    static const std::string kSql =
        "INSERT INTO workflow_versions"
        " (hash, workflow, version, source_path, source, created_at, rules)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING";
    const Json rules = row.rules.is_object() ? row.rules : Json::object();
    db().Exec(kSql, {TextParam(row.hash), TextParam(row.workflow), IntParam(row.version),
                     TextParam(row.source_path), TextParam(row.source), IntParam(row.created_at),
                     TextParam(rules.dump())});
    return Status::Ok();
  });
}

Result<std::optional<WorkflowVersionRow>> SqlTransaction::GetWorkflowVersion(
    const std::string& hash) {
  return Guard("GetWorkflowVersion", [&]() -> Result<std::optional<WorkflowVersionRow>> {
    static const std::string kSql =
        Select(kWorkflowVersionColumns, "FROM workflow_versions WHERE hash = ?");
    const auto rows = db().Query(kSql, kWorkflowVersionColumnCount, {TextParam(hash)});
    if (rows.empty()) return std::optional<WorkflowVersionRow>();
    return std::optional(WorkflowVersionFromRow(rows, 0));
  });
}

Result<std::vector<WorkflowVersionRow>> SqlTransaction::ListWorkflowVersions(
    const std::string& workflow) {
  return Guard("ListWorkflowVersions", [&]() -> Result<std::vector<WorkflowVersionRow>> {
    static const std::string kSql =
        Select(kWorkflowVersionColumns,
               "FROM workflow_versions WHERE workflow = ? ORDER BY created_at DESC, hash");
    const auto rows = db().Query(kSql, kWorkflowVersionColumnCount, {TextParam(workflow)});
    std::vector<WorkflowVersionRow> out;
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(WorkflowVersionFromRow(rows, r));
    return out;
  });
}

// --- events ---

Result<std::optional<std::int64_t>> SqlTransaction::InsertEvent(const EventRow& row) {
  return Guard("InsertEvent", [&]() -> Result<std::optional<std::int64_t>> {
    static const std::string kSql =
        "INSERT INTO events (topic, source, dedup_key, replay_key, payload, meta, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id";
    const auto rows =
        db().Query(kSql, 1,
                   {TextParam(row.topic), TextParam(row.source), TextParam(row.dedup_key),
                    TextParam(row.replay_key), JsonParam(row.payload, "the event payload"),
                    JsonParam(row.meta, "the event meta"), IntParam(row.created_at)});
    if (rows.empty()) return std::optional<std::int64_t>();
    return std::optional(rows.Int(0, 0));
  });
}

namespace {

// Multi-row event inserts: one statement of exactly n rows for n up to
// kMaxEventChunk (a session prepares at most that many), more in chunks.
constexpr std::size_t kMaxEventChunk = 64;

const std::string& InsertEventsSql(std::size_t rows) {
  static const std::vector<std::string> kSql = [] {
    std::vector<std::string> out;
    std::string values;
    for (std::size_t n = 1; n <= kMaxEventChunk; ++n) {
      values += n == 1 ? "(?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?)";
      out.push_back(
          "INSERT INTO events (topic, source, dedup_key, replay_key, payload, meta, created_at)"
          " VALUES " +
          values + " ON CONFLICT DO NOTHING RETURNING id, source, dedup_key");
    }
    return out;
  }();
  return kSql[rows - 1];
}

// (source, dedup_key) as one map key.
std::string EventDedupKey(std::string_view source, std::string_view dedup_key) {
  std::string key;
  key.reserve(source.size() + 1 + dedup_key.size());
  key.append(source).push_back('\0');
  key.append(dedup_key);
  return key;
}

}  // namespace

Result<std::vector<std::optional<std::int64_t>>> SqlTransaction::InsertEvents(
    const std::vector<EventRow>& rows, const std::vector<std::string>& payload_texts) {
  return Guard("InsertEvents", [&]() -> Result<std::vector<std::optional<std::int64_t>>> {
    if (!payload_texts.empty() && payload_texts.size() != rows.size()) {
      throw StoreError(InvalidArgument("InsertEvents: " + std::to_string(payload_texts.size()) +
                                       " payload texts for " + std::to_string(rows.size()) +
                                       " events"));
    }
    std::vector<std::optional<std::int64_t>> ids(rows.size());
    // Inserts rows[first ...] (indexes in `chunk`, at most kMaxEventChunk, each
    // with a distinct dedup key or none) and maps the returned ids back by key.
    auto insert = [&](const std::vector<std::size_t>& chunk) {
      std::size_t done = 0;
      while (done < chunk.size()) {
        const std::size_t n = std::min(chunk.size() - done, kMaxEventChunk);
        SqlParams params;
        params.reserve(n * 7);
        std::unordered_map<std::string, std::size_t> by_key;
        for (std::size_t k = done; k < done + n; ++k) {
          const std::size_t i = chunk[k];
          const EventRow& row = rows[i];
          params.push_back(TextParam(row.topic));
          params.push_back(TextParam(row.source));
          params.push_back(TextParam(row.dedup_key));
          params.push_back(TextParam(row.replay_key));
          if (!payload_texts.empty() && !payload_texts[i].empty()) {
            params.push_back(TextParam(payload_texts[i]));
          } else {
            params.push_back(JsonParam(row.payload, "the event payload"));
          }
          params.push_back(JsonParam(row.meta, "the event meta"));
          params.push_back(IntParam(row.created_at));
          if (row.dedup_key) by_key.emplace(EventDedupKey(row.source, *row.dedup_key), i);
        }
        const auto returned = db().Query(InsertEventsSql(n), 3, std::move(params));
        for (std::size_t r = 0; r < returned.size(); ++r) {
          if (returned.IsNull(r, 2)) {
            // No dedup key: only in a chunk of one row, which nothing can conflict with.
            ids[chunk[done]] = returned.Int(r, 0);
            continue;
          }
          auto it = by_key.find(EventDedupKey(returned.Text(r, 1), returned.Text(r, 2)));
          if (it != by_key.end()) ids[it->second] = returned.Int(r, 0);
        }
        done += n;
      }
    };
    // In order, so ids grow with the rows: runs of keyed rows go in multi-row
    // statements; a row without a key goes on its own (nothing maps a returned
    // id back to it but its being alone). A row whose replay key an earlier row
    // of the batch has is a duplicate of it, like a repeated dedup key.
    std::unordered_set<std::string> seen;
    std::unordered_set<std::string> seen_replays;
    std::vector<std::size_t> chunk;
    chunk.reserve(std::min(rows.size(), kMaxEventChunk));
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const EventRow& row = rows[i];
      if (row.replay_key &&
          !seen_replays.insert(EventDedupKey(row.source, *row.replay_key)).second) {
        continue;
      }
      if (!row.dedup_key) {
        insert(chunk);
        chunk.clear();
        insert({i});
        continue;
      }
      // A repeat of an earlier row's key is a duplicate of it: not sent.
      if (!seen.insert(EventDedupKey(row.source, *row.dedup_key)).second) continue;
      chunk.push_back(i);
      if (chunk.size() == kMaxEventChunk) {
        insert(chunk);
        chunk.clear();
      }
    }
    insert(chunk);
    return ids;
  });
}

Result<std::optional<EventRow>> SqlTransaction::GetEvent(std::int64_t id) {
  return Guard("GetEvent", [&]() -> Result<std::optional<EventRow>> {
    static const std::string kSql = Select(kEventColumns, "FROM events WHERE id = ?");
    const auto rows = db().Query(kSql, kEventColumnCount, {IntParam(id)});
    if (rows.empty()) return std::optional<EventRow>();
    return std::optional(EventFromRow(rows, 0));
  });
}

Result<std::vector<EventRow>> SqlTransaction::ListEvents(const EventFilter& filter) {
  return Guard("ListEvents", [&]() -> Result<std::vector<EventRow>> {
    CheckLimit(filter.limit);
    std::string sql = Select(kEventColumns, "FROM events WHERE 1 = 1");
    SqlParams params;
    if (filter.topic) {
      sql += " AND topic = ?";
      params.push_back(TextParam(*filter.topic));
    }
    if (filter.source) {
      sql += " AND source = ?";
      params.push_back(TextParam(*filter.source));
    }
    if (filter.created_from) {
      sql += " AND created_at >= ?";
      params.push_back(IntParam(*filter.created_from));
    }
    if (filter.created_until) {
      sql += " AND created_at < ?";
      params.push_back(IntParam(*filter.created_until));
    }
    if (filter.before_id > 0) {
      sql += " AND id < ?";
      params.push_back(IntParam(filter.before_id));
    }
    sql += " ORDER BY id DESC LIMIT ?";
    params.push_back(IntParam(filter.limit));
    const auto rows = db().Query(sql, kEventColumnCount, std::move(params));
    std::vector<EventRow> out;
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(EventFromRow(rows, r));
    return out;
  });
}

Status SqlTransaction::InsertEventKeys(std::int64_t event_id, const std::string& topic,
                                       const std::vector<EventKeyRow>& keys, TimeMs created_at) {
  return Guard("InsertEventKeys", [&] {
    static const std::string kSql =
        "INSERT INTO event_keys (topic, expr_id, value, event_id, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    for (const auto& key : keys) {
      db().Exec(kSql, {TextParam(topic), TextParam(key.expr_id), TextParam(key.value),
                       IntParam(event_id), IntParam(created_at)});
    }
    return Status::Ok();
  });
}

Result<std::vector<std::int64_t>> SqlTransaction::FindEventsByKey(
    const std::string& topic, const std::string& expr_id, const std::string& value, TimeMs since,
    std::int64_t after_id, int limit) {
  return Guard("FindEventsByKey", [&]() -> Result<std::vector<std::int64_t>> {
    CheckLimit(limit);
    static const std::string kSql =
        "SELECT event_id FROM event_keys WHERE topic = ? AND expr_id = ? AND value = ?"
        " AND event_id > ? AND created_at >= ? ORDER BY event_id LIMIT ?";
    const auto rows = db().Query(kSql, 1,
                                 {TextParam(topic), TextParam(expr_id), TextParam(value),
                                  IntParam(after_id), IntParam(since), IntParam(limit)});
    return IdsOf(rows);
  });
}

Result<std::int64_t> SqlTransaction::PurgeEvents(TimeMs created_before, int limit) {
  return Guard("PurgeEvents", [&]() -> Result<std::int64_t> {
    CheckLimit(limit);
    AllowPurgeStatements();
    const std::string& sql = PurgeEventsSql(dialect_);
    return static_cast<std::int64_t>(db().Exec(sql, {IntParam(created_before), IntParam(limit)}));
  });
}

// --- runs ---

Result<std::int64_t> SqlTransaction::InsertRun(const RunRow& row) {
  return Guard("InsertRun", [&]() -> Result<std::int64_t> {
    static const std::string kSql =
        "INSERT INTO runs (workflow, version_hash, run_key, status, input, output, error, state,"
        " event_id, due_at, lease_owner, lease_until, created_at, updated_at, finished_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";
    const auto rows = db().Query(
        kSql, 1,
        {TextParam(row.workflow), TextParam(row.version_hash), TextParam(row.key),
         TextParam(std::string(RunStatusName(row.status))), JsonParam(row.input, "the run input"),
         NullableJsonParam(row.output, "the run output"),
         NullableJsonParam(row.error, "the run error"), JsonParam(row.state, "the run state"),
         IntParam(row.event_id), IntParam(row.due_at), TextParam(row.lease_owner),
         IntParam(row.lease_until), IntParam(row.created_at), IntParam(row.updated_at),
         IntParam(row.finished_at)});
    return rows.Int(0, 0);
  });
}

Status SqlTransaction::UpdateRun(const RunRow& row,
                                 const std::optional<std::string>& expected_lease_owner) {
  return Guard("UpdateRun", [&]() -> Status {
    static const std::string kSet =
        "UPDATE runs SET status = ?, output = ?, error = ?, state = ?, due_at = ?,"
        " lease_owner = ?, lease_until = ?, updated_at = ?, finished_at = ? WHERE id = ?";
    static const std::string kAny = kSet + " RETURNING id";
    static const std::string kLeased = kSet + " AND lease_owner = ? RETURNING id";
    SqlParams params = {TextParam(std::string(RunStatusName(row.status))),
                        NullableJsonParam(row.output, "the run output"),
                        NullableJsonParam(row.error, "the run error"),
                        JsonParam(row.state, "the run state"),
                        IntParam(row.due_at),
                        TextParam(row.lease_owner),
                        IntParam(row.lease_until),
                        IntParam(row.updated_at),
                        IntParam(row.finished_at),
                        IntParam(row.id)};
    if (expected_lease_owner) params.push_back(TextParam(*expected_lease_owner));
    const auto rows = db().Query(expected_lease_owner ? kLeased : kAny, 1, std::move(params));
    if (!rows.empty()) return Status::Ok();
    if (expected_lease_owner) {
      return Aborted("lease lost: run " + std::to_string(row.id) + " is no longer leased by '" +
                     *expected_lease_owner + "' (another engine took it over); roll back");
    }
    return NotFound("run " + std::to_string(row.id) + " does not exist");
  });
}

Result<std::vector<std::int64_t>> SqlTransaction::LockLeasedRuns(
    const std::string& lease_owner, const std::vector<std::int64_t>& run_ids) {
  return Guard("LockLeasedRuns", [&]() -> Result<std::vector<std::int64_t>> {
    std::vector<std::int64_t> out;
    if (run_ids.empty()) return out;
    // SQLite: the transaction already holds the only write lock.
    const std::string sql = "SELECT id FROM runs WHERE lease_owner = ? AND " +
                            std::string(dialect_.id_in_list) + " ORDER BY id" +
                            (dialect_.backend == Backend::kPostgresql ? " FOR UPDATE" : "");
    const auto rows =
        db().Query(sql, 1, {TextParam(lease_owner), TextParam(dialect_.FormatIdList(run_ids))});
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(rows.Int(r, 0));
    return out;
  });
}

namespace {

// "(CAST(? AS BIGINT), ...), (...)": `rows` tuples of `types` (one per column).
std::string ValuesList(std::size_t rows, const std::vector<const char*>& types) {
  std::string tuple = "(";
  for (std::size_t c = 0; c < types.size(); ++c) {
    if (c > 0) tuple += ", ";
    tuple += std::string("CAST(? AS ") + types[c] + ")";
  }
  tuple += ")";
  std::string out;
  for (std::size_t r = 0; r < rows; ++r) {
    if (r > 0) out += ", ";
    out += tuple;
  }
  return out;
}

}  // namespace

Result<std::vector<RunRow>> SqlTransaction::LockDueRuns(const std::string& owner, TimeMs now,
                                                        TimeMs lease_until, int limit) {
  return Guard("LockDueRuns", [&]() -> Result<std::vector<RunRow>> {
    CheckLimit(limit);
    // SQLite: the transaction already holds the only write lock.
    const std::string sql =
        ClaimablePick(kRunColumns, limit) + std::string(dialect_.claim_lock_clause);
    const auto rows = db().Query(sql, kRunColumnCount, {IntParam(now), IntParam(now)});
    std::vector<RunRow> out;
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      RunRow run = RunFromRow(rows, r);
      run.status = RunStatus::kRunning;
      run.lease_owner = owner;
      run.lease_until = lease_until;
      run.updated_at = now;
      out.push_back(std::move(run));
    }
    return out;
  });
}

Result<std::vector<std::int64_t>> SqlTransaction::UpdateLeasedRuns(
    const std::vector<const RunRow*>& rows, const std::string& lease_owner, LeaseCheck check) {
  return Guard("UpdateLeasedRuns", [&]() -> Result<std::vector<std::int64_t>> {
    std::vector<std::int64_t> out;
    if (rows.empty()) return out;
    // A CTE names the columns the same way on both backends (SQLite's VALUES has
    // no column aliases); n_ keeps them apart from the table's own.
    const std::string sql =
        "WITH v (n_id, n_status, n_output, n_error, n_state, n_due_at, n_lease_owner,"
        " n_lease_until, n_updated_at, n_finished_at) AS (VALUES " +
        ValuesList(rows.size(), {"BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "BIGINT", "TEXT",
                                 "BIGINT", "BIGINT", "BIGINT"}) +
        ") UPDATE runs SET status = v.n_status, output = v.n_output, error = v.n_error,"
        " state = v.n_state, due_at = v.n_due_at, lease_owner = v.n_lease_owner,"
        " lease_until = v.n_lease_until, updated_at = v.n_updated_at,"
        " finished_at = v.n_finished_at FROM v WHERE runs.id = v.n_id AND " +
        (check == LeaseCheck::kOwner ? std::string("runs.lease_owner = ?")
                                     : "runs.status NOT IN (" + TerminalStatusList() + ")") +
        " RETURNING id";
    SqlParams params;
    params.reserve(rows.size() * 10 + 1);
    for (const RunRow* run : rows) {
      const RunRow& row = *run;
      params.push_back(IntParam(row.id));
      params.push_back(TextParam(std::string(RunStatusName(row.status))));
      params.push_back(NullableJsonParam(row.output, "the run output"));
      params.push_back(NullableJsonParam(row.error, "the run error"));
      params.push_back(JsonParam(row.state, "the run state"));
      params.push_back(IntParam(row.due_at));
      params.push_back(TextParam(row.lease_owner));
      params.push_back(IntParam(row.lease_until));
      params.push_back(IntParam(row.updated_at));
      params.push_back(IntParam(row.finished_at));
    }
    if (check == LeaseCheck::kOwner) params.push_back(TextParam(lease_owner));
    const auto updated = db().Query(sql, 1, std::move(params));
    out.reserve(updated.size());
    for (std::size_t r = 0; r < updated.size(); ++r) out.push_back(updated.Int(r, 0));
    return out;
  });
}

Result<std::optional<RunRow>> SqlTransaction::GetRun(std::int64_t id) {
  return Guard("GetRun", [&]() -> Result<std::optional<RunRow>> {
    static const std::string kSql = Select(kRunColumns, "FROM runs WHERE id = ?");
    const auto rows = db().Query(kSql, kRunColumnCount, {IntParam(id)});
    if (rows.empty()) return std::optional<RunRow>();
    return std::optional(RunFromRow(rows, 0));
  });
}

Result<std::vector<RunRow>> SqlTransaction::ListRuns(const RunFilter& filter) {
  return Guard("ListRuns", [&]() -> Result<std::vector<RunRow>> {
    CheckLimit(filter.limit);
    std::string sql = Select(kRunColumns, "FROM runs WHERE 1 = 1");
    SqlParams params;
    if (filter.workflow) {
      sql += " AND workflow = ?";
      params.push_back(TextParam(*filter.workflow));
    }
    if (filter.status) {
      sql += " AND status = ?";
      params.push_back(TextParam(std::string(RunStatusName(*filter.status))));
    }
    if (filter.key) {
      sql += " AND run_key = ?";
      params.push_back(TextParam(*filter.key));
    }
    if (filter.created_from) {
      sql += " AND created_at >= ?";
      params.push_back(IntParam(*filter.created_from));
    }
    if (filter.created_until) {
      sql += " AND created_at < ?";
      params.push_back(IntParam(*filter.created_until));
    }
    if (filter.before_id > 0) {
      sql += " AND id < ?";
      params.push_back(IntParam(filter.before_id));
    }
    sql += " ORDER BY id DESC LIMIT ?";
    params.push_back(IntParam(filter.limit));
    const auto rows = db().Query(sql, kRunColumnCount, std::move(params));
    std::vector<RunRow> out;
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(RunFromRow(rows, r));
    return out;
  });
}

Result<std::map<RunStatus, std::int64_t>> SqlTransaction::CountRunsByStatus(
    const std::vector<RunStatus>& statuses) {
  return Guard("CountRunsByStatus", [&]() -> Result<std::map<RunStatus, std::int64_t>> {
    std::map<RunStatus, std::int64_t> out;
    if (statuses.empty()) return out;
    // One count per (workflow, status), each an index range of
    // runs_by_workflow_status: the cost is the runs counted, not the table. The
    // statuses are written into the text (names of RunStatus values, never input):
    // with a parameter PostgreSQL cannot tell a rare status from a common one and
    // scans the whole table for each count.
    std::string sql = "WITH RECURSIVE " + std::string(kWorkflowsWithRuns) + " SELECT w.name";
    for (RunStatus status : statuses) {
      sql += ", (SELECT COUNT(*) FROM runs r WHERE r.workflow = w.name AND r.status = '" +
             std::string(RunStatusName(status)) + "')";
    }
    sql += " FROM w WHERE w.name IS NOT NULL";
    const int columns = 1 + static_cast<int>(statuses.size());
    const auto rows = db().Query(sql, columns, {});
    for (std::size_t r = 0; r < rows.size(); ++r) {
      for (std::size_t i = 0; i < statuses.size(); ++i) {
        const std::int64_t n = rows.Int(r, static_cast<int>(i) + 1);
        if (n > 0) out[statuses[i]] += n;
      }
    }
    return out;
  });
}

void SqlTransaction::AllowPurgeStatements() {
  if (dialect_.backend != Backend::kPostgresql) return;
  db().ExecOnce("SET LOCAL statement_timeout = '10min'");  // until this transaction ends
}

std::int64_t SqlTransaction::PurgeExpired(const std::string& sql, TimeMs now, int limit) {
  CheckLimit(limit);
  AllowPurgeStatements();
  return static_cast<std::int64_t>(db().Exec(sql, {IntParam(now), IntParam(limit), IntParam(now)}));
}

std::int64_t SqlTransaction::LastRunIdCreatedBefore(TimeMs t) {
  // Two subqueries: SQLite reads MIN or MAX off the index only when alone.
  static const std::string kEnds = "SELECT (SELECT MIN(id) FROM runs), (SELECT MAX(id) FROM runs)";
  static const std::string kProbe =
      "SELECT id, created_at FROM runs WHERE id >= ? ORDER BY id LIMIT 1";
  const auto ends = db().Query(kEnds, 2, {});
  if (ends.empty() || ends.IsNull(0, 0)) return 0;
  std::int64_t lo = ends.Int(0, 0);
  std::int64_t hi = ends.Int(0, 1);
  const auto first = db().Query(kProbe, 2, {IntParam(lo)});
  if (first.empty() || first.Int(0, 1) >= t) return 0;
  // Invariant: run `lo` exists and was created before t; no run above `hi` was.
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo + 1) / 2;
    const auto probe = db().Query(kProbe, 2, {IntParam(mid)});
    if (!probe.empty() && probe.Int(0, 1) < t) {
      lo = probe.Int(0, 0);
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

Result<std::int64_t> SqlTransaction::PurgeRuns(const std::vector<RunStatus>& statuses,
                                               TimeMs finished_before, int limit) {
  return Guard("PurgeRuns", [&]() -> Result<std::int64_t> {
    CheckLimit(limit);
    if (statuses.empty()) throw StoreError(InvalidArgument("PurgeRuns needs a status"));
    std::string placeholders;
    SqlParams statuses_then_time;
    for (RunStatus status : statuses) {
      if (!IsTerminal(status)) {
        throw StoreError(InvalidArgument("PurgeRuns deletes only ended runs, not " +
                                         std::string(RunStatusName(status)) + " ones"));
      }
      placeholders += placeholders.empty() ? "?" : ", ?";
      statuses_then_time.push_back(TextParam(std::string(RunStatusName(status))));
    }
    statuses_then_time.push_back(IntParam(finished_before));

    // No index of its own: one would add an entry at every run's last write
    // (about 10% of runtime_bench on PostgreSQL). A run that finished before the
    // horizon was created before it, so only ids up to `bound` can qualify, and
    // runs_by_workflow_status (workflow, status, id) yields each workflow's ended
    // runs in id order up to it.
    AllowPurgeStatements();
    const std::int64_t bound = LastRunIdCreatedBefore(finished_before);
    if (bound == 0) return 0;
    if (dialect_.backend == Backend::kPostgresql) {
      // Plan each pick for its own workflow and status. A generic plan cannot tell
      // a status rare in a workflow from a common one, and for a rare one it walks
      // the primary key through every run up to `bound`. Until this transaction ends.
      db().ExecOnce("SET LOCAL plan_cache_mode = force_custom_plan");
    }
    static const std::string kWorkflows = "WITH RECURSIVE " + std::string(kWorkflowsWithRuns) +
                                          " SELECT name FROM w WHERE name IS NOT NULL";
    static const std::string kPick =
        "SELECT id FROM runs WHERE workflow = ? AND status = ? AND id <= ? AND finished_at < ?"
        " ORDER BY id LIMIT ?";
    const auto workflows = db().Query(kWorkflows, 1, {});
    std::vector<std::int64_t> picked;
    for (std::size_t w = 0; w < workflows.size(); ++w) {
      for (RunStatus status : statuses) {
        const int wanted = limit - static_cast<int>(picked.size());
        if (wanted <= 0) break;
        const auto rows = db().Query(
            kPick, 1,
            {TextParam(workflows.Text(w, 0)), TextParam(std::string(RunStatusName(status))),
             IntParam(bound), IntParam(finished_before), IntParam(wanted)});
        for (std::size_t r = 0; r < rows.size(); ++r) picked.push_back(rows.Int(r, 0));
      }
    }
    if (picked.empty()) return 0;

    // The DELETE repeats the condition: PostgreSQL re-checks it against the newest
    // version of a run another transaction changed meanwhile (a dead letter
    // retried), so only runs still ended and old go.
    const std::string sql = "DELETE FROM runs WHERE " + std::string(dialect_.id_in_list) +
                            " AND status IN (" + placeholders +
                            ") AND finished_at < ? RETURNING id";
    SqlParams params{TextParam(dialect_.FormatIdList(picked))};
    params.insert(params.end(), statuses_then_time.begin(), statuses_then_time.end());
    const std::vector<std::int64_t> ids = IdsOf(db().Query(sql, 1, std::move(params)));
    if (ids.empty()) return 0;
    // Steps and waits have no foreign key to runs on PostgreSQL (schema 4).
    const std::string run_in_list = dialect_.ColumnInList("run_id");
    const std::string list = dialect_.FormatIdList(ids);
    db().Exec("DELETE FROM steps WHERE " + run_in_list, {TextParam(list)});
    db().Exec("DELETE FROM waits WHERE " + run_in_list, {TextParam(list)});
    return static_cast<std::int64_t>(ids.size());
  });
}

Result<std::vector<RunRow>> SqlTransaction::ActiveRunsForKey(const std::string& workflow,
                                                             const std::string& key,
                                                             bool include_failed) {
  return Guard("ActiveRunsForKey", [&]() -> Result<std::vector<RunRow>> {
    if (dialect_.backend == Backend::kPostgresql) {
      // Admission (a new run reads the key's active runs) and release (a finished
      // run promotes the next queued one) must not interleave: under READ
      // COMMITTED each would miss the other's uncommitted row and the queued run
      // would wait forever. A transaction-scoped advisory lock on the pair
      // serialises them (SQLite's BEGIN IMMEDIATE already does).
      static const std::string kLock =
          "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtextextended(?, 0))) AS l";
      db().Query(kLock, 1, {TextParam(workflow + '\x1f' + key)});
    }
    static const std::string kSql =
        Select(kRunColumns, "FROM runs WHERE workflow = ? AND run_key = ? AND status NOT IN (") +
        TerminalStatusList() + ") ORDER BY id";
    // The same walk of (workflow, run_key, id); failed runs are terminal but hold.
    static const std::string kWithFailedSql =
        Select(kRunColumns, "FROM runs WHERE workflow = ? AND run_key = ? AND (status = '") +
        std::string(RunStatusName(RunStatus::kFailed)) + "' OR status NOT IN (" +
        TerminalStatusList() + ")) ORDER BY id";
    const auto rows = db().Query(include_failed ? kWithFailedSql : kSql, kRunColumnCount,
                                 {TextParam(workflow), TextParam(key)});
    std::vector<RunRow> out;
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(RunFromRow(rows, r));
    return out;
  });
}

// --- steps ---

namespace {

// "INSERT INTO steps ... VALUES (...), ... ON CONFLICT ... DO UPDATE": `rows` rows.
std::string UpsertStepsSql(std::size_t rows) {
  std::string sql =
      "INSERT INTO steps (run_id, step_path, seq, status, attempts, input, output, error,"
      " started_at, finished_at) VALUES ";
  for (std::size_t r = 0; r < rows; ++r) {
    sql += r > 0 ? ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  }
  sql +=
      " ON CONFLICT (run_id, step_path) DO UPDATE SET status = excluded.status,"
      " attempts = excluded.attempts, input = excluded.input, output = excluded.output,"
      " error = excluded.error, started_at = excluded.started_at,"
      " finished_at = excluded.finished_at";
  return sql;
}

// The ten parameters of one step row, in UpsertStepsSql's column order.
void AddStepParams(SqlParams& params, const StepRow& row) {
  params.push_back(IntParam(row.run_id));
  params.push_back(TextParam(row.step_path));
  params.push_back(IntParam(row.seq));
  params.push_back(TextParam(std::string(StepStatusName(row.status))));
  params.push_back(IntParam(row.attempts));
  params.push_back(NullableJsonParam(row.input, "the step input"));
  params.push_back(NullableJsonParam(row.output, "the step output"));
  params.push_back(NullableJsonParam(row.error, "the step error"));
  params.push_back(IntParam(row.started_at));
  params.push_back(IntParam(row.finished_at));
}

}  // namespace

Status SqlTransaction::UpsertStep(const StepRow& row) {
  return Guard("UpsertStep", [&] {
    static const std::string kSql = UpsertStepsSql(1);
    SqlParams params;
    params.reserve(10);
    AddStepParams(params, row);
    db().Exec(kSql, std::move(params));
    return Status::Ok();
  });
}

Status SqlTransaction::UpsertSteps(const std::vector<const StepRow*>& rows) {
  return Guard("UpsertSteps", [&] {
    if (rows.empty()) return Status::Ok();
    SqlParams params;
    params.reserve(rows.size() * 10);
    for (const StepRow* row : rows) AddStepParams(params, *row);
    db().Exec(UpsertStepsSql(rows.size()), std::move(params));
    return Status::Ok();
  });
}

Result<std::vector<StepRow>> SqlTransaction::ListSteps(std::int64_t run_id) {
  return Guard("ListSteps", [&]() -> Result<std::vector<StepRow>> {
    static const std::string kSql =
        Select(kStepColumns, "FROM steps WHERE run_id = ? ORDER BY seq, step_path");
    const auto rows = db().Query(kSql, kStepColumnCount, {IntParam(run_id)});
    std::vector<StepRow> out;
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(StepFromRow(rows, r));
    return out;
  });
}

// --- waits ---

Status SqlTransaction::PutWait(const WaitRow& row) {
  return Guard("PutWait", [&] {
    static const std::string kSql =
        "INSERT INTO waits (run_id, step_path, topic, expr_id, wait_key, after_event_id,"
        " expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (run_id) DO UPDATE SET step_path = excluded.step_path,"
        " topic = excluded.topic, expr_id = excluded.expr_id, wait_key = excluded.wait_key,"
        " after_event_id = excluded.after_event_id, expires_at = excluded.expires_at,"
        " created_at = excluded.created_at";
    db().Exec(kSql, {IntParam(row.run_id), TextParam(row.step_path), TextParam(row.topic),
                     TextParam(row.expr_id), TextParam(row.wait_key), IntParam(row.after_event_id),
                     IntParam(row.expires_at), IntParam(row.created_at)});
    return Status::Ok();
  });
}

Result<std::optional<WaitRow>> SqlTransaction::GetWait(std::int64_t run_id) {
  return Guard("GetWait", [&]() -> Result<std::optional<WaitRow>> {
    static const std::string kSql = Select(kWaitColumns, "FROM waits WHERE run_id = ?");
    const auto rows = db().Query(kSql, kWaitColumnCount, {IntParam(run_id)});
    if (rows.empty()) return std::optional<WaitRow>();
    return std::optional(WaitFromRow(rows, 0));
  });
}

Status SqlTransaction::DeleteWait(std::int64_t run_id) {
  return Guard("DeleteWait", [&] {
    db().Exec("DELETE FROM waits WHERE run_id = ?", {IntParam(run_id)});
    return Status::Ok();
  });
}

Result<std::vector<std::int64_t>> SqlTransaction::WakeWaits(const std::string& topic,
                                                            const std::string& expr_id,
                                                            const std::string& value, TimeMs now) {
  return Guard("WakeWaits", [&]() -> Result<std::vector<std::int64_t>> {
    static const std::string kSql =
        "UPDATE runs SET status = 'ready', due_at = ?, updated_at = ?"
        " WHERE status = 'waiting' AND id IN"
        " (SELECT run_id FROM waits WHERE topic = ? AND expr_id = ? AND wait_key = ?)"
        " RETURNING id";
    auto ids = IdsOf(db().Query(
        kSql, 1,
        {IntParam(now), IntParam(now), TextParam(topic), TextParam(expr_id), TextParam(value)}));
    std::sort(ids.begin(), ids.end());
    return ids;
  });
}

// --- records ---

Result<std::optional<RecordRow>> SqlTransaction::GetRecord(const std::string& collection,
                                                           const std::string& key) {
  return Guard("GetRecord", [&]() -> Result<std::optional<RecordRow>> {
    static const std::string kSql =
        Select(kRecordColumns, "FROM records WHERE collection = ? AND record_key = ?");
    const auto rows = db().Query(kSql, kRecordColumnCount, {TextParam(collection), TextParam(key)});
    if (rows.empty()) return std::optional<RecordRow>();
    return std::optional(RecordFromRow(rows, 0));
  });
}

Result<std::int64_t> SqlTransaction::PutRecord(const std::string& collection,
                                               const std::string& key, const Json& value,
                                               TimeMs now) {
  return Guard("PutRecord", [&]() -> Result<std::int64_t> {
    static const std::string kSql =
        "INSERT INTO records (collection, record_key, value, revision, updated_at)"
        " VALUES (?, ?, ?, 1, ?) ON CONFLICT (collection, record_key) DO UPDATE SET"
        " value = excluded.value, revision = records.revision + 1,"
        " updated_at = excluded.updated_at RETURNING revision";
    const auto rows = db().Query(kSql, 1,
                                 {TextParam(collection), TextParam(key),
                                  JsonParam(value, "the record value"), IntParam(now)});
    return rows.Int(0, 0);
  });
}

Result<std::optional<std::int64_t>> SqlTransaction::PutRecordIfNewer(const std::string& collection,
                                                                     const std::string& key,
                                                                     const Json& value,
                                                                     std::int64_t version,
                                                                     TimeMs now) {
  return Guard("PutRecordIfNewer", [&]() -> Result<std::optional<std::int64_t>> {
    // One statement: the condition is checked on the row the upsert locks, so
    // two concurrent fenced writes of one record cannot both win.
    static const std::string kSql =
        "INSERT INTO records (collection, record_key, value, revision, updated_at, version)"
        " VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (collection, record_key) DO UPDATE SET"
        " value = excluded.value, revision = records.revision + 1,"
        " updated_at = excluded.updated_at, version = excluded.version"
        " WHERE records.version IS NULL OR records.version < excluded.version"
        " RETURNING revision";
    const auto rows =
        db().Query(kSql, 1,
                   {TextParam(collection), TextParam(key), JsonParam(value, "the record value"),
                    IntParam(now), IntParam(version)});
    if (rows.empty()) return std::optional<std::int64_t>();
    return std::optional<std::int64_t>(rows.Int(0, 0));
  });
}

Result<bool> SqlTransaction::DeleteRecord(const std::string& collection, const std::string& key) {
  return Guard("DeleteRecord", [&]() -> Result<bool> {
    static const std::string kSql =
        "DELETE FROM records WHERE collection = ? AND record_key = ? RETURNING revision";
    return !db().Query(kSql, 1, {TextParam(collection), TextParam(key)}).empty();
  });
}

Result<std::vector<RecordRow>> SqlTransaction::ListRecords(const std::string& collection,
                                                           const std::string& prefix,
                                                           const std::string& after_key, int limit,
                                                           KeyOrder order) {
  return Guard("ListRecords", [&]() -> Result<std::vector<RecordRow>> {
    CheckLimit(limit);
    // A key range, so the primary key index serves it (read backwards for a
    // descending order): [max(prefix, after), bound), or [prefix, min(bound, after)).
    std::string sql = Select(kRecordColumns, "FROM records WHERE collection = ?");
    SqlParams params = {TextParam(collection)};
    if (!prefix.empty()) {
      sql += " AND record_key >= ?";
      params.push_back(TextParam(prefix));
      if (auto bound = PrefixUpperBound(prefix)) {
        sql += " AND record_key < ?";
        params.push_back(TextParam(std::move(*bound)));
      }
    }
    const bool descending = order == KeyOrder::kDescending;
    if (!after_key.empty()) {
      sql += descending ? " AND record_key < ?" : " AND record_key > ?";
      params.push_back(TextParam(after_key));
    }
    sql += descending ? " ORDER BY record_key DESC LIMIT ?" : " ORDER BY record_key LIMIT ?";
    params.push_back(IntParam(limit));
    const auto rows = db().Query(sql, kRecordColumnCount, std::move(params));
    std::vector<RecordRow> out;
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      RecordRow row = RecordFromRow(rows, r);
      // Only a prefix that is not UTF-8 can need this (its bound is approximate).
      if (row.key.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(row));
    }
    return out;
  });
}

Result<RecordCount> SqlTransaction::CountRecords(const std::string& collection,
                                                 const std::string& prefix,
                                                 std::optional<std::int64_t> version_min,
                                                 std::optional<std::int64_t> version_max) {
  return Guard("CountRecords", [&]() -> Result<RecordCount> {
    std::string where = " FROM records WHERE collection = ?";
    SqlParams params = {TextParam(collection)};
    if (!prefix.empty()) {
      where += " AND record_key >= ?";
      params.push_back(TextParam(prefix));
      if (auto bound = PrefixUpperBound(prefix)) {
        where += " AND record_key < ?";
        params.push_back(TextParam(std::move(*bound)));
      }
    }
    if (version_min) {
      where += " AND version >= ?";
      params.push_back(IntParam(*version_min));
    }
    if (version_max) {
      where += " AND version < ?";
      params.push_back(IntParam(*version_max));
    }
    RecordCount out;
    const auto counted = db().Query("SELECT COUNT(*), MAX(version)" + where, 2, params);
    out.records = counted.Int(0, 0);
    out.max_version = counted.OptInt(0, 1);
    // Tombstones: the text pre-selects the candidates (values are stored as
    // compact JSON); each is then parsed, so a nested "deleted": true or the
    // words inside a string do not count.
    const auto candidates = db().Query(
        "SELECT record_key, value" + where + " AND value LIKE '%\"deleted\":true%'", 2, params);
    for (std::size_t r = 0; r < candidates.size(); ++r) {
      if (candidates.Text(r, 0).compare(0, prefix.size(), prefix) != 0) continue;
      const Json value = ParseJson(candidates, r, 1);
      if (value.is_object() && value.value("deleted", Json(false)) == Json(true)) {
        ++out.tombstones;
      }
    }
    return out;
  });
}

// --- effects ---

Result<std::optional<Json>> SqlTransaction::GetEffect(const std::string& idempotency_key) {
  return Guard("GetEffect", [&]() -> Result<std::optional<Json>> {
    static const std::string kSql = "SELECT output FROM effects WHERE idempotency_key = ?";
    const auto rows = db().Query(kSql, 1, {TextParam(idempotency_key)});
    if (rows.empty()) return std::optional<Json>();
    return std::optional(ParseJson(rows, 0, 0));
  });
}

Status SqlTransaction::RecordEffect(const std::string& idempotency_key, const Json& entry,
                                    TimeMs now) {
  return Guard("RecordEffect", [&] {
    static const std::string kSql =
        "INSERT INTO effects (idempotency_key, output, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (idempotency_key) DO UPDATE SET output = excluded.output,"
        " created_at = excluded.created_at";
    db().Exec(kSql,
              {TextParam(idempotency_key), JsonParam(entry, "the effect entry"), IntParam(now)});
    return Status::Ok();
  });
}

Result<std::int64_t> SqlTransaction::PurgeEffects(TimeMs created_before, int limit) {
  return Guard("PurgeEffects", [&]() -> Result<std::int64_t> {
    CheckLimit(limit);
    static const std::string kOldest =
        "SELECT idempotency_key FROM effects WHERE created_at < ? ORDER BY created_at LIMIT ?";
    static const std::string kSqlite =
        "DELETE FROM effects WHERE idempotency_key IN (" + kOldest + ")";
    static const std::string kPostgres =
        "DELETE FROM effects WHERE idempotency_key = ANY(ARRAY(" + kOldest + "))";
    return static_cast<std::int64_t>(
        db().Exec(dialect_.backend == Backend::kSqlite ? kSqlite : kPostgres,
                  {IntParam(created_before), IntParam(limit)}));
  });
}

// --- dedupe ---

Result<bool> SqlTransaction::ClaimDedupe(const std::string& workflow, const std::string& key,
                                         TimeMs now, TimeMs expires_at) {
  return Guard("ClaimDedupe", [&]() -> Result<bool> {
    static const std::string kSql =
        "INSERT INTO dedupe (workflow, dedupe_key, expires_at, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (workflow, dedupe_key) DO UPDATE SET expires_at = excluded.expires_at,"
        " created_at = excluded.created_at WHERE dedupe.expires_at <= ? RETURNING expires_at";
    return !db().Query(kSql, 1,
                       {TextParam(workflow), TextParam(key), IntParam(expires_at), IntParam(now),
                        IntParam(now)})
                .empty();
  });
}

Result<std::int64_t> SqlTransaction::PurgeDedupe(TimeMs now, int limit) {
  return Guard("PurgeDedupe", [&]() -> Result<std::int64_t> {
    static const std::string kSql = PurgeExpiredSql("dedupe", "workflow, dedupe_key");
    return PurgeExpired(kSql, now, limit);
  });
}

// --- schedules ---

Status SqlTransaction::UpsertSchedule(const ScheduleRow& row) {
  return Guard("UpsertSchedule", [&] {
    static const std::string kSql =
        "INSERT INTO schedules (workflow, trigger_index, cron, timezone, next_due_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (workflow, trigger_index) DO UPDATE SET"
        " next_due_at = CASE WHEN schedules.cron = excluded.cron"
        " AND schedules.timezone = excluded.timezone THEN schedules.next_due_at"
        " ELSE excluded.next_due_at END, cron = excluded.cron, timezone = excluded.timezone";
    db().Exec(kSql, {TextParam(row.workflow), IntParam(row.trigger_index), TextParam(row.cron),
                     TextParam(row.timezone), IntParam(row.next_due_at)});
    return Status::Ok();
  });
}

Result<std::vector<ScheduleRow>> SqlTransaction::DueSchedules(TimeMs now, int limit) {
  return Guard("DueSchedules", [&]() -> Result<std::vector<ScheduleRow>> {
    CheckLimit(limit);
    static const std::string kSql =
        Select(kScheduleColumns,
               "FROM schedules WHERE next_due_at <= ?"
               " ORDER BY next_due_at, workflow, trigger_index LIMIT ?");
    const auto rows = db().Query(kSql, kScheduleColumnCount, {IntParam(now), IntParam(limit)});
    std::vector<ScheduleRow> out;
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(ScheduleFromRow(rows, r));
    return out;
  });
}

Result<bool> SqlTransaction::AdvanceSchedule(const std::string& workflow,
                                             std::int64_t trigger_index, TimeMs expected,
                                             TimeMs next) {
  return Guard("AdvanceSchedule", [&]() -> Result<bool> {
    // Compare-and-set: of several engines advancing the same due time, one wins.
    static const std::string kSql =
        "UPDATE schedules SET next_due_at = ? WHERE workflow = ? AND trigger_index = ?"
        " AND next_due_at = ? RETURNING next_due_at";
    return !db().Query(kSql, 1,
                       {IntParam(next), TextParam(workflow), IntParam(trigger_index),
                        IntParam(expected)})
                .empty();
  });
}

Result<std::vector<ScheduleRow>> SqlTransaction::ListSchedules() {
  return Guard("ListSchedules", [&]() -> Result<std::vector<ScheduleRow>> {
    static const std::string kSql =
        Select(kScheduleColumns, "FROM schedules ORDER BY workflow, trigger_index");
    const auto rows = db().Query(kSql, kScheduleColumnCount, SqlParams());
    std::vector<ScheduleRow> out;
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(ScheduleFromRow(rows, r));
    return out;
  });
}

Result<bool> SqlTransaction::DeleteSchedule(const std::string& workflow,
                                            std::int64_t trigger_index) {
  return Guard("DeleteSchedule", [&]() -> Result<bool> {
    static const std::string kSql =
        "DELETE FROM schedules WHERE workflow = ? AND trigger_index = ? RETURNING trigger_index";
    return !db().Query(kSql, 1, {TextParam(workflow), IntParam(trigger_index)}).empty();
  });
}

// --- plugin key/value spaces ---

namespace {

std::string ToBase64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << bytes;
  encoder.close();
  return out.str();
}

std::string FromBase64(const std::string& text) {
  std::istringstream in(text);
  Poco::Base64Decoder decoder(in);
  std::string bytes;
  Poco::StreamCopier::copyToString(decoder, bytes);
  return bytes;
}

}  // namespace

Result<std::optional<std::string>> SqlTransaction::KvGet(const std::string& plugin,
                                                         const std::string& key, TimeMs now) {
  return Guard("KvGet", [&]() -> Result<std::optional<std::string>> {
    static const std::string kSql =
        "SELECT value FROM plugin_kv WHERE plugin = ? AND kv_key = ?"
        " AND (expires_at IS NULL OR expires_at > ?)";
    const auto rows = db().Query(kSql, 1, {TextParam(plugin), TextParam(key), IntParam(now)});
    if (rows.empty()) return std::optional<std::string>();
    try {
      return std::optional<std::string>(FromBase64(rows.Text(0, 0)));
    } catch (const Poco::Exception& e) {
      return Internal("plugin_kv " + plugin + "/" + key +
                      " holds a malformed value: " + e.displayText());
    }
  });
}

Status SqlTransaction::KvPut(const std::string& plugin, const std::string& key,
                             const std::string& value, std::optional<TimeMs> expires_at,
                             TimeMs now) {
  return Guard("KvPut", [&] {
    static const std::string kSql =
        "INSERT INTO plugin_kv (plugin, kv_key, value, expires_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (plugin, kv_key) DO UPDATE SET"
        " value = excluded.value, expires_at = excluded.expires_at,"
        " updated_at = excluded.updated_at";
    db().Exec(kSql, {TextParam(plugin), TextParam(key), TextParam(ToBase64(value)),
                     IntParam(expires_at), IntParam(now)});
    return Status::Ok();
  });
}

Result<bool> SqlTransaction::KvDelete(const std::string& plugin, const std::string& key,
                                      TimeMs now) {
  return Guard("KvDelete", [&]() -> Result<bool> {
    static const std::string kSql =
        "DELETE FROM plugin_kv WHERE plugin = ? AND kv_key = ? RETURNING expires_at";
    const auto rows = db().Query(kSql, 1, {TextParam(plugin), TextParam(key)});
    if (rows.empty()) return false;
    const auto expires_at = rows.OptInt(0, 0);
    return !expires_at || *expires_at > now;  // an expired entry was not there any more
  });
}

Result<std::int64_t> SqlTransaction::PurgeExpiredKv(TimeMs now, int limit) {
  return Guard("PurgeExpiredKv", [&]() -> Result<std::int64_t> {
    static const std::string kSql = PurgeExpiredSql("plugin_kv", "plugin, kv_key");
    return PurgeExpired(kSql, now, limit);
  });
}

// --- rate buckets ---

namespace {
constexpr double kTokenMicro = 1e6;  // tokens are stored as integer millionths
}  // namespace

Result<RateTake> SqlTransaction::TakeTokens(const std::string& name, double capacity,
                                            double refill_per_second, double cost, TimeMs now) {
  return Guard("TakeTokens", [&]() -> Result<RateTake> {
    if (!(capacity > 0) || !(cost > 0) || cost > capacity || !(refill_per_second >= 0)) {
      return InvalidArgument("rate bucket '" + name +
                             "': need capacity > 0, 0 < cost <= capacity and refill >= 0");
    }
    auto [tokens, updated] = LockBucket(name, capacity, refill_per_second, now);
    RateTake take;
    if (tokens + 1e-9 >= cost) {
      tokens = std::max(0.0, tokens - cost);
      take.taken = true;
    } else if (refill_per_second > 0) {
      take.retry_after_ms =
          static_cast<std::int64_t>(std::ceil((cost - tokens) / refill_per_second * 1000.0));
    } else {
      take.retry_after_ms = -1;
    }
    take.tokens_left = tokens;
    StoreBucket(name, tokens, std::max<TimeMs>(now, updated));
    return take;
  });
}

Result<double> SqlTransaction::AdjustTokens(const std::string& name, double capacity,
                                            double refill_per_second, double refund, double at_most,
                                            TimeMs now) {
  return Guard("AdjustTokens", [&]() -> Result<double> {
    if (!(capacity > 0) || !(refund >= 0) || !(refill_per_second >= 0) || !std::isfinite(at_most)) {
      return InvalidArgument("rate bucket '" + name +
                             "': need capacity > 0, refund >= 0 and refill >= 0");
    }
    auto [tokens, updated] = LockBucket(name, capacity, refill_per_second, now);
    tokens = std::min(capacity, tokens + refund);
    if (at_most >= 0) tokens = std::min(tokens, at_most);
    StoreBucket(name, tokens, std::max<TimeMs>(now, updated));
    return tokens;
  });
}

std::pair<double, TimeMs> SqlTransaction::LockBucket(const std::string& name, double capacity,
                                                     double refill_per_second, TimeMs now) {
  static const std::string kCreate =
      "INSERT INTO rate_buckets (name, tokens_micro, updated_at) VALUES (?, ?, ?)"
      " ON CONFLICT (name) DO NOTHING";
  db().Exec(kCreate,
            {TextParam(name), IntParam(std::llround(capacity * kTokenMicro)), IntParam(now)});
  // PostgreSQL: engines using the same bucket queue on the row lock.
  static const std::string kSqlite =
      "SELECT tokens_micro, updated_at FROM rate_buckets WHERE name = ?";
  static const std::string kPostgres = kSqlite + " FOR UPDATE";
  const auto rows =
      db().Query(dialect_.backend == Backend::kSqlite ? kSqlite : kPostgres, 2, {TextParam(name)});
  if (rows.empty()) throw std::runtime_error("rate bucket '" + name + "' vanished");
  const TimeMs updated = rows.Int(0, 1);
  const double elapsed_s = static_cast<double>(std::max<TimeMs>(0, now - updated)) / 1000.0;
  const double tokens = static_cast<double>(rows.Int(0, 0)) / kTokenMicro;
  return {std::min(capacity, tokens + elapsed_s * refill_per_second), updated};
}

void SqlTransaction::StoreBucket(const std::string& name, double tokens, TimeMs updated) {
  static const std::string kUpdate =
      "UPDATE rate_buckets SET tokens_micro = ?, updated_at = ? WHERE name = ?";
  db().Exec(kUpdate,
            {IntParam(std::llround(tokens * kTokenMicro)), IntParam(updated), TextParam(name)});
}

}  // namespace storeflow::store::internal
