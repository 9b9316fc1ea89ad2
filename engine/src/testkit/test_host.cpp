// The plugin test kit (engine/include/storeflow/testkit.hpp): a PluginHost over
// a store, for a plugin's own tests. Everything the engine needs stays behind
// TestHost::Impl, so the public header needs only nlohmann/json and plugin.h.

#include "storeflow/testkit.hpp"

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <utility>

#include "common/metrics.h"
#include "plugin/host_services.h"
#include "plugin/plugin_descriptor.h"
#include "plugin/plugin_host.h"
#include "plugin/plugin_metrics.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/secrets.h"
#include "store/store.h"

namespace storeflow::testkit {

namespace fs = std::filesystem;

namespace {

using Series = std::map<std::string, std::map<metrics::Labels, double>>;

std::string MetricsPrefix(const std::string& plugin) {
  return "storeflow_plugin_" + plugin + "_";
}

// The series of `family` in `values` whose labels include every member of
// `wanted` (labels as the host parses them: names sanitized, values that are
// not strings written as JSON), summed.
double SumMatching(const Series& values, const std::string& family, const metrics::Labels& wanted) {
  auto it = values.find(family);
  if (it == values.end()) return 0;
  double sum = 0;
  for (const auto& series : it->second) {
    const metrics::Labels& labels = series.first;
    const bool match = std::all_of(wanted.begin(), wanted.end(), [&](const auto& pair) {
      return std::find(labels.begin(), labels.end(), pair) != labels.end();
    });
    if (match) sum += series.second;
  }
  return sum;
}

}  // namespace

struct TestHost::Impl {
  std::unique_ptr<runtime::VirtualClock> clock;
  std::unique_ptr<store::Store> store;
  runtime::ActionRegistry registry;
  mutable std::mutex mu;  // log_lines, acquires
  std::vector<std::string> log_lines;
  std::vector<RateAcquire> acquires;
  plugin::PluginInfo info;
  std::string name;  // the plugin's, or WithoutPlugin's
  std::string error;
  Series metrics_baseline;
  std::unique_ptr<plugin::PluginHost> host;        // destroyed after the services
  std::unique_ptr<plugin::HostServices> services;  // host_services(); destroyed first

  void Log(std::string_view level, std::string_view message) {
    std::lock_guard lock(mu);
    log_lines.push_back(std::string(level) + ": " + std::string(message));
  }

  // Opens the store and makes the host; false (with error set) when the store
  // does not open.
  bool Open(HostOptions& options, const std::string& plugin_name) {
    auto opened = store::Store::Open(options.database, store::OpenOptions());
    if (!opened.ok()) {
      error = "the test store " + options.database + ": " + opened.status().ToString();
      return false;
    }
    store = std::move(opened).value();
    if (options.clock_ms) clock = std::make_unique<runtime::VirtualClock>(*options.clock_ms);
    plugin::PluginHostOptions host_options;
    host_options.store = store.get();
    host_options.clock = clock.get();
    host_options.log = [this](std::string_view level, std::string_view message) {
      Log(level, message);
    };
    host_options.secrets = std::make_shared<runtime::SecretStore>(std::move(options.secrets));
    host_options.rate_observer = [this](const std::string& plugin, const std::string& bucket,
                                        double cost) {
      if (plugin != name) return;
      std::lock_guard lock(mu);
      acquires.push_back(RateAcquire{bucket, cost});
    };
    if (!plugin_name.empty()) host_options.configs[plugin_name] = std::move(options.config);
    host = std::make_unique<plugin::PluginHost>(host_options);
    return true;
  }

