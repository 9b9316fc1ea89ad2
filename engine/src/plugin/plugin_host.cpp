#include "plugin/plugin_host.h"

#include <algorithm>
#include <system_error>

#include "common/did_you_mean.h"
#include "plugin/plugin_action.h"
#include "plugin/plugin_descriptor.h"
#include "plugin/plugin_library.h"

namespace storeflow::plugin {
namespace {

namespace fs = std::filesystem;

// plugin.yaml files under `dir`: its own, then those of its sub-folders (sorted).
std::vector<fs::path> FindDescriptors(const fs::path& dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  if (fs::is_regular_file(dir / "plugin.yaml", ec)) found.push_back(dir / "plugin.yaml");
  std::vector<fs::path> subs;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code ignored;
    if (entry.is_directory(ignored) && fs::is_regular_file(entry.path() / "plugin.yaml", ignored)) {
      subs.push_back(entry.path() / "plugin.yaml");
    }
  }
  std::sort(subs.begin(), subs.end());
  found.insert(found.end(), subs.begin(), subs.end());
  return found;
}

}  // namespace

PluginHost::PluginHost(PluginHostOptions options) : options_(std::move(options)) {
  runtime::Clock& clock = options_.clock != nullptr ? *options_.clock : system_clock_;
  rate_ = std::make_unique<RateGovernor>(options_.store, clock);
  auto env = std::make_shared<HostEnvironment>();
  env->store = options_.store;
  env->clock = &clock;
  env->secrets = options_.secrets;
  env->rate = rate_.get();
  env->log = options_.log;
  env->template_limits = options_.template_limits;
  env->topics = topics_;
  env->public_url = options_.public_url;
  env->rate_observer = options_.rate_observer;
  env_ = std::move(env);
}

PluginHost::~PluginHost() {
  Shutdown();
}

void PluginHost::Shutdown() {
  StopSources();
  for (auto it = loaded_.rbegin(); it != loaded_.rend(); ++it) (*it)->Shutdown();
}

void PluginHost::LoadAll(runtime::ActionRegistry& registry) {
  for (const fs::path& dir : options_.dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      warnings_.push_back("plugin folder " + dir.string() + " does not exist");
      continue;
    }
    for (const fs::path& file : FindDescriptors(dir)) LoadOne(file, registry);
  }
  std::vector<std::string> names;
  for (const PluginInfo& info : infos_) names.push_back(info.name);
  for (const auto& [name, config] : options_.configs) {
    if (Find(name) == nullptr) {
      std::string where = "plugins.config." + name;
      if (auto loc = options_.config_locations.find(name);
          loc != options_.config_locations.end() && loc->second.count("") != 0) {
        where = loc->second.at("") + ": " + where;
      }
      warnings_.push_back(where + ": no plugin named '" + name + "' was found" +
                          ValidChoicesHint(name, names, "found"));
    }
  }
  for (const std::string& name : options_.isolate) {
    if (Find(name) == nullptr) {
      warnings_.push_back("plugins.isolate: no plugin named '" + name + "' was found" +
                          ValidChoicesHint(name, names, "found"));
    }
  }
}

PluginInfo PluginHost::LoadOne(const fs::path& file, runtime::ActionRegistry& registry) {
  PluginInfo info;
  info.name = file.parent_path().filename().string();
  info.path = file.string();
  info.error = Load(file, registry, info);
  infos_.push_back(info);
  return info;
}

