// `storeflow runs list [--workflow W] [--status S] [--limit N] | show ID`.

#include <charconv>
#include <ostream>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "runtime/run_json.h"
#include "store/store.h"

namespace storeflow::app {
namespace {

constexpr std::string_view kRunsUsage =
    "usage: storeflow runs list [--workflow W] [--status S] [--limit N] [--db URL]\n"
    "       storeflow runs show ID [--db URL]\n";

int Usage(std::ostream& err, std::string_view message) {
  err << "storeflow runs: " << message << "\n" << kRunsUsage;
  return 2;
}

bool ParseId(const std::string& text, std::int64_t* id) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *id);
  return ec == std::errc() && end == text.data() + text.size() && *id > 0;
}

}  // namespace

int RunRunsCommand(const Args& input, std::ostream& out, std::ostream& err) {
  Args args = input;
  const auto db = TakeDatabaseUrl(args);
  if (args.empty()) return Usage(err, "name a sub-command");
  const std::string verb = args[0];
  args.erase(args.begin());
  if (verb == "list") {
    store::RunFilter filter;
    if (auto w = TakeOption(args, "--workflow")) filter.workflow = *w;
    if (auto s = TakeOption(args, "--status")) {
      auto status = store::ParseRunStatus(*s);
      if (!status.ok()) return Usage(err, status.status().message());
      filter.status = *status;
    }
    if (auto l = TakeOption(args, "--limit")) {
      std::int64_t limit = 0;
      if (!ParseId(*l, &limit)) return Usage(err, "--limit is a positive number");
      filter.limit = static_cast<int>(limit);
    }
    if (!args.empty()) return Usage(err, "unexpected argument '" + args[0] + "'");
    auto store = OpenReadStore(db);
    if (!store.ok()) {
      err << "storeflow runs: " << store.status().message() << "\n";
      return 1;
    }
    auto tx = (*store)->BeginRead();
    if (!tx.ok()) {
      err << "storeflow runs: " << tx.status().message() << "\n";
      return 1;
    }
    auto runs = (*tx)->ListRuns(filter);
    if (!runs.ok()) {
      err << "storeflow runs: " << runs.status().message() << "\n";
      return 1;
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& run : *runs) list.push_back(runtime::RunToJson(run));
    out << list.dump(2) << "\n";
    return 0;
  }
  if (verb == "show") {
    std::int64_t id = 0;
    if (args.size() != 1 || !ParseId(args[0], &id)) return Usage(err, "show takes one run id");
    auto store = OpenReadStore(db);
    if (!store.ok()) {
      err << "storeflow runs: " << store.status().message() << "\n";
      return 1;
    }
    auto tx = (*store)->BeginRead();
    if (!tx.ok()) {
      err << "storeflow runs: " << tx.status().message() << "\n";
      return 1;
    }
    auto run = (*tx)->GetRun(id);
    auto steps = (*tx)->ListSteps(id);
    if (!run.ok() || !steps.ok()) {
      err << "storeflow runs: " << (run.ok() ? steps.status() : run.status()).message() << "\n";
      return 1;
    }
    if (!run->has_value()) {
      err << "storeflow runs: no run " << id << "\n";
      return 1;
    }
    out << runtime::RunToJson(**run, *steps).dump(2) << "\n";
    return 0;
  }
  return Usage(err, "unknown sub-command '" + verb + "'");
}

}  // namespace storeflow::app
