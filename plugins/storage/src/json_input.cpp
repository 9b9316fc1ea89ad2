#include "json_input.h"

namespace storeflow::plugins::storage {
namespace {

const sdk::Json* Field(const sdk::Json& object, std::string_view field) {
  if (object.is_null()) return nullptr;  // no input at all: every field absent
  if (!object.is_object()) {
    throw sdk::Error::Permanent("invalid_input", "the input must be a JSON object");
  }
  auto it = object.find(std::string(field));
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

[[noreturn]] void WrongType(std::string_view field, std::string_view type) {
  throw sdk::Error::Permanent("invalid_input",
                              "`" + std::string(field) + "` must be " + std::string(type));
}

}  // namespace

std::optional<std::string> OptionalString(const sdk::Json& object, std::string_view field) {
  const sdk::Json* value = Field(object, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) WrongType(field, "a string");
  return value->get<std::string>();
}

std::string RequiredString(const sdk::Json& object, std::string_view field) {
  auto value = OptionalString(object, field);
  if (!value) {
    throw sdk::Error::Permanent("invalid_input", "`" + std::string(field) + "` is required");
  }
  return *value;
}

std::optional<std::int64_t> OptionalInteger(const sdk::Json& object, std::string_view field) {
  const sdk::Json* value = Field(object, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number_integer()) WrongType(field, "an integer");
  return value->get<std::int64_t>();
}

std::optional<bool> OptionalBool(const sdk::Json& object, std::string_view field) {
  const sdk::Json* value = Field(object, field);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) WrongType(field, "true or false");
  return value->get<bool>();
}

}  // namespace storeflow::plugins::storage
