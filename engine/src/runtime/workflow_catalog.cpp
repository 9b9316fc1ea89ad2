#include "runtime/workflow_catalog.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

#include "workflow/loader.h"

#include <algorithm>

namespace storeflow::runtime {
namespace {

void CollectWaits(const std::vector<workflow::Step>& steps,
                  const std::shared_ptr<const LoadedWorkflow>& owner,
                  std::map<std::string, std::vector<WaitKeyExpression>>& out) {
  for (const auto& step : steps) {
    if (const auto* wait = std::get_if<workflow::WaitForStep>(&step.kind)) {
      const workflow::Expression* expr = wait->key ? &*wait->key : nullptr;
      std::string id = ExpressionId(expr);
      auto& list = out[wait->event];
      bool seen = false;
      for (const auto& existing : list) seen = seen || existing.expr_id == id;
      if (!seen) list.push_back({id, expr, owner});
    }
    CollectWaits(step.children(), owner, out);
  }
}

void CollectRuleScripts(const std::vector<workflow::Step>& steps, std::set<std::string>& out) {
  for (const auto& step : steps) {
    if (const auto* rule = std::get_if<workflow::RuleStep>(&step.kind)) {
      if (!rule->script.empty()) out.insert(rule->script);
    }
    CollectRuleScripts(step.children(), out);
  }
}

Result<std::string> ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return NotFound("cannot read " + path.string());
  return text.str();
}

}  // namespace

std::string VersionHash(std::string_view source, const RuleSources& rules) {
  if (rules.empty()) return ContentHash(source);
  std::string text(source);
  for (const auto& [path, rule] : rules) {
    text.append("\n\0rule ", 7).append(path).append(" ").append(ContentHash(rule.text));
  }
  return ContentHash(text);
}

std::string ContentHash(std::string_view text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text.data(), static_cast<unsigned>(text.size()));
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string ExpressionId(const workflow::Expression* expression) {
  if (expression == nullptr) return "any";
  return "k" + ContentHash(expression->code).substr(0, 16);
}

Result<RuleSources> WorkflowCatalog::ReadRules(const workflow::Workflow& wf) const {
  std::set<std::string> scripts;
  CollectRuleScripts(wf.steps, scripts);
  RuleSources out;
  for (const std::string& script : scripts) {
    const std::filesystem::path path = std::filesystem::path(script).is_absolute()
                                           ? std::filesystem::path(script)
                                           : std::filesystem::path(root_) / script;
    auto text = ReadText(path);
    if (!text.ok()) return text.status().WithContext("rule script " + script);
    script::RuleSource rule;
    rule.path = script;
    rule.hash = ContentHash(*text);
    rule.text = std::move(text).value();
    out.emplace(script, std::move(rule));
  }
  return out;
}

