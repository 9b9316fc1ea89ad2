// Fuzz target: webhook signature and header handling (engine/src/http/shopify_source.h,
// hmac_source.h, webhook_source.h).
//
// Input: a source on the first line ("shopify", or a `webhooks.sources` spec such as
// "gh:header=X-Hub-Signature-256,prefix=sha256=,secret_env=S" parsed by
// ParseHmacSources; its secret_env always holds "s3cret,0ld-secret"), then header
// lines "Name: value", an empty line and the raw body.
//
// Properties, for each source:
//  - Verify accepts the request as given only when its signature really is the HMAC
//    of the body under one of the secrets; a refusal has a known reason label and a
//    message naming the signature header;
//  - the same request signed correctly (current or previous secret) is accepted, and
//    with one body byte changed it is refused as bad_signature;
//  - Envelope (after the JSON check, as the ingress does it) either refuses with
//    InvalidArgument or gives a non-empty topic, and every string it keeps (topic,
//    dedup key, meta) is valid UTF-8 without NUL bytes, so the store can keep it;
//  - Base64 and hex decode what they encode, and re-encode what they decode.

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "http/hmac_source.h"
#include "http/json_body.h"
#include "http/shopify_source.h"
#include "http/webhook_source.h"

using storeflow::fuzz::Printable;
using namespace storeflow::http;

