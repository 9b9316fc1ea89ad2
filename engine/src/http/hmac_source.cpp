#include "http/hmac_source.h"

#include <charconv>
#include <ctime>

namespace storeflow::http {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? s.npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace

std::vector<std::string> SplitSecrets(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view part : Split(text, ',')) {
    part = Trim(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

HmacSource::HmacSource(HmacSourceConfig config, std::function<std::int64_t()> now)
    : config_(std::move(config)), now_(std::move(now)) {
  if (!now_) now_ = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
}

std::optional<Rejection> HmacSource::Verify(const Request& request) const {
  const auto header = request.Header(config_.header);
  if (!header || header->empty()) {
    return Rejection{"missing_signature", "the " + config_.header + " header is missing"};
  }
  if (config_.scheme == "stripe") return VerifyStripe(*header, request);
  std::string_view value = *header;
  if (!config_.prefix.empty()) {
    if (value.substr(0, config_.prefix.size()) != config_.prefix) {
      return Rejection{"malformed_signature",
                       config_.header + " does not start with '" + config_.prefix + "'"};
    }
    value.remove_prefix(config_.prefix.size());
  }
  const auto given = config_.base64 ? Base64Decode(value) : HexDecode(value);
  if (!given) {
    return Rejection{"malformed_signature",
                     config_.header + " is not " + (config_.base64 ? "base64" : "hex")};
  }
  bool match = false;
  for (const auto& secret : config_.secrets) {
    match = MacMatches(Hmac(config_.algorithm, secret, request.body), *given) || match;
  }
  if (!match) return Rejection{"bad_signature", config_.header + " does not match the body"};
  return std::nullopt;
}

std::optional<Rejection> HmacSource::VerifyStripe(const std::string& header,
                                                  const Request& request) const {
  std::string timestamp;
  std::vector<std::string> signatures;
  for (std::string_view part : Split(header, ',')) {
    part = Trim(part);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = part.substr(0, eq);
    if (key == "t") timestamp = std::string(part.substr(eq + 1));
    if (key == "v1") {
      if (auto sig = HexDecode(part.substr(eq + 1))) signatures.push_back(*sig);
    }
  }
  std::int64_t ts = 0;
  auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (timestamp.empty() || ec != std::errc() || end != timestamp.data() + timestamp.size() ||
      signatures.empty()) {
    return Rejection{"malformed_signature", config_.header + " needs t=TIMESTAMP and v1=SIGNATURE"};
  }
  const std::int64_t age = now_() - ts;
  if (age > config_.tolerance.count() || -age > config_.tolerance.count()) {
    return Rejection{"stale_timestamp", config_.header + " timestamp is outside the tolerance of " +
                                            std::to_string(config_.tolerance.count()) + "s"};
  }
  const std::string signed_payload = timestamp + "." + request.body;
  bool match = false;
  for (const auto& secret : config_.secrets) {
    const auto expected = Hmac(Digest::kSha256, secret, signed_payload);
    for (const auto& sig : signatures) match = MacMatches(expected, sig) || match;
  }
  if (!match) return Rejection{"bad_signature", config_.header + " does not match the body"};
  return std::nullopt;
}

Result<WebhookEnvelope> HmacSource::Envelope(const Request& request, const Json& body) const {
  WebhookEnvelope envelope;
  auto field = [&](const std::string& name) -> std::optional<std::string> {
    if (name.empty() || !body.is_object()) return std::nullopt;
    auto it = body.find(name);
    if (it == body.end()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_number()) return it->dump();
    return std::nullopt;
  };
  // A header or body field kept with the event must be text the store can hold.
  auto unstorable = [](const std::string& value, const std::string& header,
                       const std::string& field_name) -> std::optional<Status> {
    auto problem = UnstorableText(value);
    if (!problem) return std::nullopt;
    return InvalidArgument(
        (header.empty() ? "the body field '" + field_name + "'" : "the " + header + " header") +
        " " + *problem);
  };
  if (!config_.topic_header.empty()) {
    auto topic = request.Header(config_.topic_header);
    if (!topic || topic->empty()) {
      return InvalidArgument("the " + config_.topic_header + " header is missing");
    }
    if (auto error = unstorable(*topic, config_.topic_header, "")) return *error;
    envelope.topic = *topic;
  } else if (!config_.topic_field.empty()) {
    auto topic = field(config_.topic_field);
    if (!topic)
      return InvalidArgument("the body has no string field '" + config_.topic_field + "'");
    if (topic->empty()) {
      return InvalidArgument("the body field '" + config_.topic_field + "' is empty");
    }
    if (auto error = unstorable(*topic, "", config_.topic_field)) return *error;
    envelope.topic = *topic;
  } else {
    envelope.topic = config_.topic;
  }
  envelope.meta["topic"] = envelope.topic;
  std::optional<std::string> id;
  std::string id_header;
  if (!config_.id_header.empty()) {
    id = request.Header(config_.id_header);
    if (id) id_header = config_.id_header;
  }
  if (!id && !config_.id_field.empty()) id = field(config_.id_field);
  if (id && !id->empty()) {
    if (auto error = unstorable(*id, id_header, config_.id_field)) return *error;
    envelope.dedup_key = *id;
    envelope.meta["delivery_id"] = *id;
  }
  return envelope;
}

Result<std::vector<HmacSourceConfig>> ParseHmacSources(
    std::string_view spec, const std::function<const char*(const char*)>& getenv) {
  std::vector<HmacSourceConfig> out;
  for (std::string_view item : Split(spec, ';')) {
    item = Trim(item);
    if (item.empty()) continue;
    const auto colon = item.find(':');
    if (colon == std::string_view::npos || Trim(item.substr(0, colon)).empty()) {
      return InvalidArgument("webhook source '" + std::string(item) +
                             "': expected NAME:key=value,...");
    }
    HmacSourceConfig c;
    c.name = std::string(Trim(item.substr(0, colon)));
    const std::string where = "webhook source '" + c.name + "'";
    std::string secret_env;
    for (std::string_view pair : Split(item.substr(colon + 1), ',')) {
      pair = Trim(pair);
      if (pair.empty()) continue;
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos) {
        return InvalidArgument(where + ": '" + std::string(pair) + "' is not key=value");
      }
      const std::string key(Trim(pair.substr(0, eq)));
      const std::string value(Trim(pair.substr(eq + 1)));
      if (key == "scheme") {
        if (value != "hmac" && value != "stripe") {
          return InvalidArgument(where + ": scheme is hmac or stripe, got '" + value + "'");
        }
        c.scheme = value;
      } else if (key == "header") {
        c.header = value;
      } else if (key == "algorithm") {
        if (value != "sha256" && value != "sha1") {
          return InvalidArgument(where + ": algorithm is sha256 or sha1, got '" + value + "'");
        }
        c.algorithm = value == "sha1" ? Digest::kSha1 : Digest::kSha256;
      } else if (key == "encoding") {
        if (value != "hex" && value != "base64") {
          return InvalidArgument(where + ": encoding is hex or base64, got '" + value + "'");
        }
        c.base64 = value == "base64";
      } else if (key == "prefix") {
        c.prefix = value;
      } else if (key == "secret_env") {
        secret_env = value;
      } else if (key == "topic_header") {
        c.topic_header = value;
      } else if (key == "topic_field") {
        c.topic_field = value;
      } else if (key == "topic") {
        if (value.empty()) return InvalidArgument(where + ": topic= needs a value");
        c.topic = value;
      } else if (key == "id_header") {
        c.id_header = value;
      } else if (key == "id_field") {
        c.id_field = value;
      } else if (key == "tolerance") {
        std::int64_t seconds = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec != std::errc() || end != value.data() + value.size() || seconds <= 0) {
          return InvalidArgument(where + ": tolerance is a number of seconds, got '" + value + "'");
        }
        c.tolerance = std::chrono::seconds(seconds);
      } else {
        return InvalidArgument(where + ": unknown key '" + key +
                               "' (valid keys: algorithm, encoding, header, id_field, id_header, "
                               "prefix, scheme, secret_env, tolerance, topic, topic_field, "
                               "topic_header)");
      }
    }
    if (c.header.empty()) {
      if (c.scheme != "stripe") return InvalidArgument(where + ": header= is required");
      c.header = "Stripe-Signature";
    }
    if (secret_env.empty()) {
      return InvalidArgument(where + ": secret_env= (an environment variable) is required");
    }
    const char* secrets = getenv(secret_env.c_str());
    if (secrets != nullptr) c.secrets = SplitSecrets(secrets);
    if (c.secrets.empty()) {
      return InvalidArgument(where + ": the environment variable " + secret_env +
                             " holds no secret");
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace storeflow::http
