#include "workflow/parse_context.h"

#include <algorithm>
#include <cctype>

#include <yaml-cpp/yaml.h>

#include "common/did_you_mean.h"
#include "workflow/yaml_json.h"

namespace storeflow::workflow::internal {
namespace {

constexpr std::string_view kOpen = "${{";

}  // namespace

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Scalar: break;
  }
  nlohmann::json value = ScalarToJson(node);
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return "a number";
  if (value.is_null()) return "nothing";
  return "a string";
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ", ";
    out += names[i];
  }
  return out;
}

bool IsValidEventName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
           c == ':' || c == '/';
  });
}

std::vector<Entry> ParseContext::Entries(const YAML::Node& map, std::string_view what,
                                         const std::vector<std::string>& allowed) {
  std::vector<Entry> out;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const YAML::Node key = it->first;  // a copy: it-> points into a temporary
    SourceLocation key_loc = At(key);
    if (!key.IsScalar()) {
      Error(key_loc, "keys in " + std::string(what) + " must be plain words, got " + Describe(key));
      continue;
    }
    std::string name = key.Scalar();
    auto previous =
        std::find_if(out.begin(), out.end(), [&](const Entry& e) { return e.key == name; });
    if (previous != out.end()) {
      Error(key_loc, "duplicate key '" + name + "' in " + std::string(what) + " (first at " +
                         previous->key_loc.ToString() + ")");
      continue;
    }
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      Error(key_loc,
            "unknown key '" + name + "' in " + std::string(what) + ValidChoicesHint(name, allowed));
      continue;
    }
    const YAML::Node value = it->second;
    SourceLocation value_loc = value.IsNull() ? key_loc : At(value);
    out.push_back({std::move(name), value, std::move(key_loc), std::move(value_loc)});
  }
  return out;
}

bool ParseContext::ExpectMap(const Entry& e, std::string_view what) {
  if (e.value.IsMap()) return true;
  Error(e.value_loc, "'" + std::string(what) + "' must be a map, got " + Describe(e.value));
  return false;
}

bool ParseContext::ExpectList(const Entry& e, std::string_view what) {
  if (e.value.IsSequence()) return true;
  Error(e.value_loc, "'" + std::string(what) + "' must be a list, got " + Describe(e.value));
  return false;
}

std::optional<std::string> ParseContext::String(const Entry& e, std::string_view what) {
  if (e.value.IsScalar()) return e.value.Scalar();
  Error(e.value_loc, "'" + std::string(what) + "' must be a string, got " + Describe(e.value));
  return std::nullopt;
}

std::optional<std::int64_t> ParseContext::Integer(const Entry& e, std::string_view what) {
  if (e.value.IsScalar() && IsPlainScalar(e.value)) {
    nlohmann::json value = ScalarToJson(e.value);
    if (value.is_number_integer() && value.get<std::int64_t>() >= INT32_MIN &&
        value.get<std::int64_t>() <= INT32_MAX && !value.is_number_unsigned()) {
      return value.get<std::int64_t>();
    }
  }
  std::string got = Describe(e.value);
  if (e.value.IsScalar()) got += " '" + e.value.Scalar() + "'";
  Error(e.value_loc, "'" + std::string(what) + "' must be an integer, got " + got);
  return std::nullopt;
}

Template ParseContext::ParseTemplate(const YAML::Node& scalar) {
  return Template::Parse(scalar.Scalar(), source_.ScalarLocator(scalar), diagnostics_);
}

std::optional<Expression> ParseContext::BareExpression(const Entry& e, std::string_view what) {
  if (!e.value.IsScalar()) {
    Error(e.value_loc, "'" + std::string(what) + "' must be a Lua expression (a string), got " +
                           Describe(e.value));
    return std::nullopt;
  }
  const std::string& text = e.value.Scalar();
  if (text.find(kOpen) != std::string::npos) {
    Template t = ParseTemplate(e.value);
    if (const Expression* whole = t.whole_expression()) return *whole;
    if (t.is_literal()) return std::nullopt;  // the template's own error was reported
    Error(source_.InScalar(e.value, text.find(kOpen)),
          "'" + std::string(what) +
              "' takes a bare Lua expression, not text with '${{ }}' inside (write e.g. "
              "`event.total > 100`)");
    return std::nullopt;
  }
  std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) {
    Error(e.value_loc, "'" + std::string(what) + "' is empty; it needs a Lua expression");
    return std::nullopt;
  }
  std::size_t end = text.find_last_not_of(" \t\r\n") + 1;
  Locator locate = source_.ScalarLocator(e.value, start);
  return MakeExpression(text.substr(start, end - start), locate(0), locate);
}

std::optional<Template> ParseContext::TemplateString(const Entry& e, std::string_view what) {
  if (!e.value.IsScalar()) {
    Error(e.value_loc, "'" + std::string(what) + "' must be a string, got " + Describe(e.value));
    return std::nullopt;
  }
  return ParseTemplate(e.value);
}

ValueTemplate ParseContext::Value(const YAML::Node& node, const SourceLocation& fallback) {
  if (node.IsNull() || !node.IsDefined()) return {nlohmann::json(), fallback};
  SourceLocation loc = At(node);
  if (node.IsScalar()) {
    if (node.Scalar().find(kOpen) != std::string::npos) {
      Template t = ParseTemplate(node);
      if (t.is_literal()) return {nlohmann::json(t.literal_text()), loc};
      return {std::move(t), loc};
    }
    return {ScalarToJson(node), loc};
  }
  if (node.IsSequence()) {
    ValueTemplate::Array items;
    for (const YAML::Node& item : node) items.push_back(Value(item, loc));
    return {std::move(items), loc};
  }
  ValueTemplate::Object entries;
  for (Entry& e : Entries(node, "a map value", {})) {
    entries.emplace_back(e.key, Value(e.value, e.value_loc));
  }
  return {std::move(entries), loc};
}

std::optional<DurationValue> ParseContext::DurationField(const Entry& e, std::string_view what) {
  if (!e.value.IsScalar()) {
    Error(e.value_loc, "'" + std::string(what) +
                           "' must be a duration such as 30s, 5m or PT4H, got " +
                           Describe(e.value));
    return std::nullopt;
  }
  const std::string& text = e.value.Scalar();
  if (text.find(kOpen) != std::string::npos) {
    Template t = ParseTemplate(e.value);
    if (!t.is_literal()) return DurationValue{std::move(t), e.value_loc};
    Error(e.value_loc, "'" + std::string(what) + "': invalid duration \"" + text + "\"");
    return std::nullopt;
  }
  Result<Duration> d = ParseDuration(text);
  if (!d.ok()) {
    Error(e.value_loc, "'" + std::string(what) + "': " + d.status().message());
    return std::nullopt;
  }
  return DurationValue{*d, e.value_loc};
}

void ParseContext::ReportBadChoice(const Entry& e, std::string_view what, const std::string& text,
                                   const std::vector<std::string>& names) {
  Error(e.value_loc, "invalid " + std::string(what) + " '" + text + "'" +
                         ValidChoicesHint(text, names, "valid values"));
}

}  // namespace storeflow::workflow::internal