namespace {

constexpr std::int64_t kNow = 1'767'225'600;  // the clock of the stripe scheme
const std::vector<std::string> kSecrets = {"s3cret", "0ld-secret"};

struct Case {
  std::unique_ptr<WebhookSource> source;
  std::optional<HmacSourceConfig> config;  // unset: shopify
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool StorableText(const std::string& s) {
  if (s.find('\0') != std::string::npos) return false;
  try {
    (void)Json(s).dump();  // throws on invalid UTF-8
    return true;
  } catch (const Json::exception&) {
    return false;
  }
}

bool StorableJson(const Json& value) {
  if (value.is_string()) return StorableText(value.get<std::string>());
  if (!value.is_structured()) return true;
  for (const auto& [key, item] : value.items()) {
    if ((value.is_object() && !StorableText(key)) || !StorableJson(item)) return false;
  }
  return true;
}

std::vector<Case> Sources(std::string_view spec) {
  std::vector<Case> out;
  if (spec != "shopify") {
    auto configs = ParseHmacSources(spec, [](const char*) { return "s3cret,0ld-secret"; });
    if (configs.ok()) {
      for (auto& config : *configs) {
        FUZZ_CHECK(config.secrets == kSecrets, "secrets not read from secret_env");
        Case c;
        c.config = config;
        c.source = std::make_unique<HmacSource>(std::move(config), [] { return kNow; });
        out.push_back(std::move(c));
      }
    } else {
      FUZZ_CHECK(configs.status().message().rfind("webhook source", 0) == 0,
                 "a spec error that does not name the source: " + configs.status().message());
    }
  }
  if (out.empty()) out.push_back({std::make_unique<ShopifySource>(kSecrets), std::nullopt});
  return out;
}

std::string SignatureHeader(const Case& c) {
  return c.config ? c.config->header : "X-Shopify-Hmac-Sha256";
}

// The header value that signs `body` with `secret` for this source.
std::string Sign(const Case& c, const std::string& body, const std::string& secret) {
  if (!c.config) return ShopifySignature(body, secret).value();
  const HmacSourceConfig& config = *c.config;
  if (config.scheme == "stripe") {
    const std::string t = std::to_string(kNow);
    return "t=" + t + ",v1=" + HexEncode(Hmac(Digest::kSha256, secret, t + "." + body).value());
  }
  const std::string mac = Hmac(config.algorithm, secret, body).value();
  return config.prefix + (config.base64 ? Base64Encode(mac) : HexEncode(mac));
}

// Whether the request as given is really signed (checked without the source).
bool ReallySigned(const Case& c, const Request& request) {
  const auto header = request.Header(SignatureHeader(c));
  if (!header) return false;
  for (const std::string& secret : kSecrets) {
    if (!c.config) {
      const auto given = Base64Decode(*header);
      if (given && *given == Hmac(Digest::kSha256, secret, request.body)) return true;
      continue;
    }
    const HmacSourceConfig& config = *c.config;
    if (config.scheme == "stripe") {
      // Any t=... with a v1=... over it, within the tolerance.
      std::vector<std::string> ts;
      std::vector<std::string> sigs;
      std::size_t start = 0;
      while (start <= header->size()) {
        std::size_t end = header->find(',', start);
        if (end == std::string::npos) end = header->size();
        std::string part = header->substr(start, end - start);
        part.erase(0, part.find_first_not_of(" \t"));
        part.erase(part.find_last_not_of(" \t") + 1);
        if (part.rfind("t=", 0) == 0) ts.push_back(part.substr(2));
        if (part.rfind("v1=", 0) == 0) {
          if (auto sig = HexDecode(part.substr(3))) sigs.push_back(*sig);
        }
        start = end + 1;
      }
      if (ts.empty()) continue;
      const std::string& t = ts.back();  // the last t= wins
      for (const auto& sig : sigs) {
        if (sig == Hmac(Digest::kSha256, secret, t + "." + request.body)) return true;
      }
      continue;
    }
    if (header->rfind(config.prefix, 0) != 0) continue;
    const std::string value = header->substr(config.prefix.size());
    const auto given = config.base64 ? Base64Decode(value) : HexDecode(value);
    if (given && *given == Hmac(config.algorithm, secret, request.body)) return true;
  }
  return false;
}

void CheckRejection(const Case& c, const Rejection& r, const Request& request) {
  FUZZ_CHECK(r.reason == "missing_signature" || r.reason == "malformed_signature" ||
                 r.reason == "bad_signature" || r.reason == "stale_timestamp",
             "unknown rejection reason '" + r.reason + "'");
  FUZZ_CHECK(Lower(r.message).find(Lower(SignatureHeader(c))) != std::string::npos,
             "the rejection does not name " + SignatureHeader(c) + ": " + Printable(r.message) +
                 " (body " + Printable(request.body, 80) + ")");
}

Request WithSignature(const Case& c, Request request, const std::string& value) {
  const std::string name = Lower(SignatureHeader(c));
  std::erase_if(request.headers, [&](const auto& h) { return Lower(h.first) == name; });
  request.headers.insert(request.headers.begin(), {name, value});
  return request;
}

void CheckEnvelope(const Case& c, const Request& request) {
  // As the ingress: a source that reads the body gets it only when it is JSON.
  Json payload(Json::value_t::discarded);
  JsonParseError error;
  if (c.source->EnvelopeReadsBody() && !ParseJsonBody(request.body, payload, error)) return;
  auto envelope = c.source->Envelope(request, payload);
  if (!envelope.ok()) {
    FUZZ_CHECK(envelope.status().code() == storeflow::StatusCode::kInvalidArgument,
               "Envelope failed with another code: " + envelope.status().message());
    return;
  }
  FUZZ_CHECK(!envelope->topic.empty(), "an empty topic");
  // A fixed topic (topic=) comes from the operator's configuration, not the request.
  const bool fixed_topic =
      c.config && c.config->topic_header.empty() && c.config->topic_field.empty();
  FUZZ_CHECK(fixed_topic || StorableText(envelope->topic),
             "a topic the store cannot keep: " + Printable(envelope->topic));
  if (envelope->dedup_key) {
    FUZZ_CHECK(!envelope->dedup_key->empty(), "an empty dedup key");
    FUZZ_CHECK(StorableText(*envelope->dedup_key),
               "a dedup key the store cannot keep: " + Printable(*envelope->dedup_key));
  }
  FUZZ_CHECK(envelope->meta.is_object() && envelope->meta.value("topic", "") == envelope->topic,
             "meta.topic is not the topic");
  Json from_request = envelope->meta;
  if (fixed_topic) from_request.erase("topic");
  FUZZ_CHECK(StorableJson(from_request), "meta the store cannot keep (invalid UTF-8 or NUL)");
  if (!c.config) {
    const auto event_id = request.Header("x-shopify-event-id");
    const auto webhook_id = request.Header("x-shopify-webhook-id");
    if (event_id && !event_id->empty()) {
      FUZZ_CHECK(envelope->dedup_key == "event:" + envelope->topic + ":" + *event_id,
                 "the dedup key is not the event id");
    } else if (webhook_id && !webhook_id->empty()) {
      FUZZ_CHECK(envelope->dedup_key == "webhook:" + *webhook_id,
                 "the dedup key is not the webhook id");
    } else {
      FUZZ_CHECK(!envelope->dedup_key, "a dedup key without an id header");
    }
  }
}

void CheckCodecs(const std::string& bytes) {
  FUZZ_CHECK(Base64Decode(Base64Encode(bytes)) == bytes,
             "base64 round trip of " + Printable(bytes));
  const std::string hex = HexEncode(bytes);
  FUZZ_CHECK(HexDecode(hex) == bytes, "hex round trip of " + Printable(bytes));
  std::string upper = hex;
  for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  FUZZ_CHECK(HexDecode(upper) == bytes, "upper-case hex of " + Printable(bytes));
  if (auto decoded = Base64Decode(bytes)) {
    FUZZ_CHECK(Base64Decode(Base64Encode(*decoded)) == *decoded,
               "base64 re-encoding of " + Printable(bytes));
  }
  if (auto decoded = HexDecode(bytes)) {
    FUZZ_CHECK(HexEncode(*decoded) == Lower(bytes), "hex re-encoding of " + Printable(bytes));
  }
  // Fail closed: an empty MAC never matches, not even itself.
  FUZZ_CHECK(MacEquals(bytes, bytes) == !bytes.empty(), "MacEquals(x, x) for " + Printable(bytes));
  if (!bytes.empty()) {
    FUZZ_CHECK(!MacEquals(bytes, bytes.substr(1)), "MacEquals of different lengths");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  std::size_t pos = all.find('\n');
  const std::string_view spec = all.substr(0, pos);
  Request request;
  request.method = "POST";
  request.path = "/webhooks/fuzz";
  while (pos != std::string_view::npos && pos < all.size()) {
    const std::size_t start = pos + 1;
    pos = all.find('\n', start);
    const std::string_view line =
        all.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start);
    if (line.empty()) {
      if (pos != std::string_view::npos) request.body = std::string(all.substr(pos + 1));
      break;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string value(line.substr(colon + 1));
    value.erase(0, value.find_first_not_of(' '));
    request.headers.emplace_back(Lower(std::string(line.substr(0, colon))), std::move(value));
  }

  for (const Case& c : Sources(spec)) {
    // As given.
    if (auto rejection = c.source->Verify(request)) {
      CheckRejection(c, *rejection, request);
    } else {
      FUZZ_CHECK(ReallySigned(c, request),
                 "accepted without a valid signature: " + Printable(SignatureHeader(c)) + " / " +
                     Printable(request.Header(SignatureHeader(c)).value_or("(none)")));
    }
    // Signed with either secret.
    for (const std::string& secret : kSecrets) {
      const Request signed_request = WithSignature(c, request, Sign(c, request.body, secret));
      auto rejection = c.source->Verify(signed_request);
      FUZZ_CHECK(!rejection, "a correctly signed request is refused: " +
                                 (rejection ? rejection->message : std::string()));
      CheckEnvelope(c, signed_request);
      if (!request.body.empty()) {
        Request tampered = signed_request;
        tampered.body[0] = static_cast<char>(tampered.body[0] ^ 0x01);
        auto refused = c.source->Verify(tampered);
        FUZZ_CHECK(refused && refused->reason == "bad_signature",
                   "a tampered body is not refused as bad_signature");
      }
    }
  }
  CheckCodecs(request.body);
  return 0;
}
