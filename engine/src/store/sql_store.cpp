#include "store/sql_store.h"

#include <algorithm>

#include "store/migrations.h"
#include "store/row_mapping.h"
#include "store/sql_transaction.h"
#include "store/store_error.h"

namespace storeflow::store::internal {
namespace {

// How long a caller waits for a free session or the SQLite writer lock before
// getting kUnavailable (a stuck transaction, or a thread waiting on itself).
constexpr std::chrono::milliseconds kWaitLimit(30'000);

std::string ClaimSql(const Dialect& d, int limit) {
  const std::string pick = ClaimablePick("id", limit) + std::string(d.claim_lock_clause);
  return "UPDATE runs SET status = 'running', lease_owner = ?, lease_until = ?, updated_at = ?"
         " WHERE " +
         d.IdInSubquery(pick) + " RETURNING " + kRunColumns;
}

std::string NextUnleasedSql() {
  return "SELECT due_at FROM runs WHERE due_at IS NOT NULL AND lease_until IS NULL"
         " AND status NOT IN (" +
         TerminalStatusList() + ") ORDER BY due_at LIMIT 1";
}

// A leased run becomes claimable when its lease has expired (lease_until < now).
std::string NextExpiredSql() {
  return "SELECT MIN(CASE WHEN due_at > lease_until THEN due_at ELSE lease_until + 1 END)"
         " FROM runs WHERE lease_until IS NOT NULL AND due_at IS NOT NULL"
         " AND status NOT IN (" +
         TerminalStatusList() + ")";
}

std::string ExtendSql(const Dialect& d) {
  return "UPDATE runs SET lease_until = ? WHERE lease_owner = ? AND " + std::string(d.id_in_list) +
         " RETURNING id";
}

}  // namespace

SqlStore::SqlStore(Parts parts)
    : dialect_(*parts.dialect),
      display_url_(std::move(parts.display_url)),
      secret_(std::move(parts.secret)),
      read_only_(parts.read_only),
      file_lock_(std::move(parts.file_lock)),
      pool_(std::move(parts.factory), parts.pool_size, kWaitLimit),
      next_unleased_sql_(NextUnleasedSql()),
      next_expired_sql_(NextExpiredSql()),
      extend_sql_(ExtendSql(dialect_)) {}

SqlStore::~SqlStore() = default;

void SqlStore::Migrate(bool apply) {
  if (read_only_) {
    auto conn = pool_.Acquire();
    CheckSchemaForReading(*conn, dialect_, display_url_);
    installation_id_ = ReadInstallationId(*conn, display_url_);
    return;
  }
  auto lock = LockWriter();
  auto conn = pool_.Acquire();
  MigrateOrCheck(*conn, dialect_, apply, display_url_);
  installation_id_ = ReadInstallationId(*conn, display_url_);
}

void SqlStore::StartListener(const std::string& conninfo, const std::string& peer) {
  listener_ = std::make_unique<PgListener>(conninfo, peer, [this] { signal_.Notify(); });
}

std::unique_lock<std::timed_mutex> SqlStore::LockWriter() {
  if (read_only_) {
    throw StoreError(
        FailedPrecondition(display_url_ +
                           " was opened read-only (beside the engine that holds it): only read "
                           "transactions (BeginRead) work on it"));
  }
  if (!dialect_.serialize_writers) return {};
  std::unique_lock lock(writer_, kWaitLimit);
  if (!lock.owns_lock()) {
    throw StoreError(Unavailable(
        "the SQLite database " + display_url_ + " stayed locked by another transaction for " +
        std::to_string(kWaitLimit.count()) +
        " ms (a thread holding a transaction may be waiting for another one)"));
  }
  return lock;
}

Result<std::unique_ptr<Transaction>> SqlStore::Begin() {
  return Guarded(secret_, "Begin", [&]() -> Result<std::unique_ptr<Transaction>> {
    auto writer = LockWriter();
    auto conn = pool_.Acquire();
    conn->Exec(std::string(dialect_.begin_sql));
    return std::unique_ptr<Transaction>(
        std::make_unique<SqlTransaction>(std::move(conn), std::move(writer), dialect_, secret_));
  });
}

Result<std::unique_ptr<Transaction>> SqlStore::BeginRead() {
  return Guarded(secret_, "BeginRead", [&]() -> Result<std::unique_ptr<Transaction>> {
    auto conn = pool_.Acquire();  // reads only: no writer lock
    conn->Exec(std::string(dialect_.begin_read_sql));
    auto tx =
        std::make_unique<SqlTransaction>(std::move(conn), std::unique_lock<std::timed_mutex>(),
                                         dialect_, secret_, /*read_only=*/true);
    // Constructed first: if this fails, its destructor rolls back and restores the session.
    if (!dialect_.read_only_sql.empty()) tx->ExecReadOnlySwitch(dialect_.read_only_sql);
    return std::unique_ptr<Transaction>(std::move(tx));
  });
}

Result<std::vector<RunRow>> SqlStore::ClaimDueRuns(const std::string& owner, TimeMs now,
                                                   TimeMs lease_until, int limit) {
  return Guarded(secret_, "ClaimDueRuns", [&]() -> Result<std::vector<RunRow>> {
    if (limit <= 0) return std::vector<RunRow>();
    auto writer = LockWriter();
    auto conn = pool_.Acquire();
    // One statement, so one implicit transaction: claimed rows are committed together.
    const auto rows = conn->Query(
        ClaimSql(dialect_, limit), kRunColumnCount,
        {TextParam(owner), IntParam(lease_until), IntParam(now), IntParam(now), IntParam(now)});
    std::vector<RunRow> out;
    out.reserve(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) out.push_back(RunFromRow(rows, r));
    std::sort(out.begin(), out.end(), [](const RunRow& a, const RunRow& b) {
      return a.due_at != b.due_at ? a.due_at < b.due_at : a.id < b.id;
    });
    return out;
  });
}

Result<std::optional<TimeMs>> SqlStore::NextDueAt() {
  return Guarded(secret_, "NextDueAt", [&]() -> Result<std::optional<TimeMs>> {
    auto conn = pool_.Acquire();  // reads only: no writer lock
    std::optional<TimeMs> next;
    const auto unleased = conn->Query(next_unleased_sql_, 1, SqlParams());
    if (!unleased.empty()) next = unleased.OptInt(0, 0);
    const auto expired = conn->Query(next_expired_sql_, 1, SqlParams());
    if (const auto at = expired.OptInt(0, 0); at && (!next || *at < *next)) next = at;
    return next;
  });
}

Result<int> SqlStore::ExtendLeases(const std::string& owner,
                                   const std::vector<std::int64_t>& run_ids, TimeMs until) {
  return Guarded(secret_, "ExtendLeases", [&]() -> Result<int> {
    if (run_ids.empty()) return 0;
    auto writer = LockWriter();
    auto conn = pool_.Acquire();
    const auto rows =
        conn->Query(extend_sql_, 1,
                    {IntParam(until), TextParam(owner), TextParam(dialect_.FormatIdList(run_ids))});
    return static_cast<int>(rows.size());
  });
}

void SqlStore::Notify() {
  signal_.Notify();
  if (listener_) listener_->Publish();
}

bool SqlStore::WaitForWork(std::chrono::milliseconds timeout) {
  return signal_.Wait(timeout);
}

Result<int> SqlStore::SchemaVersion() {
  return Guarded(secret_, "SchemaVersion", [&]() -> Result<int> {
    auto conn = pool_.Acquire();
    return ReadSchemaVersion(*conn, dialect_);
  });
}

}  // namespace storeflow::store::internal
