#include "plugin/source_publisher.h"

#include <utility>

namespace storeflow::plugin {

SourcePublisher PublishThrough(runtime::GroupCommitter& committer) {
  return [&committer](SourceEvent message) -> Result<bool> {
    store::EventRow event;
    event.source = std::move(message.source);
    event.topic = std::move(message.topic);
    event.dedup_key = std::move(message.dedup_key);
    event.payload = std::move(message.payload);
    event.meta = std::move(message.meta);
    auto outcome = committer.Publish(std::move(event), std::move(message.payload_text));
    if (!outcome.ok()) return outcome.status();
    return outcome->event_id.has_value();
  };
}

}  // namespace storeflow::plugin
