// `storeflow records import COLLECTION FILE --key FIELD`, `records list COLLECTION`,
// `records get COLLECTION KEY`: load seed data (a product catalogue, ...) into the
// records the `store.*` actions read, and look at them.

#include <charconv>
#include <fstream>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "runtime/clock.h"
#include "store/store.h"

namespace storeflow::app {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kUsage =
    "usage: storeflow records import COLLECTION FILE.json --key FIELD [--db URL]\n"
    "       storeflow records list COLLECTION [--prefix P] [--limit N] [--db URL]\n"
    "       storeflow records get COLLECTION KEY [--db URL]\n";

// "line:col" of a byte offset in `text` (1-based).
std::string Position(const std::string& text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t col = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

// The record key of `item` from its `field`: a non-empty string or an integer.
Result<std::string> KeyOf(const Json& item, const std::string& field, std::size_t index) {
  const std::string where = "$[" + std::to_string(index) + "]";
  if (!item.is_object()) return InvalidArgument(where + ": expected an object");
  auto it = item.find(field);
  if (it == item.end()) return InvalidArgument(where + ": no '" + field + "' field (the --key)");
  if (it->is_string() && !it->get<std::string>().empty()) return it->get<std::string>();
  if (it->is_number_integer()) return it->dump();
  return InvalidArgument(where + "." + field + ": the key must be a non-empty string or an integer");
}

int Import(Args& args, const std::optional<std::string>& db, std::ostream& out,
           std::ostream& err) {
  auto key_field = TakeOption(args, "--key");
  if (args.size() != 2 || !key_field || key_field->empty()) {
    err << "storeflow records import: expected COLLECTION FILE and --key FIELD\n" << kUsage;
    return 2;
  }
  const std::string& collection = args[0];
  const std::string& file = args[1];
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    err << "storeflow records import: cannot read " << file << "\n";
    return 1;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  Json items;
  try {
    items = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // e.what() repeats the position: "[json.exception...] parse error at line 2,
    // column 22: syntax error ..."; keep what follows it.
    std::string what = e.what();
    auto column = what.find("column ");
    auto reason = column == std::string::npos ? column : what.find(": ", column);
    if (reason != std::string::npos) what = what.substr(reason + 2);
    err << file << ":" << Position(text, e.byte > 0 ? e.byte - 1 : 0)
        << ": error: not valid JSON: " << what << "\n";
    return 1;
  }
  if (!items.is_array()) {
    err << file << ":1:1: error: expected a JSON array of objects\n";
    return 1;
  }
  std::vector<std::pair<std::string, const Json*>> records;
  int errors = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto key = KeyOf(items[i], *key_field, i);
    if (!key.ok()) {
      err << file << ": error at " << key.status().message() << "\n";
      ++errors;
      continue;
    }
    records.emplace_back(*key, &items[i]);
  }
  if (errors > 0) {
    err << "storeflow records import: nothing imported (" << errors << " bad item"
        << (errors == 1 ? "" : "s") << ")\n";
    return 1;
  }
  auto store = OpenCommandStore(db);
  if (!store.ok()) {
    err << "storeflow records import: " << store.status().message() << "\n";
    return 1;
  }
  auto tx = (*store)->Begin();
  if (!tx.ok()) {
    err << "storeflow records import: " << tx.status().message() << "\n";
    return 1;
  }
  runtime::SystemClock clock;
  for (const auto& [key, value] : records) {
    auto revision = (*tx)->PutRecord(collection, key, *value, clock.Now());
    if (!revision.ok()) {
      err << "storeflow records import: " << key << ": " << revision.status().message() << "\n";
      return 1;
    }
  }
  if (Status s = (*tx)->Commit(); !s.ok()) {
    err << "storeflow records import: " << s.message() << "\n";
    return 1;
  }
  out << "imported " << records.size() << " record" << (records.size() == 1 ? "" : "s")
      << " into '" << collection << "' (" << (*store)->display_url() << ")\n";
  return 0;
}

Json RecordJson(const store::RecordRow& row) {
  return {{"collection", row.collection},
          {"key", row.key},
          {"value", row.value},
          {"revision", row.revision},
          {"updated_at", row.updated_at}};
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
    err << "storeflow records: unknown '" << verb << "' (expected import, list or get)\n"
        << kUsage;
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
  auto store = OpenCommandStore(db);
  if (!store.ok()) {
    err << "storeflow records: " << store.status().message() << "\n";
    return 1;
  }
  auto tx = (*store)->Begin();
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
    out << RecordJson(**row).dump(2) << "\n";
    return 0;
  }
  auto rows = (*tx)->ListRecords(args[0], prefix, "", limit);
  if (!rows.ok()) {
    err << "storeflow records: " << rows.status().message() << "\n";
    return 1;
  }
  Json list = Json::array();
  for (const auto& row : *rows) list.push_back(RecordJson(row));
  out << list.dump(2) << "\n";
  return 0;
}

}  // namespace storeflow::app
