#include "runtime/steps/step_handler.h"

#include <variant>

#include "runtime/step_committer.h"
#include "workflow/template.h"

namespace storeflow::runtime {

Result<store::Transaction*> StepContext::Transaction() {
  return committer.StepTransaction();
}

std::string IdempotencyKey(const ExecutorServices& services, std::int64_t run_id,
                           const std::string& path) {
  return services.store.InstallationId() + "/" + std::to_string(run_id) + "/" + path;
}

Result<std::string> EffectKey(const ExecutorServices& services, std::int64_t run_id,
                              const std::string& path, const workflow::Step& step,
                              script::Sandbox& sandbox, const Json& scope,
                              const script::CallContext& call) {
  const auto* uses = std::get_if<workflow::UsesStep>(&step.kind);
  if (uses == nullptr || !uses->idempotency_key) return IdempotencyKey(services, run_id, path);
  auto text = workflow::RenderString(*uses->idempotency_key, sandbox, scope, call);
  if (!text.ok()) return text.status();
  if (text->empty()) {
    return Status(StatusCode::kInvalidArgument,
                  "the idempotency_key of step '" + path + "' rendered empty");
  }
  return services.store.InstallationId() + "/" + std::to_string(run_id) + "/key:" + *text;
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
