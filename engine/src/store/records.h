#pragma once

// The rows the store keeps. Times are milliseconds since the epoch taken from the
// engine's Clock (never the database's clock), so a virtual clock works end to end.
// JSON columns are stored as text and parsed once on the way out.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace storeflow::store {

using TimeMs = std::int64_t;
using Json = nlohmann::json;

enum class RunStatus {
  kQueued,     // waiting for its key's slot (concurrency.per_key with on_new: queue)
  kReady,      // due to be advanced by a worker (due_at set)
  kRunning,    // a worker holds its lease
  kSleeping,   // a sleep or retry delay; due_at is the wake-up time
  kWaiting,    // a wait_for; due_at is the timeout (or null: no timeout)
  kCompleted,  // terminal
  kFailed,     // terminal; listed as a dead letter until retried or discarded
  kCancelled,  // terminal (replaced by a newer run of its key, or by an operator)
  kRejected,   // terminal: its input failed the workflow's input.schema
  kSkipped,    // terminal: concurrency on_new: skip, or dedupe
};
std::string_view RunStatusName(RunStatus status);
Result<RunStatus> ParseRunStatus(std::string_view name);
bool IsTerminal(RunStatus status);

// The order records are listed in (Transaction::ListRecords).
enum class KeyOrder { kAscending, kDescending };

enum class StepStatus { kRunning, kCompleted, kFailed, kSkipped };
std::string_view StepStatusName(StepStatus status);
Result<StepStatus> ParseStepStatus(std::string_view name);

struct WorkflowVersionRow {
  std::string hash;  // sha256 of the source text (hex)
  std::string workflow;
  std::int64_t version = 0;
  std::string source_path;
  std::string source;  // the YAML text as loaded
  TimeMs created_at = 0;
  // The rule scripts its `rule:` steps call, as registered: {"scripts/x.lua":
  // "<text>"} (schema 8; empty for older versions).
  Json rules = Json::object();
};

struct EventRow {
  std::int64_t id = 0;  // assigned by InsertEvent
  std::string topic;    // "shopify/orders/create", "http/POST /orders", "order.paid"
  std::string source;   // "shopify", "http", "emit", "schedule", "queue"...
  std::optional<std::string> dedup_key;  // unique per source when set
  // Also unique per source when set (schema 6): a webhook's body hash, so a
  // delivery resent under a new dedup key is still a duplicate. Written, not
  // read back.
  std::optional<std::string> replay_key;
  Json payload = Json::object();
  Json meta = Json::object();  // headers and other envelope data
  TimeMs created_at = 0;
};

// A value an expression computed from an event, kept so waits and look-backs find
// the event by index: (topic, expr_id, value) -> event. expr_id names the
// expression (e.g. a hash of its text).
struct EventKeyRow {
  std::string expr_id;
  std::string value;
};

struct RunRow {
  std::int64_t id = 0;  // assigned by InsertRun
  std::string workflow;
  std::string version_hash;
  std::optional<std::string> key;
  RunStatus status = RunStatus::kReady;
  Json input = Json::object();
  Json output;                  // null until completed
  Json error;                   // null, or {step, code, message, attempts, ...}
  Json state = Json::object();  // the runtime's cursor; opaque to the store
  std::optional<std::int64_t> event_id;
  std::optional<TimeMs> due_at;  // when a worker should advance it; null = not scheduled
  std::optional<std::string> lease_owner;
  std::optional<TimeMs> lease_until;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  std::optional<TimeMs> finished_at;
};

struct StepRow {
  std::int64_t run_id = 0;
  std::string step_path;  // "send", "items[2].charge"
  std::int64_t seq = 0;   // order of first execution within the run
  StepStatus status = StepStatus::kRunning;
  std::int64_t attempts = 0;
  Json input;
  Json output;
  Json error;
  TimeMs started_at = 0;
  std::optional<TimeMs> finished_at;
};

struct WaitRow {
  std::int64_t run_id = 0;  // one wait per run at a time
  std::string step_path;
  std::string topic;
  std::string expr_id;              // the wait_for key expression
  std::string wait_key;             // the run's key the expression must equal
  std::int64_t after_event_id = 0;  // candidates are events with a larger id
  std::optional<TimeMs> expires_at;
  TimeMs created_at = 0;
};

struct RecordRow {
  std::string collection;
  std::string key;
  Json value;
  std::int64_t revision = 0;  // 1 on first put, +1 on each change
  TimeMs updated_at = 0;
  std::optional<std::int64_t> version;  // of the last fenced write (PutRecordIfNewer)
};

// What Transaction::CountRecords counts: the records that match, how many of
// them are tombstones (a map whose top-level `deleted` is true), and their newest
// version.
struct RecordCount {
  std::int64_t records = 0;
  std::int64_t tombstones = 0;
  std::optional<std::int64_t> max_version;  // the newest version among them
};

struct ScheduleRow {
  std::string workflow;
  std::int64_t trigger_index = 0;
  std::string cron;
  std::string timezone;
  TimeMs next_due_at = 0;
};

struct RunFilter {
  std::optional<std::string> workflow;
  std::optional<RunStatus> status;
  std::optional<std::string> key;
  std::optional<TimeMs> created_from;   // inclusive
  std::optional<TimeMs> created_until;  // exclusive
  std::int64_t before_id = 0;           // paging: ids < before_id (0 = from the newest)
  int limit = 100;                      // newest first
};

struct EventFilter {
  std::optional<std::string> topic;
  std::optional<std::string> source;
  std::optional<TimeMs> created_from;   // inclusive
  std::optional<TimeMs> created_until;  // exclusive
  std::int64_t before_id = 0;           // paging as in RunFilter
  int limit = 100;                      // newest first
};

// What Transaction::TakeTokens did.
struct RateTake {
  bool taken = false;
  // When not taken: milliseconds until the bucket holds `cost` tokens (-1 when it
  // never will: no refill).
  std::int64_t retry_after_ms = 0;
  double tokens_left = 0;  // after the take
};

}  // namespace storeflow::store
