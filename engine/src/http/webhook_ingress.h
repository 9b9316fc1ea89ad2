#pragma once

// POST /webhooks/{source}: durable webhook ingress. The source verifies the
// signature over the raw body (401, nothing stored); the body must be JSON (400
// with the parse position); the event (topic "<source>/<topic>", the source's
// dedup key and envelope meta) is published through the group committer and
// the answer is 200 only once it is committed with the runs it starts. A
// duplicate (same source and dedup key) is answered 200 and creates nothing.
// Store unavailable, or the commit not done within the commit timeout: 503 with
// Retry-After (the sender retries; a delivery answered 503 may still have been
// committed, and its retry is then a duplicate). Store errors reach the sender
// only as a code and the request id; the detail goes to `log`
// (http/caller_error.h). Counted in metrics by source (received, duplicate,
// rejected by reason); every answer's latency and outcome also go into
// AckWindow::Default() (common/ack_window.h), the sync health's last hour.
//
// Replays: the signature covers only the body, so the dedup key (and the topic)
// of a captured delivery can be changed at will. Each event also carries a
// replay key, a SHA-256 of its body (with its topic, by default), unique per
// source while the event is kept (store schema 6): a delivery resent under a new
// dedup key is then a duplicate too.

#include <optional>
#include <string>
#include <string_view>

#include <utility>

#include "http/caller_error.h"
#include "http/router.h"
#include "http/webhook_source.h"
#include "runtime/group_commit.h"

namespace storeflow::http {

// Which deliveries count as replays of an earlier one (webhooks.replay_dedupe).
enum class ReplayDedupe {
  kOff,       // only the source's dedup key
  kTopic,     // also the same body under the same topic (the default)
  kAnyTopic,  // also the same body under any topic of the source
};

struct WebhookIngressOptions {
  ReplayDedupe replay = ReplayDedupe::kTopic;
};

// The replay key of `body` delivered as `topic` under `mode`; nullopt for kOff.
// "t:" + hex SHA-256 of topic, '\n', body (kTopic) or "b:" + hex SHA-256 of the
// body alone (kAnyTopic).
std::optional<std::string> ReplayKey(ReplayDedupe mode, std::string_view topic,
                                     std::string_view body);

class WebhookIngress {
 public:
  WebhookIngress(const WebhookSources& sources, runtime::GroupCommitter& committer,
                 WebhookIngressOptions options = {}, ErrorLog log = {})
      : sources_(sources), committer_(committer), options_(options), log_(std::move(log)) {}

  Status Register(Router& router);
  Response Handle(Request& request);

 private:
  // Handle's work once the source is known.
  Response Accept(Request& request, const WebhookSource& source);

  const WebhookSources& sources_;
  runtime::GroupCommitter& committer_;
  WebhookIngressOptions options_;
  ErrorLog log_;
};

}  // namespace storeflow::http
