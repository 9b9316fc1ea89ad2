#include "shopify_ids.h"

#include <charconv>

namespace storeflow::plugins::shopify {
namespace {

constexpr std::string_view kGidPrefix = "gid://shopify/";

std::optional<std::int64_t> Decimal(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::int64_t> ParseId(const sdk::Json& value, std::string_view type,
                                    std::string* error) {
  auto fail = [&](const std::string& message) -> std::optional<std::int64_t> {
    if (error != nullptr) *error = message;
    return std::nullopt;
  };
  if (value.is_number_unsigned()) {
    auto id = value.get<std::uint64_t>();
    if (id == 0 || id > static_cast<std::uint64_t>(INT64_MAX)) {
      return fail("is not a Shopify id (1 .. 2^63-1)");
    }
    return static_cast<std::int64_t>(id);
  }
  if (value.is_number_integer()) {
    auto id = value.get<std::int64_t>();
    if (id <= 0) return fail("is not a Shopify id (1 .. 2^63-1)");
    return id;
  }
  if (value.is_number_float()) {
    return fail(
        "is a floating-point number; Shopify ids must be integers (a double cannot hold ids "
        "above 2^53 exactly: pass the integer, its decimal string, or the GID)");
  }
  if (!value.is_string()) return fail("must be an integer id, a decimal string or a GID");
  std::string_view text = value.get_ref<const std::string&>();
  if (text.starts_with(kGidPrefix)) {
    std::string_view rest = text.substr(kGidPrefix.size());
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return fail("is not a GID gid://shopify/<Type>/<id>");
    std::string_view gid_type = rest.substr(0, slash);
    std::string_view id = rest.substr(slash + 1);
    if (std::size_t query = id.find('?'); query != std::string_view::npos) id = id.substr(0, query);
    if (!type.empty() && gid_type != type) {
      return fail("is a GID of type " + std::string(gid_type) + ", expected " + std::string(type));
    }
    auto parsed = Decimal(id);
    if (!parsed)
      return fail("has no numeric id after gid://shopify/" + std::string(gid_type) + "/");
    return parsed;
  }
  auto parsed = Decimal(text);
  if (!parsed) return fail("must be an integer id, a decimal string or a GID gid://shopify/...");
  return parsed;
}

std::int64_t RequiredId(const sdk::Json& input, std::string_view field, std::string_view type) {
  auto it = input.is_object() ? input.find(std::string(field)) : input.end();
  if (!input.is_object() || it == input.end() || it->is_null()) {
    throw sdk::Error::Permanent("invalid_input", "`" + std::string(field) + "` is required");
  }
  std::string error;
  auto id = ParseId(*it, type, &error);
  if (!id) throw sdk::Error::Permanent("invalid_input", "`" + std::string(field) + "` " + error);
  return *id;
}

std::string Gid(std::string_view type, std::int64_t id) {
  return std::string(kGidPrefix) + std::string(type) + "/" + std::to_string(id);
}

std::string RequiredGid(const sdk::Json& input, std::string_view field, std::string_view type) {
  return Gid(type, RequiredId(input, field, type));
}

}  // namespace storeflow::plugins::shopify
