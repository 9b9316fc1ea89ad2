// The plugin test kit (engine/include/storeflow/testkit.hpp): a PluginHost over
// a store, for a plugin's own tests. Everything the engine needs stays behind
// TestHost::Impl, so the public header needs only nlohmann/json.

#include "storeflow/testkit.hpp"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <utility>

#include "plugin/plugin_descriptor.h"
#include "plugin/plugin_host.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/secrets.h"
#include "store/store.h"

namespace storeflow::testkit {

namespace fs = std::filesystem;

struct TestHost::Impl {
  std::unique_ptr<runtime::VirtualClock> clock;
  std::unique_ptr<store::Store> store;
  runtime::ActionRegistry registry;
  mutable std::mutex log_mu;
  std::vector<std::string> log_lines;
  plugin::PluginInfo info;
  std::string error;
  std::unique_ptr<plugin::PluginHost> host;  // last: destroyed first

  void Log(std::string_view level, std::string_view message) {
    std::lock_guard lock(log_mu);
    log_lines.push_back(std::string(level) + ": " + std::string(message));
  }
};

std::ostream& operator<<(std::ostream& out, const Reply& reply) {
  if (reply.ok) return out << "ok " << reply.output.dump();
  out << (reply.retryable ? "retryable" : "permanent") << " error " << reply.code << ": "
      << reply.message;
  if (reply.retry_after_ms) out << " (retry after " << *reply.retry_after_ms << " ms)";
  return out;
}

TestHost::TestHost(const std::string& plugin_dir, HostOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  fs::path yaml = plugin_dir;
  if (yaml.filename() != "plugin.yaml") yaml /= "plugin.yaml";
  auto store = store::Store::Open(options.database, store::OpenOptions());
  if (!store.ok()) {
    s.error = "the test store " + options.database + ": " + store.status().ToString();
    return;
  }
  s.store = std::move(store).value();
  if (options.clock_ms) s.clock = std::make_unique<runtime::VirtualClock>(*options.clock_ms);

  plugin::PluginHostOptions host_options;
  host_options.store = s.store.get();
  host_options.clock = s.clock.get();
  host_options.log = [impl = &s](std::string_view level, std::string_view message) {
    impl->Log(level, message);
  };
  host_options.secrets = std::make_shared<runtime::SecretStore>(std::move(options.secrets));
  // The config is keyed by the name plugin.yaml declares (when it cannot be
  // read, LoadOne says why).
  if (auto descriptor = plugin::ReadPluginDescriptor(yaml); descriptor.ok()) {
    host_options.configs[descriptor->name] = std::move(options.config);
  }
  s.host = std::make_unique<plugin::PluginHost>(host_options);
  s.info = s.host->LoadOne(yaml, s.registry);
  if (!s.info.loaded()) s.error = s.info.error.ToString();
}

TestHost::~TestHost() = default;

bool TestHost::loaded() const {
  return impl_->error.empty() && impl_->info.loaded();
}
std::string TestHost::error() const {
  return impl_->error;
}
std::string TestHost::name() const {
  return impl_->info.name;
}
std::string TestHost::version() const {
  return impl_->info.version;
}
std::string TestHost::abi() const {
  return impl_->info.abi;
}
std::vector<std::string> TestHost::actions() const {
  return impl_->info.actions;
}
Json TestHost::config_schema() const {
  return impl_->info.config_schema;
}

Reply TestHost::Invoke(const std::string& action, const Json& input, const CallOptions& call) {
  Reply reply;
  runtime::Action* found = impl_->registry.Find(action);
  if (found == nullptr) {
    reply.code = "unknown_action";
    std::string known;
    for (const std::string& name : impl_->info.actions) known += (known.empty() ? "" : ", ") + name;
    reply.message =
        "the plugin has no action '" + action + "'" +
        (loaded() ? " (its actions: " + known + ")" : " (it did not load: " + error() + ")");
    return reply;
  }
  runtime::ActionContext context;
  context.run_id = call.run_id;
  context.workflow = call.workflow;
  context.step_path = call.step_path;
  context.attempt = call.attempt;
  context.idempotency_key = call.idempotency_key.empty()
                                ? "testkit/" + std::to_string(call.run_id) + "/" + call.step_path
                                : call.idempotency_key;
  context.now = impl_->clock ? impl_->clock->Now() : runtime::SystemClock().Now();
  context.log = [impl = impl_.get()](std::string_view level, std::string_view message) {
    impl->Log(level, message);
  };
  runtime::ActionResult result = found->Invoke(input, context);
  if (result.ok()) {
    reply.ok = true;
    reply.output = result.output();
    return reply;
  }
  const runtime::ActionError& e = result.error();
  reply.code = e.code;
  reply.message = e.message;
  reply.retryable = !e.permanent();
  if (e.retry_after) reply.retry_after_ms = e.retry_after->count();
  return reply;
}

SourceRun TestHost::RunSource(const std::string& source, const std::vector<std::string>& topics,
                              std::size_t count, std::chrono::milliseconds timeout) {
  SourceRun run;
  if (!impl_->host) {
    run.error = impl_->error;
    return run;
  }
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> seen;
  auto publisher = [&](plugin::SourceEvent event) -> Result<bool> {
    std::lock_guard lock(mu);
    SourceEvent out{std::move(event.topic), std::move(event.dedup_key), std::move(event.payload)};
    if (out.dedup_key) out.duplicate = !seen.insert(*out.dedup_key).second;
    const bool fresh = !out.duplicate;
    run.events.push_back(std::move(out));
    cv.notify_all();
    return fresh;
  };
  Status started = impl_->host->StartSources({{source, topics}}, publisher);
  if (!started.ok()) {
    run.error = started.ToString();
    return run;
  }
  {
    std::unique_lock lock(mu);
    cv.wait_for(lock, timeout, [&] { return run.events.size() >= count; });
  }
  impl_->host->StopSources();
  std::lock_guard lock(mu);
  return run;
}

void TestHost::AdvanceClockTo(std::int64_t ms) {
  if (impl_->clock) impl_->clock->AdvanceTo(ms);
}

std::vector<std::string> TestHost::logs() const {
  std::lock_guard lock(impl_->log_mu);
  return impl_->log_lines;
}

bool TestHost::Logged(const std::string& text) const {
  const auto lines = logs();
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

}  // namespace storeflow::testkit
