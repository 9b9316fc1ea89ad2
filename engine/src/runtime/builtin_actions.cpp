// The built-in actions: `log` and `store.*` over JSON records. The store actions
// are transactional: they write through the step's transaction, so a record
// change commits together with the step result (exactly once across crashes).

#include <iostream>
#include <string>
#include <vector>

#include "runtime/action.h"
#include "runtime/http_action.h"
#include "runtime/run_json.h"
#include "script/rule_test_format.h"

namespace storeflow::runtime {
namespace {

ActionError StoreError(const Status& status) {
  if (status.code() == StatusCode::kInvalidArgument) {
    return ActionError::Permanent("invalid_argument", status.message());
  }
  return ActionError::Retryable("store_unavailable", status.message());
}

// The string field `name` of `input`, or a permanent error.
// (An integer is taken as its decimal text: `key: "${{ run.id }}"` is a number.)
std::variant<std::string, ActionError> RequiredString(const Json& input, const char* name) {
  if (input.is_object() && input.contains(name) && input[name].is_number_integer()) {
    return input[name].dump();
  }
  if (!input.is_object() || !input.contains(name) || !input[name].is_string() ||
      input[name].get<std::string>().empty()) {
    return ActionError::Permanent("invalid_input",
                                  std::string("'") + name + "' must be a non-empty string");
  }
  return input[name].get<std::string>();
}

#define SF_REQUIRE_STRING(var, input, name)                                   \
  auto var##_or = RequiredString(input, name);                                \
  if (auto* e = std::get_if<ActionError>(&var##_or)) return ActionResult(*e); \
  const std::string var = std::get<std::string>(var##_or)

// The input schema of a store action: collection/key (string or integer) plus
// `extra` properties (JSON text without braces), with `required` names.
Json RecordSchema(const std::string& extra, const std::vector<std::string>& required) {
  Json schema = Json::parse(R"({"type": "object", "properties": {
      "collection": {"type": "string", "minLength": 1},
      "key": {"type": ["string", "integer"], "minLength": 1}}})");
  if (!extra.empty()) schema["properties"].update(Json::parse("{" + extra + "}"));
  schema["required"] = required;
  return schema;
}

class LogAction final : public Action {
 public:
  std::string_view name() const override { return "log"; }
  bool quick() const override { return true; }
  std::string description() const override {
    return "writes a message into the engine log; output {message, level}";
  }
  Json input_schema() const override {
    return Json::parse(R"json({"type": "object", "properties": {
        "message": {"description": "text (other values are logged as JSON)"},
        "level": {"enum": ["debug", "info", "warn", "error"], "default": "info"}}})json");
  }
  Json examples() const override {
    return Json::parse(R"([{"message": "cart ${{ event.token }} saved", "level": "info"}])");
  }
  ActionResult Invoke(const Json& input, const ActionContext& context) override {
    std::string level = input.is_object() ? input.value("level", "info") : "info";
    if (level != "info" && level != "warn" && level != "error" && level != "debug") {
      return ActionError::Permanent("invalid_input", "'level' must be debug, info, warn or error");
    }
    std::string message;
    if (input.is_object() && input.contains("message")) {
      message = input["message"].is_string() ? input["message"].get<std::string>()
                                             : input["message"].dump();
    } else {
      message = input.dump();
    }
    if (context.log) context.log(level, message);
    return Json{{"message", message}, {"level", level}};
  }
};

class StoreAction : public Action {
 public:
  bool transactional() const override { return true; }
  ActionResult Invoke(const Json& input, const ActionContext& context) final {
    if (context.tx == nullptr) return ActionError::Permanent("internal", "no transaction");
    if (!input.is_object()) return ActionError::Permanent("invalid_input", "input must be a map");
    return Run(input, *context.tx, context);
  }

 protected:
  virtual ActionResult Run(const Json& input, store::Transaction& tx,
                           const ActionContext& context) = 0;
};

// The version of a fenced write: an integer, or an ISO-8601 timestamp with a
// zone (Shopify's updated_at), in milliseconds since the epoch. Never through a
// double: a fractional number is refused.
std::variant<std::int64_t, ActionError> FenceVersion(const Json& value,
                                                     const std::string& name = "if_newer") {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_string()) {
    auto ms = script::ParseTimestampMs(value.get<std::string>());
    if (ms.ok()) return *ms;
    return ActionError::Permanent("invalid_input", "'" + name + "': " + ms.status().message());
  }
  return ActionError::Permanent("invalid_input", "'" + name +
                                                     "' must be an integer version or an "
                                                     "ISO-8601 timestamp, got " +
                                                     value.dump());
}

