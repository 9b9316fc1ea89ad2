#include "runtime/run_json.h"

namespace storeflow::runtime {
namespace {

template <typename T>
nlohmann::json Optional(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json();
}

// A run that has been a dead letter shows how it was resolved (dead_letters.h).
void AddDeadLetter(const store::RunRow& run, nlohmann::json& out) {
  if (run.state.is_object() && run.state.contains("dead_letter")) {
    out["dead_letter"] = run.state["dead_letter"];
  }
}

}  // namespace

nlohmann::json RunToJson(const store::RunRow& run) {
  const int attempt = run.state.is_object() ? run.state.value("attempt", 1) : 1;
  nlohmann::json out = {{"id", run.id},
                        {"workflow", run.workflow},
                        {"version", run.version_hash},
                        {"key", Optional(run.key)},
                        {"status", std::string(store::RunStatusName(run.status))},
                        {"attempt", attempt},
                        {"error", run.error},
                        {"output", run.output},
                        {"event_id", Optional(run.event_id)},
                        {"due_at", Optional(run.due_at)},
                        {"created_at", run.created_at},
                        {"updated_at", run.updated_at},
                        {"finished_at", Optional(run.finished_at)}};
  AddDeadLetter(run, out);
  return out;
}

nlohmann::json RunToJson(const store::RunRow& run, const std::vector<store::StepRow>& steps) {
  nlohmann::json out = RunToJson(run);
  out["steps"] = nlohmann::json::array();
  for (const auto& step : steps) out["steps"].push_back(StepToJson(step));
  return out;
}

nlohmann::json StepToJson(const store::StepRow& step) {
  return {
      {"path", step.step_path},        {"status", std::string(store::StepStatusName(step.status))},
      {"attempts", step.attempts},     {"input", step.input},
      {"output", step.output},         {"error", step.error},
      {"started_at", step.started_at}, {"finished_at", Optional(step.finished_at)}};
}

nlohmann::json DeadLetterToJson(const store::RunRow& run) {
  nlohmann::json out = {{"id", run.id},
                        {"workflow", run.workflow},
                        {"key", Optional(run.key)},
                        {"error", run.error},
                        {"finished_at", Optional(run.finished_at)}};
  AddDeadLetter(run, out);
  return out;
}

nlohmann::json RecordToJson(const store::RecordRow& row) {
  nlohmann::json out = {{"collection", row.collection},
                        {"key", row.key},
                        {"value", row.value},
                        {"revision", row.revision},
                        {"updated_at", row.updated_at}};
  if (row.version) out["version"] = *row.version;  // of the last fenced write
  return out;
}

nlohmann::json EventToJson(const store::EventRow& event) {
  return {{"id", event.id},
          {"topic", event.topic},
          {"source", event.source},
          {"dedup_key", Optional(event.dedup_key)},
          {"payload", event.payload},
          {"meta", event.meta},
          {"created_at", event.created_at}};
}

}  // namespace storeflow::runtime