Result<std::shared_ptr<const LoadedWorkflow>> WorkflowCatalog::Load(
    const std::string& source, const std::string& source_path, const std::string& hash,
    bool check_rules, const nlohmann::json* stored_rules) {
  workflow::ValidateOptions options;
  options.root = root_;
  options.check_rules = check_rules;
  if (check_rules) options.check_action = action_check_;
  if (check_rules) options.check_secret = secret_check_;
  if (check_rules) options.check_source = source_check_;
  // The rule scripts are read before and after validation: what is pinned is
  // what was validated (a file saved in between fails the load, not a run).
  Result<RuleSources> rules_before = RuleSources{};
  if (check_rules) {
    workflow::ParsedWorkflow parsed = workflow::ParseWorkflowText(source, source_path);
    if (parsed.syntax_ok) rules_before = ReadRules(parsed.workflow);
  }
  workflow::LoadResult loaded = workflow::LoadWorkflowFromString(source, source_path, options);
  if (!loaded.ok()) return loaded.status();
  auto result = std::make_shared<LoadedWorkflow>();
  result->hash = hash;
  result->source_path = source_path;
  result->source = source;
  result->workflow = loaded.workflow();
  if (check_rules) {
    auto rules = ReadRules(*result->workflow);
    if (!rules.ok()) return rules.status();
    bool same = rules_before.ok() && rules_before->size() == rules->size();
    for (const auto& [path, rule] : *rules) {
      same = same && rules_before->count(path) > 0 && rules_before->at(path).hash == rule.hash;
    }
    if (!same) {
      return Status(StatusCode::kAborted,
                    source_path + ": error: workflow '" + result->workflow->name +
                        "': a rule script it calls changed while it was loaded; load it again");
    }
    result->hash = VersionHash(source, *rules);
    result->rules = std::make_shared<const RuleSources>(std::move(rules).value());
  } else {
    std::set<std::string> scripts;
    CollectRuleScripts(result->workflow->steps, scripts);
    RuleSources rules;
    if (stored_rules != nullptr && stored_rules->is_object()) {
      for (const auto& [path, text] : stored_rules->items()) {
        if (!text.is_string()) continue;
        script::RuleSource rule;
        rule.path = path;
        rule.text = text.get<std::string>();
        rule.hash = ContentHash(rule.text);
        rules.emplace(path, std::move(rule));
      }
    }
    bool complete = true;
    for (const std::string& script : scripts) complete = complete && rules.count(script) > 0;
    // A version stored before rules were pinned: its runs read the files.
    if (complete) result->rules = std::make_shared<const RuleSources>(std::move(rules));
  }
  if (!overrides_.empty()) {
    std::set<std::string> used;
    auto config = ApplyWorkflowConfig(*result->workflow, overrides_, check_rules, &used);
    if (!config.ok()) return config.status();
    if (*config != result->workflow->config) {
      auto copy = std::make_shared<workflow::Workflow>(*result->workflow);
      copy->config = std::move(config).value();
      // A schedule read from the config follows the installation's value.
      const auto problems = workflow::ResolveConfiguredSchedules(*copy);
      if (!problems.empty() && check_rules) {
        return InvalidArgument("workflow '" + copy->name + "' (" + source_path +
                               "): " + problems.front() + " (from workflows." + copy->name +
                               " in the engine configuration or its environment variable)");
      }
      result->workflow = std::move(copy);
    }
    std::lock_guard lock(mu_);
    used_env_.insert(used.begin(), used.end());
  }
  if (const auto& input = result->workflow->input) {
    // The validator checked that the schema exists and compiles when the version
    // was registered; a version read back later whose schema file went away runs
    // without one rather than not at all.
    auto schema = input->schema_path.empty()
                      ? JsonSchema::Parse(input->inline_schema)
                      : JsonSchema::Load(std::filesystem::path(source_path).parent_path() /
                                         input->schema_path);
    if (schema.ok()) {
      result->input_schema = *schema;
    } else if (check_rules) {
      return schema.status();
    }
  }
  return std::shared_ptr<const LoadedWorkflow>(std::move(result));
}

void WorkflowCatalog::set_config_overrides(WorkflowConfigOverrides overrides) {
  overrides_ = std::move(overrides);
}

std::vector<std::string> WorkflowCatalog::UnusedConfigOverrides() const {
  std::vector<std::shared_ptr<const workflow::Workflow>> loaded;
  for (const auto& current : Currents()) loaded.push_back(current->workflow);
  std::lock_guard lock(mu_);
  return UnusedWorkflowConfig(overrides_, loaded, used_env_);
}

void WorkflowCatalog::Remember(const std::shared_ptr<const LoadedWorkflow>& loaded) {
  // mu_ held
  if (by_hash_.emplace(loaded->hash, loaded).second) {
    CollectWaits(loaded->workflow->steps, loaded, wait_keys_);
  }
}

namespace {

store::WorkflowVersionRow VersionRow(const LoadedWorkflow& loaded, TimeMs now) {
  store::WorkflowVersionRow row;
  row.hash = loaded.hash;
  row.workflow = loaded.workflow->name;
  row.version = loaded.workflow->version;
  row.source_path = loaded.source_path;
  row.source = loaded.source;
  row.created_at = now;
  row.rules = nlohmann::json::object();
  if (loaded.rules != nullptr) {
    for (const auto& [path, rule] : *loaded.rules) row.rules[path] = rule.text;
  }
  return row;
}

}  // namespace

