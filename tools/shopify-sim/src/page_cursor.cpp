#include "page_cursor.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>

#include <cctype>
#include <sstream>

namespace storeflow::shopify_sim {

std::string EncodeCursor(const PageCursor& cursor) {
  const nlohmann::json j = {{"r", std::string(ResourceName(cursor.resource))},
                            {"d", cursor.forward ? "n" : "p"},
                            {"id", cursor.edge_id},
                            {"f", cursor.filter.ToJson()}};
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  encoder.rdbuf()->setLineLength(0);
  encoder << j.dump();
  encoder.close();
  return out.str();
}

std::optional<PageCursor> DecodeCursor(const std::string& text) {
  if (text.empty() || text.size() > 4096) return std::nullopt;
  for (const char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return std::nullopt;
  }
  std::string decoded;
  try {
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    decoded.assign(std::istreambuf_iterator<char>(decoder), std::istreambuf_iterator<char>());
  } catch (const std::exception&) {
    return std::nullopt;
  }
  const auto j = nlohmann::json::parse(decoded, nullptr, false);
  if (!j.is_object() || !j.contains("r") || !j["r"].is_string() || !j.contains("d") ||
      !j.contains("id") || !j["id"].is_number_integer() || !j.contains("f")) {
    return std::nullopt;
  }
  PageCursor c;
  const auto r = ParseResource(j["r"].get<std::string>());
  if (!r) return std::nullopt;
  c.resource = *r;
  c.forward = j["d"] == "n";
  c.edge_id = j["id"].get<std::int64_t>();
  auto filter = ListFilter::FromJson(j["f"]);
  if (!filter) return std::nullopt;
  c.filter = std::move(*filter);
  return c;
}

}  // namespace storeflow::shopify_sim
