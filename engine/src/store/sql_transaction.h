#pragma once

// Transaction over one pooled SQL session: the shared SQL of both backends.

#include <memory>
#include <mutex>
#include <string>

#include "store/connection_pool.h"
#include "store/dialect.h"
#include "store/store.h"
#include "store/store_error.h"

namespace storeflow::store::internal {

class SqlTransaction final : public Transaction {
 public:
  // `conn` has already run the dialect's BEGIN. `writer` is the in-process write
  // lock (SQLite) or empty; both are released when the transaction ends: at
  // Commit (whether it succeeds or not) or at destruction (rolling back).
  // `read_only`: begun by the dialect's begin_read_sql (Store::BeginRead); the
  // session's read-only switch, if any, is turned off again when it ends.
  SqlTransaction(ConnectionPool::Handle conn, std::unique_lock<std::timed_mutex> writer,
                 const Dialect& dialect, const std::string& secret, bool read_only = false);
  ~SqlTransaction() override;

  Status Commit() override;
  // Runs the dialect's read_only_sql on the session (BeginRead). Throws StoreError.
  void ExecReadOnlySwitch(std::string_view sql);
  Status Savepoint() override;
  Status RollbackToSavepoint() override;

  Status PutWorkflowVersion(const WorkflowVersionRow& row) override;
  Result<std::optional<WorkflowVersionRow>> GetWorkflowVersion(const std::string& hash) override;
  Result<std::vector<WorkflowVersionRow>> ListWorkflowVersions(
      const std::string& workflow) override;

  Result<std::optional<std::int64_t>> InsertEvent(const EventRow& row) override;
  Result<std::vector<std::optional<std::int64_t>>> InsertEvents(
      const std::vector<EventRow>& rows, const std::vector<std::string>& payload_texts) override;
  Result<std::optional<EventRow>> GetEvent(std::int64_t id) override;
  Result<std::vector<EventRow>> ListEvents(const EventFilter& filter) override;
  Status InsertEventKeys(std::int64_t event_id, const std::string& topic,
                         const std::vector<EventKeyRow>& keys, TimeMs created_at) override;
  Result<std::vector<std::int64_t>> FindEventsByKey(const std::string& topic,
                                                    const std::string& expr_id,
                                                    const std::string& value, TimeMs since,
                                                    std::int64_t after_id, int limit) override;
  Result<std::int64_t> PurgeEvents(TimeMs created_before, int limit) override;

  Result<std::int64_t> InsertRun(const RunRow& row) override;
  Status UpdateRun(const RunRow& row,
                   const std::optional<std::string>& expected_lease_owner) override;
  Result<std::vector<std::int64_t>> LockLeasedRuns(
      const std::string& lease_owner, const std::vector<std::int64_t>& run_ids) override;
  Result<std::vector<RunRow>> LockDueRuns(const std::string& owner, TimeMs now, TimeMs lease_until,
                                          int limit) override;
  Result<std::vector<std::int64_t>> UpdateLeasedRuns(const std::vector<const RunRow*>& rows,
                                                     const std::string& lease_owner,
                                                     LeaseCheck check) override;
  Result<std::optional<RunRow>> GetRun(std::int64_t id) override;
  Result<std::vector<RunRow>> ListRuns(const RunFilter& filter) override;
  Result<std::map<RunStatus, std::int64_t>> CountRunsByStatus(
      const std::vector<RunStatus>& statuses) override;
  Result<std::int64_t> PurgeRuns(const std::vector<RunStatus>& statuses, TimeMs finished_before,
                                 int limit) override;
  Result<std::vector<RunRow>> ActiveRunsForKey(const std::string& workflow, const std::string& key,
                                               bool include_failed) override;

  Status UpsertStep(const StepRow& row) override;
  Status UpsertSteps(const std::vector<const StepRow*>& rows) override;
  Result<std::vector<StepRow>> ListSteps(std::int64_t run_id) override;

  Status PutWait(const WaitRow& row) override;
  Result<std::optional<WaitRow>> GetWait(std::int64_t run_id) override;
  Status DeleteWait(std::int64_t run_id) override;
  Result<std::vector<std::int64_t>> WakeWaits(const std::string& topic, const std::string& expr_id,
                                              const std::string& value, TimeMs now) override;

