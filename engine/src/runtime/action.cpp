#include "runtime/action.h"

namespace storeflow::runtime {

ActionError ActionError::Retryable(std::string code, std::string message,
                                   std::optional<Duration> retry_after) {
  return {Kind::kRetryable, std::move(code), std::move(message), retry_after};
}

ActionError ActionError::Permanent(std::string code, std::string message) {
  return {Kind::kPermanent, std::move(code), std::move(message), std::nullopt};
}

Status ActionRegistry::Register(std::shared_ptr<Action> action) {
  std::string name(action->name());
  if (actions_.count(name) != 0) {
    return {StatusCode::kAlreadyExists, "action '" + name + "' is already registered"};
  }
  actions_.emplace(std::move(name), std::move(action));
  return Status::Ok();
}

Action* ActionRegistry::Find(std::string_view name) const {
  auto it = actions_.find(name);
  return it == actions_.end() ? nullptr : it->second.get();
}

std::vector<std::string> ActionRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, action] : actions_) names.push_back(name);
  return names;
}

}  // namespace storeflow::runtime