Status PluginHost::Load(const fs::path& file, runtime::ActionRegistry& registry, PluginInfo& info) {
  auto descriptor = ReadPluginDescriptor(file);
  if (!descriptor.ok()) return descriptor.status();
  info.name = descriptor->name;
  info.version = descriptor->version;
  info.abi = std::to_string(descriptor->abi_major) + "." + std::to_string(descriptor->abi_minor);
  info.description = descriptor->description;
  info.path = descriptor->library_path().string();
  if (auto it = seen_.find(descriptor->name); it != seen_.end()) {
    return {StatusCode::kAlreadyExists, file.string() + ": a plugin named '" + descriptor->name +
                                            "' is already loaded from " + it->second +
                                            " (plugin names must be unique)"};
  }
  seen_.emplace(descriptor->name, file.string());

  auto library = PluginLibrary::Load(*descriptor);
  if (!library.ok()) return library.status();
  const PluginManifest& manifest = (*library)->manifest();
  info.abi = (*library)->abi();
  if (info.description.empty()) info.description = manifest.description;
  for (const ActionSpec& spec : manifest.actions) info.actions.push_back(spec.name);
  info.sources = manifest.sources;
  info.config_schema = manifest.config_schema;
  info.manifest = nlohmann::json::parse((*library)->table().manifest_json, nullptr, false);
  for (const ActionSpec& spec : manifest.actions) {
    if (registry.Find(spec.name) != nullptr) {
      return {StatusCode::kAlreadyExists,
              (*library)->path() + ": action '" + spec.name +
                  "' is already registered (by a built-in or an earlier plugin)"};
    }
  }

  const nlohmann::json config = options_.configs.count(descriptor->name) != 0
                                    ? options_.configs.at(descriptor->name)
                                    : nlohmann::json::object();
  static const ConfigLocations kNone;
  auto locations = options_.config_locations.find(descriptor->name);
  STOREFLOW_RETURN_IF_ERROR(
      CheckPluginConfig(descriptor->name, manifest.config_schema, manifest.config.get(), config,
                        locations != options_.config_locations.end() ? locations->second : kNone));

  auto services = std::make_unique<HostServices>(descriptor->name, env_);
  services->DeclareMetrics(manifest.metrics);
  auto plugin = std::make_shared<LoadedPlugin>(*library, std::move(services));
  if (std::find(options_.isolate.begin(), options_.isolate.end(), descriptor->name) !=
      options_.isolate.end()) {
    IsolationOptions isolation = options_.isolation;
    if (isolation.executable.empty()) {
      std::error_code ec;
      isolation.executable = fs::read_symlink("/proc/self/exe", ec).string();
    }
    plugin->Isolate(isolation);
    info.isolated = true;
  }
  for (const std::string& source : manifest.source_names) {
    if (auto it = sources_.find(source); it != sources_.end()) {
      return {StatusCode::kAlreadyExists,
              (*library)->path() + ": source '" + source + "' is already declared by plugin '" +
                  it->second->name() + "' (source names must be unique)"};
    }
  }
  for (const std::string& source : manifest.source_names) {
    failed_sources_.emplace(source, descriptor->name);
  }
  STOREFLOW_RETURN_IF_ERROR(plugin->Init(config));
  loaded_.push_back(plugin);
  for (const std::string& source : manifest.source_names) {
    failed_sources_.erase(source);
    sources_.emplace(source, plugin);
  }
  for (const ActionSpec& spec : manifest.actions) {
    Status registered = registry.Register(std::make_shared<PluginAction>(plugin, spec));
    if (!registered.ok()) return registered;  // checked above; kept for safety
  }
  return Status::Ok();
}

std::map<std::string, std::string> PluginHost::SourceNames() const {
  std::map<std::string, std::string> names;
  for (const auto& [source, plugin] : sources_) names.emplace(source, plugin->name());
  return names;
}

std::string PluginHost::SourceProblem(const std::string& source) const {
  if (auto failed = failed_sources_.find(source); failed != failed_sources_.end()) {
    const PluginInfo* info = Find(failed->second);
    return "its plugin '" + failed->second +
           "' failed to load: " + (info != nullptr ? info->error.message() : "");
  }
  auto it = sources_.find(source);
  if (it == sources_.end()) {
    std::vector<std::string> known;
    for (const auto& [name, plugin] : sources_) known.push_back(name);
    return "no loaded plugin declares a source named '" + source + "'" +
           ValidChoicesHint(source, known, "known sources");
  }
  if (Status can = it->second->CanRunSources(); !can.ok()) return can.message();
  return "";
}

Status PluginHost::StartSources(const std::map<std::string, std::vector<std::string>>& wanted,
                                SourcePublisher publisher, SourceRunnerOptions options) {
  std::string problems;
  for (const auto& [source, topics] : wanted) {
    std::string listened;
    for (const std::string& topic : topics) {
      listened += (listened.empty() ? "" : ", ") + ("queue: " + source + "/" + topic);
    }
    const std::string problem = SourceProblem(source);
    if (!problem.empty()) {
      problems +=
          (problems.empty() ? "" : "\n  ") + ("workflows listen to " + listened + ": " + problem);
    }
  }
  if (!problems.empty()) {
    return FailedPrecondition("cannot start the event sources:\n  " + problems);
  }
  for (const auto& [source, topics] : wanted) {
    auto runner = std::make_unique<SourceRunner>(sources_.at(source), source, topics, publisher,
                                                 options_.log, options);
    runner->Start();
    runners_.push_back(std::move(runner));
  }
  return Status::Ok();
}

void PluginHost::StopSources() {
  for (auto& runner : runners_) runner->RequestStop();  // all at once, then wait
  for (auto& runner : runners_) runner->Stop();
  runners_.clear();
}

const PluginInfo* PluginHost::Find(std::string_view name) const {
  for (const PluginInfo& info : infos_) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

const PluginInfo* PluginHost::FailedProviderOf(std::string_view action) const {
  const auto dot = action.find('.');
  if (dot == std::string_view::npos) return nullptr;
  const std::string_view plugin = action.substr(0, dot);
  for (const PluginInfo& info : infos_) {
    if (info.name == plugin && !info.loaded()) return &info;
  }
  return nullptr;
}

}  // namespace storeflow::plugin