Result<std::shared_ptr<const LoadedWorkflow>> WorkflowCatalog::Register(
    const std::string& source, const std::string& source_path, store::Store& store, TimeMs now) {
  auto loaded = Load(source, source_path, ContentHash(source), true);
  if (!loaded.ok()) return loaded.status();
  const store::WorkflowVersionRow row = VersionRow(**loaded, now);
  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  STOREFLOW_RETURN_IF_ERROR((*tx)->PutWorkflowVersion(row));
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  std::lock_guard lock(mu_);
  Remember(*loaded);
  current_[row.workflow] = by_hash_[row.hash];
  return by_hash_[row.hash];
}

Result<std::vector<std::shared_ptr<const LoadedWorkflow>>> WorkflowCatalog::Prepare(
    const std::vector<std::string>& files) {
  std::vector<std::shared_ptr<const LoadedWorkflow>> set;
  std::string problems;
  std::map<std::string, std::string> defined_in;  // workflow name -> file
  for (const std::string& file : files) {
    auto text = ReadText(file);
    if (!text.ok()) {
      problems += (problems.empty() ? "" : "\n") + file + ": error: cannot read the file";
      continue;
    }
    auto loaded = Load(*text, file, ContentHash(*text), true);
    if (!loaded.ok()) {
      problems += (problems.empty() ? "" : "\n") + loaded.status().message();
      continue;
    }
    const std::string& name = (*loaded)->workflow->name;
    if (auto [it, fresh] = defined_in.emplace(name, file); !fresh) {
      problems += (problems.empty() ? "" : "\n") + file + ": error: workflow '" + name +
                  "' is also defined in " + it->second + " (one file per workflow)";
      continue;
    }
    set.push_back(std::move(loaded).value());
  }
  if (problems.empty() && !overrides_.empty()) {
    // workflows.<name> entries and STOREFLOW_WORKFLOW(S)_* variables nothing reads.
    std::vector<std::shared_ptr<const workflow::Workflow>> workflows;
    for (const auto& loaded : set) workflows.push_back(loaded->workflow);
    std::vector<std::string> unused;
    {
      std::lock_guard lock(mu_);
      unused = UnusedWorkflowConfig(overrides_, workflows, used_env_);
    }
    for (const std::string& problem : unused) {
      problems += (problems.empty() ? "invalid configuration:\n  " : "\n  ") + problem;
    }
  }
  if (!problems.empty()) return InvalidArgument(problems);
  return set;
}

CatalogChanges WorkflowCatalog::Compare(
    const std::vector<std::shared_ptr<const LoadedWorkflow>>& set) const {
  CatalogChanges changes;
  std::set<std::string> names;
  std::lock_guard lock(mu_);
  for (const auto& loaded : set) {
    const std::string& name = loaded->workflow->name;
    names.insert(name);
    auto it = current_.find(name);
    if (it == current_.end()) {
      changes.added.push_back(name);
    } else if (it->second->hash != loaded->hash) {
      changes.changed.push_back(name);
    } else {
      changes.unchanged.push_back(name);
    }
  }
  for (const auto& [name, loaded] : current_) {
    if (names.count(name) == 0) changes.removed.push_back(name);
  }
  for (auto* list : {&changes.added, &changes.changed, &changes.unchanged}) {
    std::sort(list->begin(), list->end());
  }
  return changes;
}

Result<CatalogChanges> WorkflowCatalog::Install(
    const std::vector<std::shared_ptr<const LoadedWorkflow>>& set, store::Store& store,
    TimeMs now) {
  auto tx = store.Begin();
  if (!tx.ok()) return tx.status();
  for (const auto& loaded : set) {
    STOREFLOW_RETURN_IF_ERROR((*tx)->PutWorkflowVersion(VersionRow(*loaded, now)));
  }
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  CatalogChanges changes = Compare(set);
  std::lock_guard lock(mu_);
  std::map<std::string, std::shared_ptr<const LoadedWorkflow>> next;
  for (const auto& loaded : set) {
    Remember(loaded);  // a version already known stays the one in memory
    next[loaded->workflow->name] = by_hash_[loaded->hash];
  }
  current_ = std::move(next);
  return changes;
}

