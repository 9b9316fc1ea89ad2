// `storeflow events list [--topic T] [--source S] [--limit N] [--db URL]`.

#include <charconv>
#include <ostream>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "runtime/run_json.h"
#include "store/store.h"

namespace storeflow::app {

int RunEventsCommand(const Args& input, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kUsage =
      "usage: storeflow events list [--topic T] [--source S] [--limit N] [--db URL]\n";
  Args args = input;
  const auto db = TakeDatabaseUrl(args);
  if (args.empty() || args[0] != "list") {
    err << "storeflow events: expected 'list'\n" << kUsage;
    return 2;
  }
  args.erase(args.begin());
  store::EventFilter filter;
  if (auto t = TakeOption(args, "--topic")) filter.topic = *t;
  if (auto s = TakeOption(args, "--source")) filter.source = *s;
  if (auto l = TakeOption(args, "--limit")) {
    int limit = 0;
    auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (ec != std::errc() || end != l->data() + l->size() || limit <= 0) {
      err << "storeflow events: --limit is a positive number\n" << kUsage;
      return 2;
    }
    filter.limit = limit;
  }
  if (!args.empty()) {
    err << "storeflow events: unexpected argument '" << args[0] << "'\n" << kUsage;
    return 2;
  }
  auto store = OpenReadStore(db);
  if (!store.ok()) {
    err << "storeflow events: " << store.status().message() << "\n";
    return 1;
  }
  auto tx = (*store)->BeginRead();
  if (!tx.ok()) {
    err << "storeflow events: " << tx.status().message() << "\n";
    return 1;
  }
  auto events = (*tx)->ListEvents(filter);
  if (!events.ok()) {
    err << "storeflow events: " << events.status().message() << "\n";
    return 1;
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& event : *events) list.push_back(runtime::EventToJson(event));
  out << list.dump(2) << "\n";
  return 0;
}

}  // namespace storeflow::app
