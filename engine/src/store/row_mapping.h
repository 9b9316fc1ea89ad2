#pragma once

// The column lists of the store's tables and the mapping between result rows
// and the record structs. Column order here is the order of every SELECT and
// RETURNING list that uses these constants.

#include <string>

#include "store/records.h"
#include "store/sql_connection.h"

namespace storeflow::store::internal {

inline constexpr const char* kWorkflowVersionColumns =
    "hash, workflow, version, source_path, source, created_at, rules";
inline constexpr int kWorkflowVersionColumnCount = 7;

inline constexpr const char* kEventColumns =
    "id, topic, source, dedup_key, payload, meta, created_at";
inline constexpr int kEventColumnCount = 7;

inline constexpr const char* kRunColumns =
    "id, workflow, version_hash, run_key, status, input, output, error, state, event_id, "
    "due_at, lease_owner, lease_until, created_at, updated_at, finished_at";
inline constexpr int kRunColumnCount = 16;

inline constexpr const char* kStepColumns =
    "run_id, step_path, seq, status, attempts, input, output, error, started_at, finished_at";
inline constexpr int kStepColumnCount = 10;

inline constexpr const char* kWaitColumns =
    "run_id, step_path, topic, expr_id, wait_key, after_event_id, expires_at, created_at";
inline constexpr int kWaitColumnCount = 8;

inline constexpr const char* kRecordColumns =
    "collection, record_key, value, revision, updated_at, version";
inline constexpr int kRecordColumnCount = 6;

inline constexpr const char* kScheduleColumns =
    "workflow, trigger_index, cron, timezone, next_due_at";
inline constexpr int kScheduleColumnCount = 5;

// "'completed', 'failed', ..." for `status IN (...)` conditions.
const std::string& TerminalStatusList();

// What a claim takes, with its two parameters (now, now): "SELECT <columns> FROM
// runs WHERE <due, lease free or expired, not terminal> ORDER BY due_at, id LIMIT
// <limit>" (append the dialect's lock clause). The limit is written into the text,
// not bound: PostgreSQL estimates a bound LIMIT at a tenth of the rows, so its
// generic plan looks far costlier than a custom one and every claim was planned
// anew (a tenth of the server's CPU in runtime_bench). It is the engine's claim
// batch, an int, never input; one prepared statement per batch size.
std::string ClaimablePick(const char* columns, int limit);

// JSON <-> text. A null JSON value is stored as SQL NULL where the column allows
// it (NullableJsonParam). Throws StoreError(InvalidArgument) for text that is not
// valid UTF-8.
std::string JsonText(const Json& value, const char* what);
SqlParam JsonParam(const Json& value, const char* what);
SqlParam NullableJsonParam(const Json& value, const char* what);
Json ParseJson(const SqlRows& rows, std::size_t row, int col);  // SQL NULL -> null

WorkflowVersionRow WorkflowVersionFromRow(const SqlRows& rows, std::size_t row);
EventRow EventFromRow(const SqlRows& rows, std::size_t row);
RunRow RunFromRow(const SqlRows& rows, std::size_t row);
StepRow StepFromRow(const SqlRows& rows, std::size_t row);
WaitRow WaitFromRow(const SqlRows& rows, std::size_t row);
RecordRow RecordFromRow(const SqlRows& rows, std::size_t row);
ScheduleRow ScheduleFromRow(const SqlRows& rows, std::size_t row);

}  // namespace storeflow::store::internal