  Result<std::optional<RecordRow>> GetRecord(const std::string& collection,
                                             const std::string& key) override;
  Result<std::int64_t> PutRecord(const std::string& collection, const std::string& key,
                                 const Json& value, TimeMs now) override;
  Result<std::optional<std::int64_t>> PutRecordIfNewer(const std::string& collection,
                                                       const std::string& key, const Json& value,
                                                       std::int64_t version, TimeMs now) override;
  Result<bool> DeleteRecord(const std::string& collection, const std::string& key) override;
  using Transaction::ListRecords;
  Result<std::vector<RecordRow>> ListRecords(const std::string& collection,
                                             const std::string& prefix,
                                             const std::string& after_key, int limit,
                                             KeyOrder order) override;
  Result<RecordCount> CountRecords(const std::string& collection, const std::string& prefix,
                                   std::optional<std::int64_t> version_min,
                                   std::optional<std::int64_t> version_max) override;

  Result<std::optional<Json>> GetEffect(const std::string& idempotency_key) override;
  Status RecordEffect(const std::string& idempotency_key, const Json& entry, TimeMs now) override;
  Result<std::int64_t> PurgeEffects(TimeMs created_before, int limit) override;

  Result<bool> ClaimDedupe(const std::string& workflow, const std::string& key, TimeMs now,
                           TimeMs expires_at) override;
  Result<std::int64_t> PurgeDedupe(TimeMs now, int limit) override;

  Status UpsertSchedule(const ScheduleRow& row) override;
  Result<std::vector<ScheduleRow>> DueSchedules(TimeMs now, int limit) override;
  Result<bool> AdvanceSchedule(const std::string& workflow, std::int64_t trigger_index,
                               TimeMs expected, TimeMs next) override;
  Result<std::vector<ScheduleRow>> ListSchedules() override;
  Result<bool> DeleteSchedule(const std::string& workflow, std::int64_t trigger_index) override;

  Result<std::optional<std::string>> KvGet(const std::string& plugin, const std::string& key,
                                           TimeMs now) override;
  Status KvPut(const std::string& plugin, const std::string& key, const std::string& value,
               std::optional<TimeMs> expires_at, TimeMs now) override;
  Result<bool> KvDelete(const std::string& plugin, const std::string& key, TimeMs now) override;
  Result<std::int64_t> PurgeExpiredKv(TimeMs now, int limit) override;
  Result<double> AdjustTokens(const std::string& name, double capacity, double refill_per_second,
                              double refund, double at_most, TimeMs now) override;
  Result<RateTake> TakeTokens(const std::string& name, double capacity, double refill_per_second,
                              double cost, TimeMs now) override;

 private:
  // The largest id of a run created before `t` (0: none), by binary search over
  // the primary key: run ids grow with creation time.
  std::int64_t LastRunIdCreatedBefore(TimeMs t);
  // PostgreSQL: lets this transaction's statements run up to
  // kPurgeStatementTimeout instead of the session's statement_timeout (a purge
  // of retention.batch rows may take longer than a request's statement).
  void AllowPurgeStatements();
  // Runs a statement of PurgeExpiredSql; how many rows it deleted.
  std::int64_t PurgeExpired(const std::string& sql, TimeMs now, int limit);
  // The bucket's row (created full when missing), locked on PostgreSQL: its level
  // refilled to `now` and when it was last written.
  std::pair<double, TimeMs> LockBucket(const std::string& name, double capacity,
                                       double refill_per_second, TimeMs now);
  void StoreBucket(const std::string& name, double tokens, TimeMs updated);
  // Guarded() that also remembers the first failure: such a transaction can only
  // roll back (PostgreSQL aborts it anyway; SQLite is made to behave the same).
  template <typename F>
  auto Guard(std::string_view operation, F&& body) -> decltype(body());

  SqlConnection& db();  // throws FailedPrecondition once the transaction has ended
  void RollbackAndRelease();
  void Release();  // returns the session and the writer lock; the transaction has ended

  ConnectionPool::Handle conn_;
  std::unique_lock<std::timed_mutex> writer_;
  const Dialect& dialect_;
  const std::string& secret_;
  bool finished_ = false;
  bool read_only_ = false;
  Status first_error_;
};

namespace detail {
inline const Status& StatusOf(const Status& status) {
  return status;
}
template <typename T>
Status StatusOf(const Result<T>& result) {
  return result.status();
}
}  // namespace detail

template <typename F>
auto SqlTransaction::Guard(std::string_view operation, F&& body) -> decltype(body()) {
  auto result = Guarded(secret_, operation, std::forward<F>(body));
  if (first_error_.ok()) {
    const Status status = detail::StatusOf(result);
    if (!status.ok() && status.code() != StatusCode::kFailedPrecondition) first_error_ = status;
  }
  return result;
}

}  // namespace storeflow::store::internal
