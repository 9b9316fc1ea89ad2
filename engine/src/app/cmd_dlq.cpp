// `storeflow dlq list [--workflow W] | show ID | retry ID... | retry --all
// --workflow W | discard ID...`: the failed runs (dead letters).

#include <charconv>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "runtime/dead_letters.h"
#include "runtime/run_json.h"
#include "store/store.h"

namespace storeflow::app {
namespace {

constexpr std::string_view kDlqUsage =
    "usage: storeflow dlq list [--workflow W] [--db URL]\n"
    "       storeflow dlq show ID\n"
    "       storeflow dlq retry ID... | retry --all --workflow W\n"
    "       storeflow dlq discard ID...\n";

int Usage(std::ostream& err, std::string_view message) {
  err << "storeflow dlq: " << message << "\n" << kDlqUsage;
  return 2;
}

bool ParseIds(const Args& args, std::vector<std::int64_t>* ids) {
  for (const auto& text : args) {
    std::int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0) return false;
    ids->push_back(id);
  }
  return !ids->empty();
}

// What to do instead of `dlq retry|discard` while an engine holds the database:
// the same request to its admin API.
std::string AdminAdvice(const std::string& verb, const std::vector<std::int64_t>& ids,
                        const std::optional<std::string>& workflow) {
  const std::string api = AdminApiForAdvice();
  std::string request = "curl -X POST -H \"Authorization: Bearer $STOREFLOW_ADMIN_TOKEN\" ";
  if (ids.size() == 1) {
    request += api + "/dead-letters/" + std::to_string(ids[0]) + "/" + verb;
  } else {
    nlohmann::json body;
    if (ids.empty()) {
      body["workflow"] = workflow.value_or("");
    } else {
      body["ids"] = ids;
    }
    request += "-H 'Content-Type: application/json' " + api + "/dead-letters/" + verb + " -d '" +
               body.dump() + "'";
  }
  return "Ask the engine instead, through its admin API (docs/admin-api.md#dead-letters; "
         "STOREFLOW_API_URL names its address when it is not " +
         api + "):\n  " + request + "\nor stop the engine first.";
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int RunDlqCommand(const Args& input, std::ostream& out, std::ostream& err) {
  Args args = input;
  const auto db = TakeDatabaseUrl(args);
  if (args.empty()) return Usage(err, "name a sub-command");
  const std::string verb = args[0];
  args.erase(args.begin());
  const auto workflow = TakeOption(args, "--workflow");
  bool all = false;
  for (auto it = args.begin(); it != args.end();) {
    if (*it == "--all") {
      all = true;
      it = args.erase(it);
    } else {
      ++it;
    }
  }
  std::vector<std::int64_t> ids;
  if (verb == "list") {
    if (!args.empty()) return Usage(err, "unexpected argument '" + args[0] + "'");
  } else if (verb == "retry" && all) {
    if (!workflow || workflow->empty()) return Usage(err, "retry --all needs --workflow W");
    if (!args.empty()) return Usage(err, "retry --all takes no ids");
  } else if (verb == "show" || verb == "retry" || verb == "discard") {
    if (!ParseIds(args, &ids)) return Usage(err, verb + " takes run ids");
    if (verb == "show" && ids.size() != 1) return Usage(err, "show takes one run id");
  } else {
    return Usage(err, "unknown sub-command '" + verb + "'");
  }

  const bool reads = verb == "list" || verb == "show";
  auto store = reads ? OpenReadStore(db)
                     : OpenWriteStore(db, "dlq " + verb, AdminAdvice(verb, ids, workflow));
  if (!store.ok()) {
    err << "storeflow dlq: " << store.status().message() << "\n";
    return 1;
  }
  if (verb == "list") {
    auto runs = runtime::ListDeadLetters(**store, workflow, 1000);
    if (!runs.ok()) {
      err << "storeflow dlq: " << runs.status().message() << "\n";
      return 1;
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& run : *runs) list.push_back(runtime::DeadLetterToJson(run));
    out << list.dump(2) << "\n";
    return 0;
  }
  if (verb == "show") {
    auto tx = (*store)->BeginRead();
    if (!tx.ok()) {
      err << "storeflow dlq: " << tx.status().message() << "\n";
      return 1;
    }
    auto run = (*tx)->GetRun(ids[0]);
    auto steps = (*tx)->ListSteps(ids[0]);
    if (!run.ok() || !steps.ok() || !run->has_value() ||
        (*run)->status != store::RunStatus::kFailed) {
      err << "storeflow dlq: run " << ids[0] << " is not a dead letter\n";
      return 1;
    }
    out << runtime::RunToJson(**run, *steps).dump(2) << "\n";
    return 0;
  }
  if (verb == "retry" && all) {
    auto count = runtime::RetryAllDeadLetters(**store, *workflow, NowMs());
    if (!count.ok()) {
      err << "storeflow dlq: " << count.status().message() << "\n";
      return 1;
    }
    out << "retried " << *count << " run(s) of " << *workflow << "\n";
    return 0;
  }
  int failures = 0;
  for (auto id : ids) {
    Status s = verb == "retry" ? runtime::RetryDeadLetter(**store, id, NowMs())
                               : runtime::DiscardDeadLetter(**store, id, NowMs());
    if (!s.ok()) {
      err << "storeflow dlq: " << s.message() << "\n";
      ++failures;
      continue;
    }
    out << (verb == "retry" ? "retried " : "discarded ") << id << "\n";
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace storeflow::app
