#include "plugin/loaded_plugin.h"

#include <algorithm>
#include <mutex>

#include "common/json_nesting.h"
#include "plugin/plugin_manifest.h"

namespace storeflow::plugin {

using Json = nlohmann::json;

runtime::ActionError ReplyToError(const storeflow_reply& reply) {
  if (reply.kind == STOREFLOW_ERROR_RETRYABLE) {
    std::optional<Duration> retry_after;
    if (reply.retry_after_ms >= 0) retry_after = Duration(reply.retry_after_ms);
    return runtime::ActionError::Retryable(reply.code, reply.message, retry_after);
  }
  return runtime::ActionError::Permanent(reply.code, reply.message);
}

LoadedPlugin::LoadedPlugin(std::shared_ptr<PluginLibrary> library,
                           std::unique_ptr<HostServices> services)
    : library_(std::move(library)), services_(std::move(services)) {}

LoadedPlugin::~LoadedPlugin() {
  Shutdown();
}

void LoadedPlugin::Isolate(const IsolationOptions& options) {
  std::unique_lock lock(mu_);
  WorkerProcessOptions process;
  process.executable = options.executable;
  process.plugin_yaml = library_->descriptor().file.string();
  process.plugin = name();
  isolated_ =
      std::make_unique<IsolatedPlugin>(std::move(process), options.max_processes, *services_);
}

Status LoadedPlugin::Init(const Json& config) {
  std::unique_lock lock(mu_);
  const std::string text = config.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (isolated_) {
    Status started = isolated_->Init(text);
    if (!started.ok()) {
      return FailedPrecondition("plugin '" + name() + "' (" + library_->path() +
                                ", isolated): " + started.message());
    }
    isolated_ready_ = true;
    return Status::Ok();
  }
  storeflow_reply reply;
  void* instance = nullptr;
  try {
    instance = library_->table().init(services_->table(), text.c_str(), &reply);
  } catch (...) {
    return FailedPrecondition("plugin '" + name() + "' (" + library_->path() +
                              "): init let an exception escape");
  }
  if (instance == nullptr) {
    std::string why = reply.replies > 0 && !reply.ok ? reply.code + ": " + reply.message
                                                     : "init returned no instance";
    return FailedPrecondition("plugin '" + name() + "' (" + library_->path() +
                              ") failed in init: " + why);
  }
  instance_ = instance;
  if (reply.replies > 1) {
    services_->Warn(nullptr, "init replied " + std::to_string(reply.replies) +
                                 " times (the first answer counts)");
  }
  if (reply.replies > 0 && !reply.ok) {  // an instance and an error: believe the error
    lock.unlock();
    Shutdown();
    return FailedPrecondition("plugin '" + name() + "' (" + library_->path() +
                              ") failed in init: " + reply.code + ": " + reply.message);
  }
  return Status::Ok();
}

runtime::ActionResult LoadedPlugin::Invoke(const std::string& action, const Json& input,
                                           const runtime::ActionContext& context) {
  std::shared_lock lock(mu_);
  const std::string who = "plugin '" + name() + "' action '" + action + "'";
  if (instance_ == nullptr && !isolated_ready_) {
    return runtime::ActionError::Permanent("plugin_unavailable", who + ": the plugin is shut down");
  }
  const std::string text = input.dump(-1, ' ', false, Json::error_handler_t::replace);
  storeflow_call_v1 call{};
  call.struct_size = sizeof(storeflow_call_v1);
  call.run_id = context.run_id;
  call.workflow = context.workflow.c_str();
  call.step_path = context.step_path.c_str();
  call.idempotency_key = context.idempotency_key.c_str();
  call.attempt = context.attempt;
  call.now_ms = context.now;
  call.deadline_ms = context.deadline.value_or(-1);
  call.previous_attempt = static_cast<std::int32_t>(context.previous_attempt);
  storeflow_reply reply;
  if (isolated_) {
    // The worker gets the step's remaining time plus a grace to answer in.
    constexpr std::int64_t kGraceMs = 2'000;
    const std::int64_t timeout =
        context.deadline ? std::max<std::int64_t>(0, *context.deadline - context.now) + kGraceMs
                         : -1;
    Status done = isolated_->Invoke(action, text, call, timeout, reply);
    if (done.code() == StatusCode::kDeadlineExceeded) {
      return runtime::ActionError::Retryable("timeout", who + ": " + done.message());
    }
    if (!done.ok())
      return runtime::ActionError::Retryable("plugin_crashed", who + ": " + done.message());
  } else {
    try {
      library_->table().invoke(instance_, action.c_str(), text.c_str(), &call, &reply);
    } catch (const std::exception& e) {
      return runtime::ActionError::Permanent("plugin_exception",
                                             who + " let an exception escape: " + e.what());
    } catch (...) {
      return runtime::ActionError::Permanent("plugin_exception", who + " let an exception escape");
    }
  }
  if (reply.replies == 0) {
    return runtime::ActionError::Permanent("plugin_no_reply", who + " returned without a reply");
  }
  if (reply.replies > 1) {
    services_->Warn(&call, "action '" + action + "' replied " + std::to_string(reply.replies) +
                               " times (the first answer counts)");
  }
  if (!reply.ok) return ReplyToError(reply);
  if (const std::size_t at = FindJsonNestingOverflow(reply.output); at != std::string::npos) {
    return runtime::ActionError::Permanent(
        "plugin_bad_output", who + " replied with output whose " + JsonNestingMessage() + " (at " +
                                 TextPosition(reply.output, at) + ")");
  }
  try {
    return Json::parse(reply.output);
  } catch (const Json::parse_error& e) {
    return runtime::ActionError::Permanent(
        "plugin_bad_output", who + " replied with output that is not JSON (at " +
                                 TextPosition(reply.output, e.byte > 0 ? e.byte - 1 : 0) + ")");
  }
}

Status LoadedPlugin::CanRunSources() const {
  const std::string who = "plugin '" + name() + "' (" + library_->path() + ")";
  if (isolated_) {
    return FailedPrecondition(who +
                              " runs isolated (plugins.isolate), and isolated plugins cannot run "
                              "event sources yet: remove it from plugins.isolate to use its "
                              "sources");
  }
  if (library_->start_source() == nullptr) {
    return FailedPrecondition(who + " is built for ABI " + library_->abi() +
                              " and has no start_source: event sources need ABI 1.3");
  }
  return Status::Ok();
}

Status LoadedPlugin::RunSource(const std::string& source, const std::string& config_json,
                               const storeflow_source_host& host) {
  STOREFLOW_RETURN_IF_ERROR(CanRunSources());
  std::shared_lock lock(mu_);
  const std::string who = "plugin '" + name() + "' source '" + source + "'";
  if (instance_ == nullptr) return FailedPrecondition(who + ": the plugin is shut down");
  std::int32_t done = -1;
  try {
    done = library_->start_source()(instance_, source.c_str(), config_json.c_str(), &host);
  } catch (const std::exception& e) {
    return Internal(who + " let an exception escape: " + e.what());
  } catch (...) {
    return Internal(who + " let an exception escape");
  }
  if (done != 0)
    return Internal(who + " failed (start_source returned " + std::to_string(done) + ")");
  return Status::Ok();
}

void LoadedPlugin::Shutdown() {
  std::unique_lock lock(mu_);
  if (isolated_) {
    isolated_ready_ = false;
    isolated_->Shutdown();
    return;
  }
  if (instance_ == nullptr) return;
  void* instance = instance_;
  instance_ = nullptr;
  try {
    library_->table().shutdown(instance);
  } catch (...) {  // nothing to do: the instance is gone either way
  }
}

}  // namespace storeflow::plugin
