#include "runtime/steps/step_handler.h"

#include "runtime/step_committer.h"

namespace storeflow::runtime {

Result<store::Transaction*> StepContext::Transaction() {
  return committer.StepTransaction();
}

std::string IdempotencyKey(const ExecutorServices& services, std::int64_t run_id,
                           const std::string& path) {
  return services.store.InstallationId() + "/" + std::to_string(run_id) + "/" + path;
}

Status StepHandlerRegistry::Register(std::string kind, std::unique_ptr<const StepHandler> handler) {
  if (handlers_.count(kind) != 0) {
    return Status(StatusCode::kAlreadyExists,
                  "a handler for step kind '" + kind + "' is already registered");
  }
  handlers_.emplace(std::move(kind), std::move(handler));
  return Status::Ok();
}

const StepHandler* StepHandlerRegistry::Find(std::string_view kind) const {
  auto it = handlers_.find(kind);
  return it == handlers_.end() ? nullptr : it->second.get();
}

}  // namespace storeflow::runtime
