#pragma once

// The durable store: one interface, two SQL implementations — SQLite on
// Poco::Data (embedded default, one file, one engine process) and PostgreSQL on
// libpq (production; several engines share it). Every method returns
// Status/Result; no exception leaves this module. See docs/architecture.md.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/records.h"

namespace storeflow::store {

// All reads and writes of one unit of work. Nothing is visible to others until
// Commit(); destroying an uncommitted transaction rolls it back. Not thread-safe.
// Commit ends the transaction either way (a failed commit rolls back) and frees
// its session at once; any later call returns kFailedPrecondition. Once a call
// has failed, the transaction can only roll back: Commit then rolls back and
// returns kAborted (PostgreSQL aborts such a transaction; SQLite behaves alike).
// A transaction holds a database session (and on SQLite the single writer slot)
// until it ends: keep it short, destroy it before its Store, and don't call
// Begin/ClaimDueRuns/ExtendLeases from a thread that holds one (on SQLite that
// waits for itself and fails with kUnavailable after 30 s).
// Limits (`limit` arguments, filter limits) must be positive: kInvalidArgument.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual Status Commit() = 0;
  // Marks a point that RollbackToSavepoint returns to: for transactions shared
  // by several runs, so that one run's failed step undoes only its own writes.
  // A newer savepoint hides an older one (each rollback goes to the latest).
  virtual Status Savepoint() = 0;
  // Undoes every write since the latest Savepoint and clears a failure that
  // happened after it, so the transaction can commit again.
  virtual Status RollbackToSavepoint() = 0;

  // Workflow versions (content-addressed; putting an existing hash is a no-op).
  virtual Status PutWorkflowVersion(const WorkflowVersionRow& row) = 0;
  virtual Result<std::optional<WorkflowVersionRow>> GetWorkflowVersion(const std::string& hash) = 0;
  // Every stored version of `workflow`, newest first (created_at, then hash).
  virtual Result<std::vector<WorkflowVersionRow>> ListWorkflowVersions(
      const std::string& workflow) = 0;

  // Events. InsertEvent returns the new id, or nullopt when (source, dedup_key)
  // or (source, replay_key) exists.
  virtual Result<std::optional<std::int64_t>> InsertEvent(const EventRow& row) = 0;
  // Inserts `rows` (their `id` is ignored) as InsertEvent would, one after the
  // other, but with a few multi-row statements: returns, per row in order, its
  // new id, or nullopt when (source, dedup_key) is already stored or repeats an
  // earlier row of `rows` (the earlier one is the one kept). `payload_texts` is
  // empty or has one entry per row: a non-empty entry is that row's payload as
  // JSON text, stored as is instead of serialising `payload` (which is then not
  // read); the caller guarantees it is valid JSON (so valid UTF-8), e.g. a
  // request body it has parsed or validated.
  virtual Result<std::vector<std::optional<std::int64_t>>> InsertEvents(
      const std::vector<EventRow>& rows, const std::vector<std::string>& payload_texts) = 0;
  virtual Result<std::optional<EventRow>> GetEvent(std::int64_t id) = 0;
  virtual Result<std::vector<EventRow>> ListEvents(const EventFilter& filter) = 0;
  virtual Status InsertEventKeys(std::int64_t event_id, const std::string& topic,
                                 const std::vector<EventKeyRow>& keys, TimeMs created_at) = 0;
  // Ids of events of `topic` whose key expression `expr_id` had `value`, with
  // id > after_id and created_at >= since, oldest first.
  virtual Result<std::vector<std::int64_t>> FindEventsByKey(const std::string& topic,
                                                            const std::string& expr_id,
                                                            const std::string& value, TimeMs since,
                                                            std::int64_t after_id, int limit) = 0;
  // Retention: deletes up to `limit` events created before `created_before`
  // (oldest first) with their keys; returns how many. Runs keep their event_id.
  virtual Result<std::int64_t> PurgeEvents(TimeMs created_before, int limit) = 0;

