#pragma once

// What the host service source_topics (ABI 1.2) answers from. Plugins load
// before the workflows (the workflows' `uses:` are checked against the plugins'
// actions), so the engine hands over its lister once the workflows are loaded;
// until then plugins are told that no workflows are known. Thread-safe.

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace storeflow::plugin {

class WorkflowTopics {
 public:
  // The topics of a webhook source the loaded workflows listen to (sorted, distinct).
  using Lister = std::function<std::vector<std::string>(const std::string& source)>;

  void Set(Lister lister);
  // nullopt while no lister is set.
  std::optional<std::vector<std::string>> For(const std::string& source) const;

 private:
  mutable std::mutex mu_;
  Lister lister_;
};

}  // namespace storeflow::plugin
