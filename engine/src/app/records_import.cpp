#include "app/records_import.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/clock.h"
#include "store/store.h"

namespace storeflow::app {
namespace {

using Json = nlohmann::json;

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
  return InvalidArgument(where + "." + field +
                         ": the key must be a non-empty string or an integer");
}

}  // namespace

Result<int> ImportRecordsFile(store::Store& store, const std::string& collection,
                              const std::string& file, const std::string& key_field) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFound("cannot read " + file);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  Json items;
  try {
    items = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // e.what() repeats the position ("... parse error at line 2, column 22: syntax
    // error ..."); keep what follows it.
    std::string what = e.what();
    auto column = what.find("column ");
    auto reason = column == std::string::npos ? column : what.find(": ", column);
    if (reason != std::string::npos) what = what.substr(reason + 2);
    return InvalidArgument(file + ":" + Position(text, e.byte > 0 ? e.byte - 1 : 0) +
                           ": error: not valid JSON: " + what);
  }
  if (!items.is_array())
    return InvalidArgument(file + ":1:1: error: expected a JSON array of objects");
  std::vector<std::pair<std::string, const Json*>> records;
  std::string problems;
  int bad = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto key = KeyOf(items[i], key_field, i);
    if (!key.ok()) {
      problems += file + ": error at " + key.status().message() + "\n";
      ++bad;
      continue;
    }
    records.emplace_back(*key, &items[i]);
  }
  if (bad > 0) {
    return InvalidArgument(problems + "storeflow records import: nothing imported (" +
                           std::to_string(bad) + " bad item" + (bad == 1 ? "" : "s") + ")");
  }
  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  runtime::SystemClock clock;
  for (const auto& [key, value] : records) {
    auto revision = (*tx)->PutRecord(collection, key, *value, clock.Now());
    if (!revision.ok()) return revision.status();
  }
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  return static_cast<int>(records.size());
}

}  // namespace storeflow::app