  // Runs.
  virtual Result<std::int64_t> InsertRun(const RunRow& row) = 0;
  // Writes every mutable field of the run (status, output, error, state, due_at,
  // lease, updated_at, finished_at). When `expected_lease_owner` is set, the write
  // happens only if the run is still leased by it; otherwise returns kAborted
  // ("lease lost") and the caller must roll back. Without it, a missing run is
  // kNotFound. A terminal run should get due_at and the lease cleared.
  virtual Status UpdateRun(const RunRow& row,
                           const std::optional<std::string>& expected_lease_owner) = 0;
  // Locks the runs of `run_ids` that `lease_owner` still leases until the
  // transaction ends (PostgreSQL: FOR UPDATE; claims by other engines skip them)
  // and returns their ids: the runs a shared transaction may advance.
  virtual Result<std::vector<std::int64_t>> LockLeasedRuns(
      const std::string& lease_owner, const std::vector<std::int64_t>& run_ids) = 0;
  // A claim that writes nothing yet, for the first round of a group commit:
  // selects the runs Store::ClaimDueRuns would claim (up to `limit` due runs whose
  // lease is free or expired, not terminal, in due order), locks them until this
  // transaction ends (PostgreSQL: FOR UPDATE SKIP LOCKED, so other claims pass
  // them by) and returns them as if claimed: status running, leased to `owner`
  // until `lease_until`. The claim becomes durable only with the run: write it
  // with UpdateLeasedRuns(..., LeaseCheck::kLockedHere) and commit. A run not
  // written (or a rollback) leaves it due and unleased, claimable at once.
  virtual Result<std::vector<RunRow>> LockDueRuns(const std::string& owner, TimeMs now,
                                                  TimeMs lease_until, int limit) = 0;
  // Which condition UpdateLeasedRuns writes a run on.
  enum class LeaseCheck {
    kOwner,       // `lease_owner` still holds its lease
    kLockedHere,  // LockDueRuns locked it in this transaction and it has not ended
                  // since (a `replace` admission in this transaction cancels it)
  };
  // UpdateRun for many runs in one statement, each on condition `check`; returns
  // the ids written. A run that fails the condition is left as it is: not an
  // error, the transaction stays usable.
  virtual Result<std::vector<std::int64_t>> UpdateLeasedRuns(const std::vector<const RunRow*>& rows,
                                                             const std::string& lease_owner,
                                                             LeaseCheck check) = 0;
  virtual Result<std::optional<RunRow>> GetRun(std::int64_t id) = 0;
  virtual Result<std::vector<RunRow>> ListRuns(const RunFilter& filter) = 0;
  // How many runs there are of each of `statuses` (those without runs are
  // absent). Reads only the runs it counts (an index range per workflow and
  // status), never the whole table: cheap for runs in flight and dead letters,
  // which stay few, as the gauges read at every /metrics scrape.
  virtual Result<std::map<RunStatus, std::int64_t>> CountRunsByStatus(
      const std::vector<RunStatus>& statuses) = 0;
  // Retention: deletes up to `limit` runs whose status is one of `statuses` (all
  // terminal, else kInvalidArgument) and that finished before `finished_before`,
  // each workflow's oldest first, with their steps and waits; returns how many
  // runs. A run whose status changed meanwhile (a dead letter retried) is left alone.
  virtual Result<std::int64_t> PurgeRuns(const std::vector<RunStatus>& statuses,
                                         TimeMs finished_before, int limit) = 0;
  // Runs of (workflow, key) that are not terminal, oldest first; with
  // `include_failed` also its failed runs (dead letters that hold the key:
  // concurrency.on_failure hold). Also locks the pair until the transaction
  // ends, so two transactions that admit or release runs of one key see each
  // other's writes.
  virtual Result<std::vector<RunRow>> ActiveRunsForKey(const std::string& workflow,
                                                       const std::string& key,
                                                       bool include_failed) = 0;

  // Step history. UpsertStep keeps the seq of an existing (run_id, step_path):
  // seq is the order of first execution. ListSteps is in seq order.
  virtual Status UpsertStep(const StepRow& row) = 0;
  // UpsertStep for many rows in one statement (at most one per run and path).
  virtual Status UpsertSteps(const std::vector<const StepRow*>& rows) = 0;
  virtual Result<std::vector<StepRow>> ListSteps(std::int64_t run_id) = 0;

  // Waits (wait_for). PutWait replaces the run's wait.
  virtual Status PutWait(const WaitRow& row) = 0;
  virtual Result<std::optional<WaitRow>> GetWait(std::int64_t run_id) = 0;
  virtual Status DeleteWait(std::int64_t run_id) = 0;
  // Makes every run waiting on (topic, expr_id, value) due now (due_at = now,
  // status ready) and returns their ids, ascending. Only runs whose status is
  // `waiting` are woken; the wait rows stay until DeleteWait.
  virtual Result<std::vector<std::int64_t>> WakeWaits(const std::string& topic,
                                                      const std::string& expr_id,
                                                      const std::string& value, TimeMs now) = 0;

