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
// rejected by reason).

#include <utility>

#include "http/caller_error.h"
#include "http/router.h"
#include "http/webhook_source.h"
#include "runtime/group_commit.h"

namespace storeflow::http {

class WebhookIngress {
 public:
  WebhookIngress(const WebhookSources& sources, runtime::GroupCommitter& committer,
                 ErrorLog log = {})
      : sources_(sources), committer_(committer), log_(std::move(log)) {}

  Status Register(Router& router);
  Response Handle(Request& request);

 private:
  const WebhookSources& sources_;
  runtime::GroupCommitter& committer_;
  ErrorLog log_;
};

}  // namespace storeflow::http
