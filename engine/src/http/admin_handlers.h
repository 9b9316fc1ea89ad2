#pragma once

// The admin API's endpoint handlers (one file per resource: admin_workflows,
// admin_runs, admin_dead_letters, admin_events, admin_records). Each gets the
// request with its path parameters filled by the admin router, after auth.

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "http/http_message.h"
#include "runtime/engine.h"
#include "runtime/sync_health.h"
#include "store/store.h"

namespace storeflow::http::admin {

struct Context {
  store::Store& store;
  runtime::Engine& engine;
  int default_page_size = 50;
  int max_page_size = 500;
  const runtime::SyncHealthOptions* sync_health = nullptr;  // defaults when null
  // POST /api/v1/workflows/reload (AdminApiOptions::reload); null: not offered.
  const std::function<std::pair<int, Json>()>* reload = nullptr;
};

using Handler = Response (*)(Context& context, const Request& request);

// {"items": [...], "next_cursor": "..." | null} from `rows` fetched with limit + 1:
// the first `limit` as to_json(row); when there were more, the next page starts
// after the last one shown, named by cursor_of(row).
template <typename Row, typename ToJson, typename CursorOf>
Json PageOf(const std::vector<Row>& rows, int limit, ToJson to_json, CursorOf cursor_of) {
  const std::size_t shown = std::min(rows.size(), static_cast<std::size_t>(limit));
  Json items = Json::array();
  for (std::size_t i = 0; i < shown; ++i) items.push_back(to_json(rows[i]));
  Json next = rows.size() > shown && shown > 0 ? Json(cursor_of(rows[shown - 1])) : Json();
  return {{"items", std::move(items)}, {"next_cursor", std::move(next)}};
}
// The cursor of an id-ordered list.
template <typename Row>
std::string IdCursorOf(const Row& row) {
  return std::to_string(row.id);
}

// A run with its input and step history; 404 when there is none (or, with
// `dead_letters_only`, when it is not failed).
Response ShowRunById(Context& context, std::int64_t id, bool dead_letters_only);

Response ListWorkflows(Context& context, const Request& request);
Response ShowWorkflow(Context& context, const Request& request);
Response ReloadWorkflows(Context& context, const Request& request);

Response ListRuns(Context& context, const Request& request);
Response ShowRun(Context& context, const Request& request);
Response CancelRun(Context& context, const Request& request);
Response RetryRun(Context& context, const Request& request);

Response ListDeadLetters(Context& context, const Request& request);
Response ShowDeadLetter(Context& context, const Request& request);
Response RetryDeadLetter(Context& context, const Request& request);
Response RetryDeadLetters(Context& context, const Request& request);
Response DiscardDeadLetter(Context& context, const Request& request);
Response DiscardDeadLetters(Context& context, const Request& request);

Response ListEvents(Context& context, const Request& request);
Response ShowEvent(Context& context, const Request& request);
Response ReplayEvent(Context& context, const Request& request);

Response ShowClock(Context& context, const Request& request);
Response AdvanceClock(Context& context, const Request& request);

Response StartReconciliation(Context& context, const Request& request);
Response ListReconciliations(Context& context, const Request& request);
Response ShowReconciliation(Context& context, const Request& request);

Response ShowSyncHealth(Context& context, const Request& request);

Response ListRecords(Context& context, const Request& request);
Response ShowRecord(Context& context, const Request& request);

}  // namespace storeflow::http::admin
