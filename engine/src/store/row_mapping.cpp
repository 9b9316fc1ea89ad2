#include "store/row_mapping.h"

#include "store/store_error.h"

namespace storeflow::store::internal {
namespace {

template <typename T>
T ValueOrThrow(Result<T> result) {
  if (!result.ok()) throw StoreError(Internal(result.status().message()));
  return std::move(result).value();
}

}  // namespace

const std::string& TerminalStatusList() {
  static const std::string kList = [] {
    std::string out;
    for (const RunStatus s : {RunStatus::kCompleted, RunStatus::kFailed, RunStatus::kCancelled,
                              RunStatus::kRejected, RunStatus::kSkipped}) {
      if (!out.empty()) out += ", ";
      out += '\'';
      out += RunStatusName(s);
      out += '\'';
    }
    return out;
  }();
  return kList;
}

std::string ClaimablePick(const char* columns, int limit) {
  return std::string("SELECT ") + columns +
         " FROM runs WHERE due_at IS NOT NULL AND due_at <= ?"
         " AND (lease_until IS NULL OR lease_until < ?) AND status NOT IN (" +
         TerminalStatusList() + ") ORDER BY due_at, id LIMIT " + std::to_string(limit);
}

std::string JsonText(const Json& value, const char* what) {
  try {
    return value.dump();
  } catch (const nlohmann::json::type_error& e) {
    throw StoreError(InvalidArgument(std::string(what) + " cannot be stored: " + e.what()));
  }
}

SqlParam JsonParam(const Json& value, const char* what) {
  return TextParam(JsonText(value, what));
}

SqlParam NullableJsonParam(const Json& value, const char* what) {
  if (value.is_null()) return TextParam(std::optional<std::string>());
  return JsonParam(value, what);
}

Json ParseJson(const SqlRows& rows, std::size_t row, int col) {
  if (rows.IsNull(row, col)) return {};
  return Json::parse(rows.Text(row, col));
}

WorkflowVersionRow WorkflowVersionFromRow(const SqlRows& rows, std::size_t r) {
  WorkflowVersionRow out;
  out.hash = rows.Text(r, 0);
  out.workflow = rows.Text(r, 1);
  out.version = rows.Int(r, 2);
  out.source_path = rows.Text(r, 3);
  out.source = rows.Text(r, 4);
  out.created_at = rows.Int(r, 5);
  out.rules = ParseJson(rows, r, 6);
  if (!out.rules.is_object()) out.rules = Json::object();
  return out;
}

EventRow EventFromRow(const SqlRows& rows, std::size_t r) {
  EventRow out;
  out.id = rows.Int(r, 0);
  out.topic = rows.Text(r, 1);
  out.source = rows.Text(r, 2);
  out.dedup_key = rows.OptText(r, 3);
  out.payload = ParseJson(rows, r, 4);
  out.meta = ParseJson(rows, r, 5);
  out.created_at = rows.Int(r, 6);
  return out;
}

RunRow RunFromRow(const SqlRows& rows, std::size_t r) {
  RunRow out;
  out.id = rows.Int(r, 0);
  out.workflow = rows.Text(r, 1);
  out.version_hash = rows.Text(r, 2);
  out.key = rows.OptText(r, 3);
  out.status = ValueOrThrow(ParseRunStatus(rows.Text(r, 4)));
  out.input = ParseJson(rows, r, 5);
  out.output = ParseJson(rows, r, 6);
  out.error = ParseJson(rows, r, 7);
  out.state = ParseJson(rows, r, 8);
  out.event_id = rows.OptInt(r, 9);
  out.due_at = rows.OptInt(r, 10);
  out.lease_owner = rows.OptText(r, 11);
  out.lease_until = rows.OptInt(r, 12);
  out.created_at = rows.Int(r, 13);
  out.updated_at = rows.Int(r, 14);
  out.finished_at = rows.OptInt(r, 15);
  return out;
}

StepRow StepFromRow(const SqlRows& rows, std::size_t r) {
  StepRow out;
  out.run_id = rows.Int(r, 0);
  out.step_path = rows.Text(r, 1);
  out.seq = rows.Int(r, 2);
  out.status = ValueOrThrow(ParseStepStatus(rows.Text(r, 3)));
  out.attempts = rows.Int(r, 4);
  out.input = ParseJson(rows, r, 5);
  out.output = ParseJson(rows, r, 6);
  out.error = ParseJson(rows, r, 7);
  out.started_at = rows.Int(r, 8);
  out.finished_at = rows.OptInt(r, 9);
  return out;
}

WaitRow WaitFromRow(const SqlRows& rows, std::size_t r) {
  WaitRow out;
  out.run_id = rows.Int(r, 0);
  out.step_path = rows.Text(r, 1);
  out.topic = rows.Text(r, 2);
  out.expr_id = rows.Text(r, 3);
  out.wait_key = rows.Text(r, 4);
  out.after_event_id = rows.Int(r, 5);
  out.expires_at = rows.OptInt(r, 6);
  out.created_at = rows.Int(r, 7);
  return out;
}

RecordRow RecordFromRow(const SqlRows& rows, std::size_t r) {
  RecordRow out;
  out.collection = rows.Text(r, 0);
  out.key = rows.Text(r, 1);
  out.value = ParseJson(rows, r, 2);
  out.revision = rows.Int(r, 3);
  out.updated_at = rows.Int(r, 4);
  if (!rows.IsNull(r, 5)) out.version = rows.Int(r, 5);
  return out;
}

ScheduleRow ScheduleFromRow(const SqlRows& rows, std::size_t r) {
  ScheduleRow out;
  out.workflow = rows.Text(r, 0);
  out.trigger_index = rows.Int(r, 1);
  out.cron = rows.Text(r, 2);
  out.timezone = rows.Text(r, 3);
  out.next_due_at = rows.Int(r, 4);
  return out;
}

}  // namespace storeflow::store::internal
