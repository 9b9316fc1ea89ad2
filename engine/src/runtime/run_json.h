#pragma once

// How runs, steps and events are shown (CLI output and the admin API).

#include <vector>

#include <nlohmann/json.hpp>

#include "store/records.h"

namespace storeflow::runtime {

// {id, workflow, version, key, status, attempt, error, output, event_id, due_at,
//  created_at, updated_at, finished_at}; with `steps`, also "steps": [...].
nlohmann::json RunToJson(const store::RunRow& run);
nlohmann::json RunToJson(const store::RunRow& run, const std::vector<store::StepRow>& steps);
// {path, status, attempts, input, output, error, started_at, finished_at}
nlohmann::json StepToJson(const store::StepRow& step);
// A dead letter in a list: {id, workflow, key, error, finished_at}.
nlohmann::json DeadLetterToJson(const store::RunRow& run);
// {id, topic, source, dedup_key, payload, meta, created_at}
nlohmann::json EventToJson(const store::EventRow& event);
// {collection, key, value, revision, updated_at}: store.get's output, the admin API's record.
nlohmann::json RecordToJson(const store::RecordRow& row);

}  // namespace storeflow::runtime
