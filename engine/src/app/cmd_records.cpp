// `storeflow records import COLLECTION FILE --key FIELD`, `records list COLLECTION`,
// `records get COLLECTION KEY`: load seed data (a product catalogue, ...) into the
// records the `store.*` actions read, and look at them.

#include <charconv>
#include <ostream>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/records_import.h"
#include "runtime/run_json.h"
#include "store/store.h"

namespace storeflow::app {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kUsage =
    "usage: storeflow records import COLLECTION FILE.json --key FIELD [--db URL]\n"
    "       storeflow records list COLLECTION [--prefix P] [--limit N] [--db URL]\n"
    "       storeflow records get COLLECTION KEY [--db URL]\n";

int Import(Args& args, const std::optional<std::string>& db, std::ostream& out, std::ostream& err) {
  auto key_field = TakeOption(args, "--key");
  if (args.size() != 2 || !key_field || key_field->empty()) {
    err << "storeflow records import: expected COLLECTION FILE and --key FIELD\n" << kUsage;
    return 2;
  }
  auto store =
      OpenWriteStore(db, "records import",
                     "Import before starting the engine, or stop it, import, and start it again.");
  if (!store.ok()) {
    err << "storeflow records import: " << store.status().message() << "\n";
    return 1;
  }
  auto imported = ImportRecordsFile(**store, args[0], args[1], *key_field);
  if (!imported.ok()) {
    err << imported.status().message() << "\n";
    return 1;
  }
  out << "imported " << *imported << " record" << (*imported == 1 ? "" : "s") << " into '"
      << args[0] << "' (" << (*store)->display_url() << ")\n";
  return 0;
}

}  // namespace

int RunRecordsCommand(const Args& input, std::ostream& out, std::ostream& err) {
  Args args = input;
  const auto db = TakeDatabaseUrl(args);
  if (args.empty()) {
    err << "storeflow records: expected import, list or get\n" << kUsage;
    return 2;
  }
  const std::string verb = args[0];
  args.erase(args.begin());
  if (verb == "import") return Import(args, db, out, err);
  if (verb != "list" && verb != "get") {
    err << "storeflow records: unknown '" << verb << "' (expected import, list or get)\n" << kUsage;
    return 2;
  }
  std::string prefix = TakeOption(args, "--prefix").value_or("");
  int limit = 100;
  if (auto l = TakeOption(args, "--limit")) {
    auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
    if (ec != std::errc() || end != l->data() + l->size() || limit <= 0 || limit > 1000) {
      err << "storeflow records: --limit is a number from 1 to 1000\n" << kUsage;
      return 2;
    }
  }
  if ((verb == "list" && args.size() != 1) || (verb == "get" && args.size() != 2)) {
    err << "storeflow records " << verb << ": wrong arguments\n" << kUsage;
    return 2;
  }
  auto store = OpenReadStore(db);
  if (!store.ok()) {
    err << "storeflow records: " << store.status().message() << "\n";
    return 1;
  }
  auto tx = (*store)->BeginRead();
  if (!tx.ok()) {
    err << "storeflow records: " << tx.status().message() << "\n";
    return 1;
  }
  if (verb == "get") {
    auto row = (*tx)->GetRecord(args[0], args[1]);
    if (!row.ok()) {
      err << "storeflow records: " << row.status().message() << "\n";
      return 1;
    }
    if (!row->has_value()) {
      err << "storeflow records get: no record '" << args[1] << "' in '" << args[0] << "'\n";
      return 1;
    }
    out << runtime::RecordToJson(**row).dump(2) << "\n";
    return 0;
  }
  auto rows = (*tx)->ListRecords(args[0], prefix, "", limit);
  if (!rows.ok()) {
    err << "storeflow records: " << rows.status().message() << "\n";
    return 1;
  }
  Json list = Json::array();
  for (const auto& row : *rows) list.push_back(runtime::RecordToJson(row));
  out << list.dump(2) << "\n";
  return 0;
}

}  // namespace storeflow::app
