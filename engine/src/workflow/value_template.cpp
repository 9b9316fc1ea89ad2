#include "workflow/value_template.h"

namespace storeflow::workflow {

ValueTemplate ValueTemplate::FromJson(const nlohmann::json& json, SourceLocation loc) {
  if (json.is_array()) {
    Array items;
    for (const nlohmann::json& item : json) items.push_back(FromJson(item, loc));
    return {std::move(items), loc};
  }
  if (json.is_object()) {
    Object entries;
    for (auto it = json.begin(); it != json.end(); ++it) {
      entries.emplace_back(it.key(), FromJson(it.value(), loc));
    }
    return {std::move(entries), loc};
  }
  return {json, loc};
}

bool ValueTemplate::is_null() const {
  const auto* json = std::get_if<nlohmann::json>(&value_);
  return json != nullptr && json->is_null();
}

const ValueTemplate* ValueTemplate::Find(std::string_view key) const {
  const auto* object = std::get_if<Object>(&value_);
  if (object == nullptr) return nullptr;
  for (const auto& [k, v] : *object) {
    if (k == key) return &v;
  }
  return nullptr;
}

void ValueTemplate::ForEachExpression(const std::function<void(const Expression&)>& fn) const {
  if (const auto* t = std::get_if<Template>(&value_)) {
    for (const TemplateSegment& s : t->segments()) {
      if (s.expression) fn(*s.expression);
    }
  } else if (const auto* array = std::get_if<Array>(&value_)) {
    for (const ValueTemplate& item : *array) item.ForEachExpression(fn);
  } else if (const auto* object = std::get_if<Object>(&value_)) {
    for (const auto& entry : *object) entry.second.ForEachExpression(fn);
  }
}

Result<nlohmann::json> Render(const ValueTemplate& value, script::Sandbox& sandbox,
                              const nlohmann::json& context, const script::CallContext& call) {
  if (const auto* json = std::get_if<nlohmann::json>(&value.value())) return *json;
  if (const auto* t = std::get_if<Template>(&value.value())) {
    return Evaluate(*t, sandbox, context, call);
  }
  if (const auto* array = std::get_if<ValueTemplate::Array>(&value.value())) {
    nlohmann::json out = nlohmann::json::array();
    for (const ValueTemplate& item : *array) {
      Result<nlohmann::json> rendered = Render(item, sandbox, context, call);
      if (!rendered.ok()) return rendered.status();
      out.push_back(std::move(rendered).value());
    }
    return out;
  }
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, item] : std::get<ValueTemplate::Object>(value.value())) {
    Result<nlohmann::json> rendered = Render(item, sandbox, context, call);
    if (!rendered.ok()) return rendered.status();
    out[key] = std::move(rendered).value();
  }
  return out;
}

}  // namespace storeflow::workflow
