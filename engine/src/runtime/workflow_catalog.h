#pragma once

// The workflows an engine knows: the current version of each (whose triggers
// start new runs) and every version a run is pinned to, by content hash. A
// version not in memory is read back from the store's workflow_versions.
// Thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/json_schema.h"
#include "common/result.h"
#include "runtime/clock.h"
#include "runtime/workflow_config.h"
#include "script/sandbox.h"
#include "store/store.h"
#include "workflow/model.h"
#include "workflow/validator.h"

namespace storeflow::runtime {

// The rule scripts a workflow version's `rule:` steps call, by path as written.
using RuleSources = std::map<std::string, script::RuleSource>;

struct LoadedWorkflow {
  // The version's id: the sha256 of the source text, or, when it has `rule:`
  // steps, of the source text and its rule scripts' texts (VersionHash).
  std::string hash;
  std::string source_path;
  std::string source;
  std::shared_ptr<const workflow::Workflow> workflow;
  // The rule scripts as they were when the version was registered (pinned: a
  // rule edit does not reach runs of this version). Null for a version stored
  // before rules were pinned (schema 8) that has rule steps: its runs read the
  // files as they are.
  std::shared_ptr<const RuleSources> rules;
  // The compiled `input.schema` (nullptr without one); events failing it start a
  // run that is recorded as rejected with the JSON path of each violation.
  std::shared_ptr<const JsonSchema> input_schema;
};

// A wait_for key expression: its stable id and the expression itself.
struct WaitKeyExpression {
  std::string expr_id;
  const workflow::Expression* expression = nullptr;  // nullptr: a wait without key
  std::shared_ptr<const LoadedWorkflow> owner;       // keeps `expression` alive
};

// The hex sha256 of `text`.
std::string ContentHash(std::string_view text);
// A version's hash: ContentHash(source) without rules (as before rules were
// pinned, so such versions keep their id), else the sha256 of the source and each
// rule's path and text.
std::string VersionHash(std::string_view source, const RuleSources& rules);

// The `queue: <source>/<topic>` triggers of `set`: each source with its topics,
// sorted and distinct.
std::map<std::string, std::vector<std::string>> QueueTopicsOf(
    const std::vector<std::shared_ptr<const LoadedWorkflow>>& set);

// What installing a set of workflows changes (by workflow name, sorted).
struct CatalogChanges {
  std::vector<std::string> added;      // not current before
  std::vector<std::string> changed;    // current with another version (hash)
  std::vector<std::string> removed;    // current before, not in the set
  std::vector<std::string> unchanged;  // current with the same version
  bool any() const { return !added.empty() || !changed.empty() || !removed.empty(); }
};
// The id under which an expression's values are indexed ("k" + 16 hex digits of
// its code's sha256; "any" for a wait_for without key).
std::string ExpressionId(const workflow::Expression* expression);

class WorkflowCatalog {
 public:
  // `root`: where rule scripts resolve (the project root).
  explicit WorkflowCatalog(std::string root = ".") : root_(std::move(root)) {}
  // Checks the action of each `uses:` step when a workflow is registered (see
  // workflow::ValidateOptions::check_action). Set before workflows are loaded.
  void set_action_check(std::function<std::vector<workflow::ActionProblem>(
                            const workflow::Workflow&, const workflow::Step&, const std::string&)>
                            check) {
    action_check_ = std::move(check);
  }

  // Checks the event sources of `queue:` triggers (ValidateOptions::check_source).
  void set_source_check(std::function<std::string(const std::string&)> check) {
    source_check_ = std::move(check);
  }

  // Checks the secrets http triggers' `auth:` names (ValidateOptions::check_secret).
  void set_secret_check(std::function<bool(const std::string&)> check) {
    secret_check_ = std::move(check);
  }
  const std::string& root() const { return root_; }

  // Per-installation values of the workflows' `config:` (runtime/workflow_config.h),
  // applied to every version loaded from now on: strictly to a version being
  // registered (a bad value fails Register, naming where it was written), leniently
  // to older versions read back for runs pinned to them. Set before workflows load.
  void set_config_overrides(WorkflowConfigOverrides overrides);
  // The overrides no current workflow used (UnusedWorkflowConfig): call once every
  // workflow is registered.
  std::vector<std::string> UnusedConfigOverrides() const;