Result<std::shared_ptr<const LoadedWorkflow>> WorkflowCatalog::RegisterFile(const std::string& path,
                                                                            store::Store& store,
                                                                            TimeMs now) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read workflow file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return Register(text.str(), path, store, now);
}

std::shared_ptr<const LoadedWorkflow> WorkflowCatalog::Current(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = current_.find(name);
  return it == current_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const LoadedWorkflow>> WorkflowCatalog::Currents() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const LoadedWorkflow>> out;
  for (const auto& [name, loaded] : current_) out.push_back(loaded);
  return out;
}

std::shared_ptr<const LoadedWorkflow> WorkflowCatalog::Cached(const std::string& hash) const {
  std::lock_guard lock(mu_);
  auto it = by_hash_.find(hash);
  return it == by_hash_.end() ? nullptr : it->second;
}

Result<std::shared_ptr<const LoadedWorkflow>> WorkflowCatalog::ByHash(const std::string& hash,
                                                                      store::Transaction& tx) {
  {
    std::lock_guard lock(mu_);
    auto it = by_hash_.find(hash);
    if (it != by_hash_.end()) return it->second;
  }
  auto row = tx.GetWorkflowVersion(hash);
  if (!row.ok()) return row.status();
  if (!row->has_value()) return NotFound("workflow version " + hash + " is not in the store");
  auto loaded = Load((*row)->source, (*row)->source_path, hash, false, &(*row)->rules);
  if (!loaded.ok()) return loaded.status();
  std::lock_guard lock(mu_);
  Remember(*loaded);
  return by_hash_[hash];
}

namespace {

// Adds the topic of `event` when it is "<source>/<topic>".
void AddSourceTopic(const std::string& source, const std::string& event,
                    std::set<std::string>& topics) {
  if (event.size() > source.size() + 1 && event.compare(0, source.size(), source) == 0 &&
      event[source.size()] == '/') {
    topics.insert(event.substr(source.size() + 1));
  }
}

void AddWaitTopics(const std::string& source, const std::vector<workflow::Step>& steps,
                   std::set<std::string>& topics) {
  for (const workflow::Step& step : steps) {
    if (const auto* wait = std::get_if<workflow::WaitForStep>(&step.kind)) {
      AddSourceTopic(source, wait->event, topics);
    }
    AddWaitTopics(source, step.children(), topics);
  }
}

}  // namespace

std::vector<std::string> WorkflowCatalog::SourceTopics(const std::string& source) const {
  std::set<std::string> topics;
  for (const auto& loaded : Currents()) {
    const workflow::Workflow& w = *loaded->workflow;
    for (const workflow::Trigger& trigger : w.triggers) {
      const auto* hook = std::get_if<workflow::WebhookTrigger>(&trigger.spec);
      if (hook != nullptr && hook->source == source) topics.insert(hook->topic);
    }
    AddWaitTopics(source, w.steps, topics);
  }
  return {topics.begin(), topics.end()};
}

std::map<std::string, std::vector<std::string>> WorkflowCatalog::QueueTopics() const {
  return QueueTopicsOf(Currents());
}

std::map<std::string, std::vector<std::string>> QueueTopicsOf(
    const std::vector<std::shared_ptr<const LoadedWorkflow>>& set) {
  std::map<std::string, std::set<std::string>> found;
  for (const auto& loaded : set) {
    for (const workflow::Trigger& trigger : loaded->workflow->triggers) {
      const auto* queue = std::get_if<workflow::QueueTrigger>(&trigger.spec);
      if (queue != nullptr) found[queue->plugin].insert(queue->queue);
    }
  }
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [source, topics] : found) out[source].assign(topics.begin(), topics.end());
  return out;
}

std::vector<WaitKeyExpression> WorkflowCatalog::WaitKeys(const std::string& topic) const {
  std::lock_guard lock(mu_);
  auto it = wait_keys_.find(topic);
  return it == wait_keys_.end() ? std::vector<WaitKeyExpression>{} : it->second;
}

}  // namespace storeflow::runtime