  // After the plugin's name is known: the host services table and the metrics
  // baseline.
  void Finish() {
    if (!host) return;
    services = host->MakeServices(name);
    metrics_baseline = metrics::Registry::Default().Values(MetricsPrefix(name));
  }
};

std::ostream& operator<<(std::ostream& out, const Reply& reply) {
  if (reply.ok) return out << "ok " << reply.output.dump();
  out << (reply.retryable ? "retryable" : "permanent") << " error " << reply.code << ": "
      << reply.message;
  if (reply.retry_after_ms) out << " (retry after " << *reply.retry_after_ms << " ms)";
  return out;
}

TestHost::TestHost(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TestHost::TestHost(const std::string& plugin_dir, HostOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  fs::path yaml = plugin_dir;
  if (yaml.filename() != "plugin.yaml") yaml /= "plugin.yaml";
  // The config is keyed by the name plugin.yaml declares (when it cannot be
  // read, LoadOne says why).
  std::string declared;
  if (auto descriptor = plugin::ReadPluginDescriptor(yaml); descriptor.ok()) {
    declared = descriptor->name;
  }
  if (!s.Open(options, declared)) return;
  s.info = s.host->LoadOne(yaml, s.registry);
  s.name = s.info.name;
  if (!s.info.loaded()) s.error = s.info.error.ToString();
  s.Finish();
}

std::unique_ptr<TestHost> TestHost::WithoutPlugin(const std::string& plugin_name,
                                                  HostOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->name = plugin_name;
  impl->info.name = plugin_name;
  if (impl->Open(options, "")) impl->Finish();
  return std::unique_ptr<TestHost>(new TestHost(std::move(impl)));
}

TestHost::~TestHost() = default;

bool TestHost::loaded() const {
  return impl_->error.empty() && impl_->info.loaded();
}
std::string TestHost::error() const {
  return impl_->error;
}
Reply TestHost::init_error() const {
  // The engine says "plugin 'NAME' (PATH) failed in init: CODE: MESSAGE"
  // (plugin/loaded_plugin.cpp).
  Reply reply;
  const std::string& error = impl_->error;
  const std::string marker = ") failed in init: ";
  const auto at = error.find(marker);
  const auto colon = at == std::string::npos ? at : error.find(": ", at + marker.size());
  if (colon == std::string::npos) {
    reply.message = error;
    return reply;
  }
  reply.code = error.substr(at + marker.size(), colon - at - marker.size());
  reply.message = error.substr(colon + 2);
  return reply;
}
std::string TestHost::name() const {
  return impl_->name;
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
Json TestHost::manifest() const {
  return impl_->info.manifest;
}
const storeflow_host_v1* TestHost::host_services() const {
  return impl_->services ? impl_->services->table() : nullptr;
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
  context.deadline = call.deadline_ms;
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
  std::lock_guard lock(impl_->mu);
  return impl_->log_lines;
}

bool TestHost::Logged(const std::string& text) const {
  const auto lines = logs();
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

double TestHost::Counter(const std::string& name, const Json& labels) const {
  // The exported name, with the unit the manifest declares for it (if any).
  std::string unit;
  const Json& declared =
      impl_->info.manifest.is_object() && impl_->info.manifest.contains("metrics")
          ? impl_->info.manifest["metrics"]
          : Json();
  if (declared.is_array()) {
    for (const Json& spec : declared) {
      if (spec.is_object() && spec.value("name", "") == name && spec.value("type", "") == "counter")
        unit = spec.value("unit", "");
    }
  }
  const std::string family =
      plugin::ExportedMetricName(impl_->name, name, metrics::Type::kCounter, unit);
  metrics::Labels wanted;
  if (labels.is_object()) {
    for (const auto& [key, value] : labels.items()) {
      wanted.emplace_back(metrics::SanitizeMetricName(key),
                          value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  const Series now = metrics::Registry::Default().Values(family);
  return SumMatching(now, family, wanted) - SumMatching(impl_->metrics_baseline, family, wanted);
}

std::optional<double> TestHost::RateLevel(const std::string& bucket) const {
  if (!impl_->host) return std::nullopt;
  return impl_->host->rate().Level(impl_->name + "/" + bucket);
}

void TestHost::SetRateLevel(const std::string& bucket, double level) {
  if (!impl_->host || !(level >= 0)) return;
  // Refund `level` into a bucket capped at `level` (so it is `level` whatever it
  // held), with no refill for the time it was idle.
  const double capacity = level > 0 ? level : 1;
  (void)impl_->host->rate().Adjust(impl_->name + "/" + bucket, capacity, 0, level, level);
}

std::vector<RateAcquire> TestHost::RateAcquires() const {
  std::lock_guard lock(impl_->mu);
  return impl_->acquires;
}

}  // namespace storeflow::testkit