  // Records: JSON documents by collection and key.
  virtual Result<std::optional<RecordRow>> GetRecord(const std::string& collection,
                                                     const std::string& key) = 0;
  // Inserts or replaces; returns the new revision.
  virtual Result<std::int64_t> PutRecord(const std::string& collection, const std::string& key,
                                         const Json& value, TimeMs now) = 0;
  // A fenced PutRecord: writes `value` with `version` only when the record is
  // missing, has no version, or an older one; returns the new revision, or
  // nullopt when the stored version is the same or newer (nothing written).
  virtual Result<std::optional<std::int64_t>> PutRecordIfNewer(const std::string& collection,
                                                               const std::string& key,
                                                               const Json& value,
                                                               std::int64_t version,
                                                               TimeMs now) = 0;
  virtual Result<bool> DeleteRecord(const std::string& collection, const std::string& key) = 0;
  // Keys starting with `prefix` that come after `after_key` in `order` (ascending:
  // greater than it; descending: less than it), in that order; an empty
  // `after_key` starts at the first (or last) key.
  virtual Result<std::vector<RecordRow>> ListRecords(const std::string& collection,
                                                     const std::string& prefix,
                                                     const std::string& after_key, int limit,
                                                     KeyOrder order) = 0;
  // In ascending key order.
  Result<std::vector<RecordRow>> ListRecords(const std::string& collection,
                                             const std::string& prefix,
                                             const std::string& after_key, int limit) {
    return ListRecords(collection, prefix, after_key, limit, KeyOrder::kAscending);
  }
  // Counts the records of `collection` whose key starts with `prefix` and, when
  // given, whose version (of a fenced write) is in [version_min, version_max);
  // a record written without a version is counted only when neither is given.
  virtual Result<RecordCount> CountRecords(const std::string& collection, const std::string& prefix,
                                           std::optional<std::int64_t> version_min,
                                           std::optional<std::int64_t> version_max) = 0;

  // The ledger of side effects, by idempotency key (one per effectful step): the
  // latest record of the step's attempts, e.g. {"attempt": 2, "state":
  // "started"}, then {"attempt": 2, "state": "succeeded", "output": ...} in the
  // transaction that commits the step's result. RecordEffect inserts or replaces.
  virtual Result<std::optional<Json>> GetEffect(const std::string& idempotency_key) = 0;
  virtual Status RecordEffect(const std::string& idempotency_key, const Json& entry,
                              TimeMs now) = 0;
  // Retention: deletes up to `limit` effects recorded before `created_before`,
  // oldest first; returns how many.
  virtual Result<std::int64_t> PurgeEffects(TimeMs created_before, int limit) = 0;

  // Dedupe: true when `key` was free or expired for `workflow` and is now held
  // until expires_at; false when a live entry exists.
  virtual Result<bool> ClaimDedupe(const std::string& workflow, const std::string& key, TimeMs now,
                                   TimeMs expires_at) = 0;
  // Deletes up to `limit` entries with expires_at <= now; returns how many.
  virtual Result<std::int64_t> PurgeDedupe(TimeMs now, int limit) = 0;

  // Schedules. UpsertSchedule keeps next_due_at of an existing row unless the cron
  // or timezone changed. AdvanceSchedule moves next_due_at from `expected` to
  // `next` and returns false if another engine did it first (exactly-once firing).
  virtual Status UpsertSchedule(const ScheduleRow& row) = 0;
  virtual Result<std::vector<ScheduleRow>> DueSchedules(TimeMs now, int limit) = 0;
  virtual Result<bool> AdvanceSchedule(const std::string& workflow, std::int64_t trigger_index,
                                       TimeMs expected, TimeMs next) = 0;
  // All schedules by (workflow, trigger_index); DeleteSchedule returns whether
  // one was deleted (for workflows or triggers that went away).
  virtual Result<std::vector<ScheduleRow>> ListSchedules() = 0;
  virtual Result<bool> DeleteSchedule(const std::string& workflow, std::int64_t trigger_index) = 0;

  // Plugin key/value spaces (host service kv_*): `plugin` names the space, so
  // one plugin never sees another's keys. Values are bytes. An entry whose
  // expires_at <= now counts as absent. KvDelete returns whether a live entry went.
  virtual Result<std::optional<std::string>> KvGet(const std::string& plugin,
                                                   const std::string& key, TimeMs now) = 0;
  virtual Status KvPut(const std::string& plugin, const std::string& key, const std::string& value,
                       std::optional<TimeMs> expires_at, TimeMs now) = 0;
  virtual Result<bool> KvDelete(const std::string& plugin, const std::string& key, TimeMs now) = 0;
  // Deletes up to `limit` entries (of every plugin) with expires_at <= now; returns how many.
  virtual Result<std::int64_t> PurgeExpiredKv(TimeMs now, int limit) = 0;

