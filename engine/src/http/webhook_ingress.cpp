#include "http/webhook_ingress.h"

#include <openssl/evp.h>

#include <chrono>
#include <stdexcept>

#include "common/ack_window.h"
#include "common/metrics.h"
#include "http/json_body.h"

namespace storeflow::http {
namespace {

void CountRejected(const std::string& source, const std::string& reason) {
  metrics::Registry::Default().CounterAdd("storeflow_webhooks_rejected_total",
                                          {{"source", source}, {"reason", reason}});
}

std::string Sha256Hex(std::string_view prefix, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, prefix.data(), prefix.size()) == 1 &&
                  EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &length) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

}  // namespace

std::optional<std::string> ReplayKey(ReplayDedupe mode, std::string_view topic,
                                     std::string_view body) {
  switch (mode) {
    case ReplayDedupe::kOff: return std::nullopt;
    case ReplayDedupe::kTopic: return "t:" + Sha256Hex(std::string(topic) + "\n", body);
    case ReplayDedupe::kAnyTopic: return "b:" + Sha256Hex({}, body);
  }
  return std::nullopt;
}

Status WebhookIngress::Register(Router& router) {
  return router.Add("POST", "/webhooks/{source}", [this](Request& r) { return Handle(r); });
}

Response WebhookIngress::Handle(Request& request) {
  const std::string& name = request.path_params["source"];
  const WebhookSource* source = sources_.Find(name);
  if (source == nullptr) {
    return Response::Error(404, "unknown_source",
                           "no webhook source named '" + name + "' is configured");
  }
  // Every answer to a configured source goes into the sync-health window: its
  // latency (until the answer is ready) and whether it was an error (not 2xx).
  const auto started = std::chrono::steady_clock::now();
  Response response = Accept(request, *source);
  const double latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  AckWindow::Default().Record(now_ms, response.status / 100 != 2, latency_ms);
  return response;
}

Response WebhookIngress::Accept(Request& request, const WebhookSource& source_ref) {
  const std::string& name = request.path_params["source"];
  const WebhookSource* source = &source_ref;
  auto& registry = metrics::Registry::Default();
  registry.CounterAdd("storeflow_webhooks_received_total", {{"source", name}});

  if (auto rejection = source->Verify(request)) {
    CountRejected(name, rejection->reason);
    return Response::Error(401, rejection->reason, rejection->message);
  }
  // The body is parsed into a value only when something reads it: the source's
  // envelope, or a workflow that starts on (or waits for) the topic. Otherwise
  // it is only checked to be JSON and stored as received.
  Json payload(Json::value_t::discarded);
  JsonParseError parse_error;
  Result<WebhookEnvelope> envelope = InvalidArgument("no envelope");
  bool valid = false;
  if (source->EnvelopeReadsBody()) {
    valid = ParseJsonBody(request.body, payload, parse_error);
    if (valid) envelope = source->Envelope(request, payload);
  } else {
    envelope = source->Envelope(request, payload);
    if (envelope.ok() && committer_.NeedsPayload(name + "/" + envelope->topic)) {
      valid = ParseJsonBody(request.body, payload, parse_error);
    } else {
      valid = ValidateJsonBody(request.body, parse_error);
    }
  }
  if (!valid) {
    CountRejected(name, "invalid_json");
    return InvalidJsonResponse(parse_error);
  }
  if (!envelope.ok()) {
    CountRejected(name, "invalid_envelope");
    return Response::Error(400, "invalid_webhook", envelope.status().message());
  }

  store::EventRow event;
  event.source = name;
  event.topic = name + "/" + envelope->topic;
  event.dedup_key = std::move(envelope->dedup_key);
  event.replay_key = ReplayKey(options_.replay, envelope->topic, request.body);
  event.payload = std::move(payload);
  event.meta = std::move(envelope->meta);
  event.meta["request_id"] = request.request_id;
  auto outcome = committer_.Publish(std::move(event), std::move(request.body));
  if (!outcome.ok()) {
    const StatusCode code = outcome.status().code();
    CountRejected(name, code == StatusCode::kUnavailable        ? "store_unavailable"
                        : code == StatusCode::kDeadlineExceeded ? "commit_timeout"
                                                                : "store_error");
    return StoreFailure(outcome.status(), "the event", request, log_);
  }
  if (!outcome->event_id) {
    registry.CounterAdd("storeflow_webhooks_duplicate_total", {{"source", name}});
    return Response::JsonBody(200, {{"duplicate", true}});
  }
  // {"duplicate":false,"event_id":N,"runs":[...]} written directly (what
  // Response::JsonBody would give, without building the value).
  Response response;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body =
      "{\"duplicate\":false,\"event_id\":" + std::to_string(*outcome->event_id) + ",\"runs\":[";
  for (std::size_t i = 0; i < outcome->runs.size(); ++i) {
    if (i > 0) response.body += ',';
    response.body += std::to_string(outcome->runs[i]);
  }
  response.body += "]}";
  return response;
}

}  // namespace storeflow::http
