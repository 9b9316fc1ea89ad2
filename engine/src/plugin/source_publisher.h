#pragma once

// The SourcePublisher of `storeflow serve`: plugin event sources commit through
// the same group committer as the webhook ingress (ADR 0005).

#include "plugin/source_runner.h"
#include "runtime/group_commit.h"

namespace storeflow::plugin {

// Publishes each event through `committer` (which must outlive the sources):
// true when it was stored, false when it was a duplicate of (source, dedup_key).
SourcePublisher PublishThrough(runtime::GroupCommitter& committer);

}  // namespace storeflow::plugin