  // Loads (and validates) `source`, stores the version, and makes it the current
  // version of its workflow. InvalidArgument lists every diagnostic.
  Result<std::shared_ptr<const LoadedWorkflow>> Register(const std::string& source,
                                                         const std::string& source_path,
                                                         store::Store& store, TimeMs now);
  // Reads and registers a file.
  Result<std::shared_ptr<const LoadedWorkflow>> RegisterFile(const std::string& path,
                                                             store::Store& store, TimeMs now);

  // ---- a whole set at once (serve's start and its reloads) ----
  //
  // Loads and validates every file as Register does, without storing anything or
  // changing the current versions; also checks that no two files define one
  // workflow and, with config overrides, that each names a workflow of the set.
  // InvalidArgument listing every problem of every file (file:line:col lines).
  Result<std::vector<std::shared_ptr<const LoadedWorkflow>>> Prepare(
      const std::vector<std::string>& files);
  // What Install(set) would change.
  CatalogChanges Compare(const std::vector<std::shared_ptr<const LoadedWorkflow>>& set) const;
  // Stores the set's versions (one transaction; a version already stored is
  // kept) and then, atomically for readers, makes the set the current workflows:
  // a workflow not in it is no longer current (no trigger starts it; runs pinned
  // to its versions go on). On a store error nothing changes.
  Result<CatalogChanges> Install(const std::vector<std::shared_ptr<const LoadedWorkflow>>& set,
                                 store::Store& store, TimeMs now);

  std::shared_ptr<const LoadedWorkflow> Current(const std::string& name) const;
  std::vector<std::shared_ptr<const LoadedWorkflow>> Currents() const;
  // The version with `hash` if it is in memory (nullptr otherwise: use ByHash).
  std::shared_ptr<const LoadedWorkflow> Cached(const std::string& hash) const;
  // The version with `hash`, from memory or the store.
  Result<std::shared_ptr<const LoadedWorkflow>> ByHash(const std::string& hash,
                                                       store::Transaction& tx);
  // The wait_for key expressions of every known version that wait for `topic`.
  std::vector<WaitKeyExpression> WaitKeys(const std::string& topic) const;
  // The topics of webhook source `source` ("shopify") the current versions listen
  // to: `webhook: <source>/<topic>` triggers and `wait_for` steps (at any depth)
  // waiting for `<source>/<topic>`. Sorted, distinct ("carts/create", ...).
  std::vector<std::string> SourceTopics(const std::string& source) const;
  // The `queue: <source>/<topic>` triggers of the current workflows: each
  // source with its topics, sorted and distinct (what the plugin event sources
  // must feed).
  std::map<std::string, std::vector<std::string>> QueueTopics() const;

 private:
  // check_rules: a version being registered (validated strictly; its rule
  // scripts are read and pinned, its hash computed). Otherwise a stored version
  // (`hash` and `rules` as stored).
  Result<std::shared_ptr<const LoadedWorkflow>> Load(const std::string& source,
                                                     const std::string& source_path,
                                                     const std::string& hash, bool check_rules,
                                                     const nlohmann::json* stored_rules = nullptr);
  // Reads the rule scripts `wf` calls from under root_.
  Result<RuleSources> ReadRules(const workflow::Workflow& wf) const;
  void Remember(const std::shared_ptr<const LoadedWorkflow>& loaded);

  std::string root_;
  std::function<std::vector<workflow::ActionProblem>(const workflow::Workflow&,
                                                     const workflow::Step&, const std::string&)>
      action_check_;
  std::function<bool(const std::string&)> secret_check_;
  std::function<std::string(const std::string&)> source_check_;
  WorkflowConfigOverrides overrides_;  // set before loading; read-only after
  mutable std::mutex mu_;
  std::set<std::string> used_env_;  // STOREFLOW_WORKFLOW(S)_* variables applied
  std::map<std::string, std::shared_ptr<const LoadedWorkflow>> by_hash_;
  std::map<std::string, std::shared_ptr<const LoadedWorkflow>> current_;  // by name
  // topic -> wait keys (rebuilt as versions are added)
  std::map<std::string, std::vector<WaitKeyExpression>> wait_keys_;
};

}  // namespace storeflow::runtime