class PutAction final : public StoreAction {
 public:
  std::string_view name() const override { return "store.put"; }
  std::string description() const override {
    return "inserts or replaces the JSON record collection/key; output {collection, key, "
           "revision}. With if_newer (a version: integer or ISO-8601 time) it writes only when "
           "the stored version is older; output adds {applied, created, version, "
           "current_version, superseded}";
  }
  Json input_schema() const override {
    return RecordSchema(R"("value": {"description": "any JSON value"},
                           "if_newer": {"type": ["integer", "string"],
                                        "description": "fence: write only over an older version"})",
                        {"collection", "key"});
  }
  Json examples() const override {
    return Json::parse(R"([{"collection": "carts", "key": "${{ event.token }}",
                            "value": "${{ event }}"},
                           {"collection": "products", "key": "${{ event.id }}",
                            "value": "${{ event }}", "if_newer": "${{ event.updated_at }}"}])");
  }
  ActionResult Run(const Json& input, store::Transaction& tx, const ActionContext& c) override {
    SF_REQUIRE_STRING(collection, input, "collection");
    SF_REQUIRE_STRING(key, input, "key");
    Json value = input.contains("value") ? input["value"] : Json();
    if (!input.contains("if_newer") || input["if_newer"].is_null()) {
      if (input.contains("if_newer")) {
        return ActionError::Permanent("invalid_input",
                                      "'if_newer' is null (the payload has no version)");
      }
      auto revision = tx.PutRecord(collection, key, value, c.now);
      if (!revision.ok()) return StoreError(revision.status());
      return Json{{"collection", collection}, {"key", key}, {"revision", *revision}};
    }
    auto version_or = FenceVersion(input["if_newer"]);
    if (auto* e = std::get_if<ActionError>(&version_or)) return *e;
    const std::int64_t version = std::get<std::int64_t>(version_or);
    auto revision = tx.PutRecordIfNewer(collection, key, value, version, c.now);
    if (!revision.ok()) return StoreError(revision.status());
    if (revision->has_value()) {
      // Revision 1: this write inserted the record (it was missing).
      return Json{{"collection", collection}, {"key", key},
                  {"revision", **revision},   {"applied", true},
                  {"version", version},       {"current_version", version},
                  {"superseded", false},      {"created", **revision == 1}};
    }
    // Refused: the same version (a duplicate) or a newer one is stored.
    auto current = tx.GetRecord(collection, key);
    if (!current.ok()) return StoreError(current.status());
    const std::int64_t stored =
        current->has_value() && (*current)->version ? *(*current)->version : version;
    return Json{{"collection", collection},
                {"key", key},
                {"revision", current->has_value() ? Json((*current)->revision) : Json()},
                {"applied", false},
                {"version", version},
                {"current_version", stored},
                {"superseded", stored > version},
                {"created", false}};
  }
};

class GetAction final : public StoreAction {
 public:
  std::string_view name() const override { return "store.get"; }
  std::string description() const override {
    return "reads the record collection/key; output {collection, key, value, revision, "
           "updated_at} or nil";
  }
  Json input_schema() const override { return RecordSchema("", {"collection", "key"}); }
  Json examples() const override {
    return Json::parse(R"([{"collection": "carts", "key": "${{ run.key }}"}])");
  }
  ActionResult Run(const Json& input, store::Transaction& tx, const ActionContext&) override {
    SF_REQUIRE_STRING(collection, input, "collection");
    SF_REQUIRE_STRING(key, input, "key");
    auto row = tx.GetRecord(collection, key);
    if (!row.ok()) return StoreError(row.status());
    if (!row->has_value()) return Json();  // nil: not found
    return runtime::RecordToJson(**row);
  }
};