  // A token bucket shared through the database (the rate governor on PostgreSQL):
  // the bucket `name` holds up to `capacity` tokens, gains `refill_per_second`
  // per second since its last take (a new bucket starts full) and gives `cost`
  // tokens when it has them. The row is locked until the transaction ends: keep
  // it short. capacity/cost > 0, cost <= capacity, refill >= 0 (else kInvalidArgument).
  virtual Result<RateTake> TakeTokens(const std::string& name, double capacity,
                                      double refill_per_second, double cost, TimeMs now) = 0;
  // Corrects the bucket `name` (refilled to `now` as in TakeTokens; a new bucket
  // starts full): adds `refund` tokens (capped at capacity), then lowers the level
  // to `at_most` when at_most >= 0 and the level is higher. Returns the level
  // after. capacity > 0, refund >= 0, refill >= 0 (else kInvalidArgument).
  virtual Result<double> AdjustTokens(const std::string& name, double capacity,
                                      double refill_per_second, double refund, double at_most,
                                      TimeMs now) = 0;
};

struct OpenOptions {
  bool migrate = true;  // apply pending migrations (else refuse an outdated schema)
  int pool_size = 8;    // sessions kept open (":memory:" always uses one)
};

class Store {
 public:
  // "sqlite:PATH" (":memory:" allowed for tests) or
  // "postgresql://user[:password]@host[:port]/db[?options]" (user, password and
  // db percent-decoded). Errors: kInvalidArgument for a bad URL (naming the
  // part); kFailedPrecondition when a SQLite file is in use by another process,
  // or the schema is newer than this build (or older, with migrate = false);
  // kUnavailable when PostgreSQL can't be reached. Messages never hold the password.
  static Result<std::unique_ptr<Store>> Open(const std::string& url, const OpenOptions& options);

  virtual ~Store() = default;
  virtual std::string_view backend() const = 0;  // "sqlite" or "postgresql"
  // The URL it was opened with, password masked ("postgresql://u:***@h:5432/db").
  virtual const std::string& display_url() const = 0;

  virtual Result<std::unique_ptr<Transaction>> Begin() = 0;
  // A transaction that only reads: it takes no write lock, so it neither waits
  // for nor holds up writers (on SQLite, Begin takes the single writer slot; a
  // read transaction runs beside the writer and sees what was committed before
  // it began). Any write in it fails (SQLite: PRAGMA query_only; PostgreSQL:
  // READ ONLY), and the transaction can then only roll back. Commit ends it.
  // The default is Begin(): correct, but it takes the writer slot.
  virtual Result<std::unique_ptr<Transaction>> BeginRead() { return Begin(); }

  // Claims up to `limit` runs with due_at <= now and no live lease (none, or
  // lease_until < now) that are not terminal, oldest due first (ties by id); sets
  // status running, lease_owner, lease_until and updated_at = now, and returns
  // them in that order (due_at is kept: an expired lease makes the run claimable
  // again). One statement, committed on its own. Safe with many engines on
  // PostgreSQL (FOR UPDATE SKIP LOCKED): no run is claimed twice while its lease lives.
  virtual Result<std::vector<RunRow>> ClaimDueRuns(const std::string& owner, TimeMs now,
                                                   TimeMs lease_until, int limit) = 0;
  // The earliest time ClaimDueRuns can find work, for sleeping until then: the
  // earliest due_at among unleased runs, or, for a leased run, the first instant
  // after its lease expires (if later than its due_at). nullopt: nothing scheduled.
  virtual Result<std::optional<TimeMs>> NextDueAt() = 0;
  // Extends the leases `owner` holds on `run_ids`; returns how many it still held.
  virtual Result<int> ExtendLeases(const std::string& owner,
                                   const std::vector<std::int64_t>& run_ids, TimeMs until) = 0;

  // Wake-ups without polling: Notify() after committing new due work; WaitForWork
  // returns true when notified (by this or, on PostgreSQL, another process via
  // LISTEN/NOTIFY) before `timeout` elapses. Notify never blocks (the NOTIFY is
  // sent by a background thread, coalesced); a Notify while no thread waits is
  // remembered, so the next WaitForWork returns at once.
  virtual void Notify() = 0;
  virtual bool WaitForWork(std::chrono::milliseconds timeout) = 0;

  // The schema version of the database and the newest this build knows.
  virtual Result<int> SchemaVersion() = 0;
  static int LatestSchemaVersion();

  // The database's installation id: 32 lower-case hex digits, random, made once
  // by migration 3 and read at open. The same for every engine on the database
  // and across restarts; different for every other database. Every step's
  // idempotency key starts with it ("<installation id>/<run id>/<step path>").
  virtual const std::string& InstallationId() const = 0;
};

}  // namespace storeflow::store
