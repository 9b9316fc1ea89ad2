#include "workflow/yaml_json.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <regex>
#include <string>

#include <yaml-cpp/yaml.h>

namespace storeflow::workflow {
namespace {

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

bool IsNull(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

std::optional<bool> AsBool(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

std::optional<nlohmann::json> AsInteger(const std::string& s) {
  static const std::regex kDecimal("[-+]?[0-9]+");
  static const std::regex kHex("0x[0-9a-fA-F]+");
  static const std::regex kOctal("0o[0-7]+");
  int base = 0;
  std::string digits = s;
  if (std::regex_match(s, kDecimal)) {
    base = 10;
  } else if (std::regex_match(s, kHex)) {
    base = 16;
    digits = s.substr(2);
  } else if (std::regex_match(s, kOctal)) {
    base = 8;
    digits = s.substr(2);
  } else {
    return std::nullopt;
  }
  errno = 0;
  char* end = nullptr;
  if (!digits.empty() && digits[0] == '-') {
    long long v = std::strtoll(digits.c_str(), &end, base);
    if (errno == ERANGE) return std::nullopt;
    return nlohmann::json(static_cast<std::int64_t>(v));
  }
  unsigned long long v = std::strtoull(digits.c_str(), &end, base);
  if (errno == ERANGE) return std::nullopt;
  if (v <= static_cast<unsigned long long>(INT64_MAX)) {
    return nlohmann::json(static_cast<std::int64_t>(v));
  }
  return nlohmann::json(static_cast<std::uint64_t>(v));
}

std::optional<nlohmann::json> AsFloat(const std::string& s) {
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (!std::regex_match(s, kFloat)) return std::nullopt;
  errno = 0;
  double v = std::strtod(s.c_str(), nullptr);
  if (errno == ERANGE) return std::nullopt;
  return nlohmann::json(v);
}

nlohmann::json ResolvePlain(const std::string& s) {
  if (IsNull(s)) return nullptr;
  if (auto b = AsBool(s)) return *b;
  if (auto i = AsInteger(s)) return *i;
  if (auto f = AsFloat(s)) return *f;
  return s;  // .inf/.nan have no JSON form: they stay text
}

}  // namespace

bool IsPlainScalar(const YAML::Node& node) {
  return node.IsScalar() && node.Tag() == "?";
}

nlohmann::json ScalarToJson(const YAML::Node& scalar) {
  const std::string& text = scalar.Scalar();
  const std::string& tag = scalar.Tag();
  if (tag == "?") return ResolvePlain(text);
  if (tag.rfind(kTagPrefix, 0) == 0) {
    std::string_view type = std::string_view(tag).substr(kTagPrefix.size());
    if (type == "null") return nullptr;
    if (type == "bool") {
      if (auto b = AsBool(text)) return *b;
    }
    if (type == "int") {
      if (auto i = AsInteger(text)) return *i;
    }
    if (type == "float") {
      if (auto i = AsInteger(text)) return static_cast<double>(i->get<std::int64_t>());
      if (auto f = AsFloat(text)) return *f;
    }
  }
  return text;  // quoted, block, !!str and unknown tags
}

nlohmann::json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Scalar: return ScalarToJson(node);
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YAML::Node& item : node) out.push_back(YamlToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (auto it = node.begin(); it != node.end(); ++it) {
        std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
        if (!out.contains(key)) out[key] = YamlToJson(it->second);
      }
      return out;
    }
  }
  return nullptr;
}

}  // namespace storeflow::workflow