class PatchAction final : public StoreAction {
 public:
  std::string_view name() const override { return "store.patch"; }
  std::string description() const override {
    return "merges `set` into a map record and adds `inc` to its numbers (only if its revision "
           "is `expect_revision`, when given); output the new value";
  }
  Json input_schema() const override {
    return RecordSchema(R"("set": {"type": "object"}, "inc": {"type": "object",
                           "additionalProperties": {"type": "number"}},
                           "expect_revision": {"type": ["integer", "null"], "minimum": 0,
                             "description": "compare-and-set: the revision the record must have (0: it must not exist); else the step fails with revision_mismatch"})",
                        {"collection", "key"});
  }
  Json examples() const override {
    return Json::parse(R"([{"collection": "carts", "key": "${{ run.key }}",
                            "set": {"status": "converted"}, "inc": {"emails": 1}}])");
  }
  ActionResult Run(const Json& input, store::Transaction& tx, const ActionContext& c) override {
    SF_REQUIRE_STRING(collection, input, "collection");
    SF_REQUIRE_STRING(key, input, "key");
    const Json set = input.value("set", Json::object());
    const Json inc = input.value("inc", Json::object());
    if (!set.is_object() || !inc.is_object()) {
      return ActionError::Permanent("invalid_input", "'set' and 'inc' must be maps");
    }
    auto row = tx.GetRecord(collection, key);
    if (!row.ok()) return StoreError(row.status());
    const std::int64_t current = row->has_value() ? (*row)->revision : 0;
    if (input.contains("expect_revision") && !input["expect_revision"].is_null()) {
      const Json& expected = input["expect_revision"];
      if (!expected.is_number_integer() || expected.get<std::int64_t>() < 0) {
        return ActionError::Permanent("invalid_input",
                                      "'expect_revision' must be a whole number >= 0");
      }
      if (expected.get<std::int64_t>() != current) {
        return ActionError::Permanent("revision_mismatch",
                                      "record " + collection + "/" + key + " is at revision " +
                                          std::to_string(current) + ", not " + expected.dump() +
                                          (current == 0 ? " (it does not exist)" : ""));
      }
    }
    Json value = row->has_value() ? (*row)->value : Json::object();
    if (!value.is_object()) {
      return ActionError::Permanent(
          "not_a_map", "record " + collection + "/" + key + " is not a map; store.patch needs one");
    }
    value.merge_patch(set);
    for (const auto& [field, by] : inc.items()) {
      if (!by.is_number()) {
        return ActionError::Permanent("invalid_input", "'inc." + field + "' must be a number");
      }
      Json& slot = value[field];
      if (slot.is_null()) slot = 0;
      if (!slot.is_number()) {
        return ActionError::Permanent("not_a_number", "field '" + field + "' is not a number");
      }
      if (slot.is_number_float() || by.is_number_float()) {
        slot = slot.get<double>() + by.get<double>();
      } else {
        slot = slot.get<std::int64_t>() + by.get<std::int64_t>();
      }
    }
    auto revision = tx.PutRecord(collection, key, value, c.now);
    if (!revision.ok()) return StoreError(revision.status());
    // Another transaction changed the record between our read and our write
    // (PostgreSQL, READ COMMITTED): the executor re-runs the step on a fresh
    // transaction (this one rolls back), so no increment is lost.
    const std::int64_t expected = row->has_value() ? (*row)->revision + 1 : 1;
    if (*revision != expected) {
      return ActionError::Retryable(std::string(kConflictCode),
                                    "record " + collection + "/" + key + " changed concurrently");
    }
    return Json{
        {"collection", collection}, {"key", key}, {"value", value}, {"revision", *revision}};
  }
};

class DeleteAction final : public StoreAction {
 public:
  std::string_view name() const override { return "store.delete"; }
  std::string description() const override {
    return "deletes the record collection/key; output {deleted}";
  }
  Json input_schema() const override { return RecordSchema("", {"collection", "key"}); }
  ActionResult Run(const Json& input, store::Transaction& tx, const ActionContext&) override {
    SF_REQUIRE_STRING(collection, input, "collection");
    SF_REQUIRE_STRING(key, input, "key");
    auto deleted = tx.DeleteRecord(collection, key);
    if (!deleted.ok()) return StoreError(deleted.status());
    return Json{{"deleted", *deleted}};
  }
};

class QueryAction final : public StoreAction {
 public:
  std::string_view name() const override { return "store.query"; }
  std::string description() const override {
    return "lists records of a collection by key prefix, in key order (`order: desc`: last key "
           "first); output {records, count, next_cursor}: next_cursor is null when the listing is "
           "complete, else the `after` of the next page";
  }
  Json input_schema() const override {
    return RecordSchema(R"("prefix": {"type": "string"},
                           "after": {"type": ["string", "null"],
                             "description": "a cursor: start after this key (in the listing's order), e.g. the next_cursor of the page before"},
                           "order": {"type": "string", "enum": ["asc", "desc"],
                             "description": "asc (default): keys in ascending order; desc: descending, so with keys that grow over time the newest first"},
                           "limit": {"type": "integer", "minimum": 1, "maximum": 1000})",
                        {"collection"});
  }
  Json examples() const override {
    return Json::parse(R"([{"collection": "carts", "prefix": "2026-", "limit": 50},
                           {"collection": "interactions", "prefix": "u-1/", "order": "desc",
                            "limit": 200}])");
  }
  ActionResult Run(const Json& input, store::Transaction& tx, const ActionContext&) override {
    SF_REQUIRE_STRING(collection, input, "collection");
    const std::string prefix = input.value("prefix", "");
    const Json after_json = input.value("after", Json());
    if (!after_json.is_null() && !after_json.is_string()) {
      return ActionError::Permanent("invalid_input", "'after' must be a key (a string) or null");
    }
    const std::string after = after_json.is_string() ? after_json.get<std::string>() : "";
    const std::string order = input.value("order", "asc");
    if (order != "asc" && order != "desc") {
      return ActionError::Permanent("invalid_input",
                                    "'order' must be asc or desc, got '" + order + "'");
    }
    const Json limit_json = input.value("limit", Json(100));
    if (!limit_json.is_number_integer() || limit_json.get<int>() <= 0 ||
        limit_json.get<int>() > 1000) {
      return ActionError::Permanent("invalid_input", "'limit' must be an integer in 1..1000");
    }
    const int limit = limit_json.get<int>();
    // One more than asked: whether there is a next page.
    auto rows = tx.ListRecords(
        collection, prefix, after, limit + 1,
        order == "desc" ? store::KeyOrder::kDescending : store::KeyOrder::kAscending);
    if (!rows.ok()) return StoreError(rows.status());
    const bool more = rows->size() > static_cast<std::size_t>(limit);
    if (more) rows->resize(static_cast<std::size_t>(limit));
    Json records = Json::array();
    for (const auto& row : *rows) records.push_back(runtime::RecordToJson(row));
    return Json{{"records", records},
                {"count", records.size()},
                {"next_cursor", more ? Json(rows->back().key) : Json()}};
  }
};

