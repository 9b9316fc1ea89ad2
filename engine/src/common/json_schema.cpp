#include "common/json_schema.h"

#include <cctype>
#include <fstream>
#include <sstream>

// Without this valijson reports schema errors by calling abort().
#ifndef VALIJSON_USE_EXCEPTIONS
#define VALIJSON_USE_EXCEPTIONS 1
#endif
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace storeflow {

struct JsonSchema::Impl {
  valijson::Schema schema;
};

JsonSchema::JsonSchema(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonSchema::~JsonSchema() = default;

Result<std::shared_ptr<const JsonSchema>> JsonSchema::Parse(const nlohmann::json& schema) {
  if (!schema.is_object() && !schema.is_boolean()) {
    return InvalidArgument("a JSON Schema must be an object (or true/false)");
  }
  auto impl = std::make_unique<Impl>();
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, impl->schema);
  } catch (const std::exception& e) {
    return InvalidArgument(std::string("invalid JSON Schema: ") + e.what());
  }
  return std::shared_ptr<const JsonSchema>(new JsonSchema(std::move(impl)));
}

Result<std::shared_ptr<const JsonSchema>> JsonSchema::Load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return NotFound("JSON Schema file " + file.string() + " cannot be read");
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidArgument(file.string() + ": not valid JSON (byte " + std::to_string(e.byte) +
                           "): " + e.what());
  }
  auto parsed = Parse(doc);
  if (!parsed.ok()) return parsed.status().WithContext(file.string());
  return parsed;
}

namespace {

// valijson names each step "[name]" or "[index]" after a "<root>".
std::string ToJsonPath(const std::vector<std::string>& context) {
  std::string path = "$";
  for (const std::string& part : context) {
    if (part == "<root>") continue;
    if (part.size() >= 2 && part.front() == '[' && part.back() == ']') {
      std::string inner = part.substr(1, part.size() - 2);
      bool index = !inner.empty();
      for (char c : inner) index = index && std::isdigit(static_cast<unsigned char>(c));
      if (index) {
        path += part;
      } else {
        path += "." + inner;
      }
    } else {
      path += "." + part;
    }
  }
  return path;
}

}  // namespace

std::vector<SchemaViolation> JsonSchema::Validate(const nlohmann::json& document) const {
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(document);
  std::vector<SchemaViolation> out;
  if (validator.validate(impl_->schema, target, &results)) return out;
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    out.push_back({ToJsonPath(error.context), error.description});
  }
  if (out.empty()) out.push_back({"$", "the document does not match the schema"});
  // valijson reports each failing parent too ("Failed to validate against schema
  // associated with property name 'x'."): drop such a wrapper when a violation
  // deeper in its subtree says what is actually wrong.
  auto is_wrapper = [](const SchemaViolation& v) {
    return v.message.rfind("Failed to validate against schema associated with", 0) == 0;
  };
  auto explained = [&](const SchemaViolation& parent) {
    for (const auto& other : out) {
      if (&other == &parent || is_wrapper(other)) continue;
      if (other.path.size() > parent.path.size() &&
          other.path.compare(0, parent.path.size(), parent.path) == 0) {
        return true;
      }
    }
    return false;
  };
  std::vector<SchemaViolation> kept;
  for (const auto& v : out) {
    if (!(is_wrapper(v) && explained(v))) kept.push_back(v);
  }
  return kept;
}

std::string DescribeViolations(const std::vector<SchemaViolation>& violations, size_t limit) {
  std::string out;
  for (size_t i = 0; i < violations.size() && i < limit; ++i) {
    if (i > 0) out += "; ";
    out += violations[i].path + ": " + violations[i].message;
  }
  if (violations.size() > limit) {
    out += "; and " + std::to_string(violations.size() - limit) + " more";
  }
  return out;
}

}  // namespace storeflow
