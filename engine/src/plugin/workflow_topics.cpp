#include "plugin/workflow_topics.h"

#include <utility>

namespace storeflow::plugin {

void WorkflowTopics::Set(Lister lister) {
  std::lock_guard lock(mu_);
  lister_ = std::move(lister);
}

std::optional<std::vector<std::string>> WorkflowTopics::For(const std::string& source) const {
  Lister lister;
  {
    std::lock_guard lock(mu_);
    lister = lister_;
  }
  if (!lister) return std::nullopt;
  return lister(source);
}

}  // namespace storeflow::plugin
