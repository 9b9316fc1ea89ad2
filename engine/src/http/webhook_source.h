#pragma once

// A webhook source checks that a delivery really comes from its sender (a
// signature over the RAW body) and says what it is: its topic, its dedup key
// and the envelope data kept with the event. Sources are built into the engine
// (shopify, and generic `hmac`/`stripe` ones configured by name): the plugin ABI
// v1 (engine/include/storeflow/plugin.h) has no source callback, so a plugin
// cannot add one yet; this interface is what such a callback would implement.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "http/http_message.h"

namespace storeflow::http {

// Why a delivery was refused: `reason` is a short metrics label
// (missing_signature, malformed_signature, bad_signature, stale_timestamp).
struct Rejection {
  std::string reason;
  std::string message;
};

struct WebhookEnvelope {
  std::string topic;                     // the source's topic: "carts/create"
  std::optional<std::string> dedup_key;  // a repeat delivery has the same key
  Json meta = Json::object();            // kept with the event; `meta` in expressions
};

class WebhookSource {
 public:
  virtual ~WebhookSource() = default;
  virtual const std::string& name() const = 0;
  // nullopt when the signature over request.body is valid.
  virtual std::optional<Rejection> Verify(const Request& request) const = 0;
  // After verification and JSON parsing. InvalidArgument (e.g. no topic header)
  // becomes a 400.
  virtual Result<WebhookEnvelope> Envelope(const Request& request, const Json& body) const = 0;
  // False when Envelope never reads `body` (it then gets a discarded value and
  // the body is parsed only if a workflow wants the payload).
  virtual bool EnvelopeReadsBody() const { return true; }
};

// The configured sources by name.
class WebhookSources {
 public:
  // AlreadyExists for a second source of the same name.
  Status Add(std::unique_ptr<WebhookSource> source);
  const WebhookSource* Find(std::string_view name) const;
  bool empty() const { return sources_.empty(); }

 private:
  std::map<std::string, std::unique_ptr<WebhookSource>, std::less<>> sources_;
};

// ---- helpers for sources ----

enum class Digest { kSha256, kSha1 };
// The raw HMAC of `data` under `key`; nullopt when it cannot be computed (an
// empty key, or OpenSSL failing): callers must treat that as "does not match".
std::optional<std::string> Hmac(Digest digest, std::string_view key, std::string_view data);
// Compares without an early exit on the first differing byte (CRYPTO_memcmp);
// different lengths are unequal (the length of a MAC is not a secret). Fails
// closed: an empty MAC equals nothing, not even another empty one.
bool MacEquals(std::string_view a, std::string_view b);
// MacEquals(*computed, given), false when the MAC could not be computed.
bool MacMatches(const std::optional<std::string>& computed, std::string_view given);
// Standard base64 (padding optional); nullopt for anything else.
std::optional<std::string> Base64Decode(std::string_view text);
std::string Base64Encode(std::string_view bytes);
// Hex (either case); nullopt for anything else.
std::optional<std::string> HexDecode(std::string_view text);
std::string HexEncode(std::string_view bytes);
// For Envelope: why `value` cannot be kept with an event ("contains a NUL byte",
// "is not valid UTF-8": the store keeps UTF-8 text without NUL bytes), or nullopt
// when it can. Envelope refuses such a value with InvalidArgument naming the header
// or field, which the ingress answers with a 400.
std::optional<std::string> UnstorableText(std::string_view value);

}  // namespace storeflow::http