// The optional version bound `name` of store.count: an integer or an ISO-8601 time.
std::variant<std::optional<std::int64_t>, ActionError> OptionalVersion(const Json& input,
                                                                       const char* name) {
  if (!input.contains(name) || input[name].is_null()) return std::optional<std::int64_t>();
  auto version = FenceVersion(input[name], name);
  if (auto* e = std::get_if<ActionError>(&version)) return *e;
  return std::optional<std::int64_t>(std::get<std::int64_t>(version));
}

class CountAction final : public StoreAction {
 public:
  std::string_view name() const override { return "store.count"; }
  std::string description() const override {
    return "counts the records of a collection by key prefix and, with version_min/version_max "
           "(integers or ISO-8601 times, as if_newer), by the version of their fenced write; "
           "output {count, live, tombstones, max_version}";
  }
  Json input_schema() const override {
    return RecordSchema(R"("prefix": {"type": "string"},
                           "version_min": {"type": ["integer", "string", "null"],
                             "description": "only records whose version is at least this"},
                           "version_max": {"type": ["integer", "string", "null"],
                             "description": "only records whose version is below this"})",
                        {"collection"});
  }
  Json examples() const override {
    return Json::parse(R"([{"collection": "shopify_orders", "prefix": "demo.myshopify.com/",
                            "version_min": "2026-12-01T00:00:00Z"}])");
  }
  ActionResult Run(const Json& input, store::Transaction& tx, const ActionContext&) override {
    SF_REQUIRE_STRING(collection, input, "collection");
    const Json prefix = input.value("prefix", Json(""));
    if (!prefix.is_string())
      return ActionError::Permanent("invalid_input", "'prefix' must be a string");
    auto min_or = OptionalVersion(input, "version_min");
    if (auto* e = std::get_if<ActionError>(&min_or)) return *e;
    auto max_or = OptionalVersion(input, "version_max");
    if (auto* e = std::get_if<ActionError>(&max_or)) return *e;
    auto counted = tx.CountRecords(collection, prefix.get<std::string>(),
                                   std::get<std::optional<std::int64_t>>(min_or),
                                   std::get<std::optional<std::int64_t>>(max_or));
    if (!counted.ok()) return StoreError(counted.status());
    return Json{{"count", counted->records},
                {"live", counted->records - counted->tombstones},
                {"tombstones", counted->tombstones},
                {"max_version", counted->max_version ? Json(*counted->max_version) : Json()}};
  }
};

}  // namespace

Status RegisterBuiltinActions(ActionRegistry& registry) {
  return RegisterBuiltinActions(registry, HttpClientOptions());
}

Status RegisterBuiltinActions(ActionRegistry& registry, const HttpClientOptions& http) {
  STOREFLOW_RETURN_IF_ERROR(registry.Register(std::make_shared<LogAction>()));
  STOREFLOW_RETURN_IF_ERROR(registry.Register(std::make_shared<PutAction>()));
  STOREFLOW_RETURN_IF_ERROR(registry.Register(std::make_shared<GetAction>()));
  STOREFLOW_RETURN_IF_ERROR(registry.Register(std::make_shared<PatchAction>()));
  STOREFLOW_RETURN_IF_ERROR(registry.Register(std::make_shared<DeleteAction>()));
  STOREFLOW_RETURN_IF_ERROR(registry.Register(std::make_shared<QueryAction>()));
  STOREFLOW_RETURN_IF_ERROR(registry.Register(std::make_shared<CountAction>()));
  STOREFLOW_RETURN_IF_ERROR(registry.Register(MakeHttpRequestAction(http)));
  return Status::Ok();
}

}  // namespace storeflow::runtime
