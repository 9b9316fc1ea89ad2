#pragma once

// Per-installation values for a workflow's `config:` (docs/workflow-dsl.md,
// "config"): from the engine configuration's `workflows:` section
// (`workflows: { abandoned-cart: { abandon_after: 2h } }`) and from environment
// variables STOREFLOW_WORKFLOW_<WORKFLOW>_<KEY>, which win over the file (the older
// spelling STOREFLOW_WORKFLOWS_<WORKFLOW>_<KEY> is still read; when both spellings
// of one variable are set, STOREFLOW_WORKFLOW_ wins, with a warning). An
// override may only set a key the workflow declares, with a value of the same
// kind (a duration for a duration, a number for a number, ...); maps merge key by
// key. Problems name where the value was written (file:line:col or the variable).

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "workflow/model.h"

namespace storeflow::runtime {

struct WorkflowConfigValue {
  nlohmann::json value;
  std::string origin;  // "config/storeflow.yaml:12:5"
};

struct WorkflowConfigOverrides {
  // workflow name -> config key -> value (from the configuration file).
  std::map<std::string, std::map<std::string, WorkflowConfigValue>> file;
  // workflow name -> where its `workflows.<name>` entry was written.
  std::map<std::string, std::string> file_origins;
  // STOREFLOW_WORKFLOW_* and STOREFLOW_WORKFLOWS_* variable -> its text (every one
  // set, matched or not).
  std::map<std::string, std::string> env;

  bool empty() const { return file.empty() && env.empty(); }
};

// "STOREFLOW_WORKFLOW_ABANDONED_CART_ABANDON_AFTER": the prefix, then the workflow
// name and the key upper-cased, each character other than a letter or digit as '_'.
std::string WorkflowConfigEnvName(std::string_view workflow, std::string_view key);
inline constexpr std::string_view kWorkflowConfigEnvPrefix = "STOREFLOW_WORKFLOW_";
// The older spelling, still accepted: "STOREFLOW_WORKFLOWS_ABANDONED_CART_ABANDON_AFTER".
std::string WorkflowConfigOldEnvName(std::string_view workflow, std::string_view key);
inline constexpr std::string_view kWorkflowConfigOldEnvPrefix = "STOREFLOW_WORKFLOWS_";
// Whether `name` has one of the two prefixes.
bool IsWorkflowConfigEnvName(std::string_view name);

// The workflow's `config` with the overrides for it applied. `strict`: a key the
// workflow does not declare, or a value of another kind, is an InvalidArgument
// listing every problem; not strict (an older version a run is pinned to): such
// values are skipped. The names of the variables used are added to `used_env`.
Result<nlohmann::json> ApplyWorkflowConfig(const workflow::Workflow& workflow,
                                           const WorkflowConfigOverrides& overrides, bool strict,
                                           std::set<std::string>* used_env = nullptr);

// The overrides that match no loaded workflow: `workflows.<name>` entries for a
// workflow not in `loaded` (with a "did you mean"), and STOREFLOW_WORKFLOW(S)_*
// variables not in `used_env` (naming the variables a loaded workflow reads, in the
// spelling of the unused one). One message per problem; empty when all are used.
std::vector<std::string> UnusedWorkflowConfig(
    const WorkflowConfigOverrides& overrides,
    const std::vector<std::shared_ptr<const workflow::Workflow>>& loaded,
    const std::set<std::string>& used_env);

// One warning per variable set in both spellings: "environment STOREFLOW_WORKFLOWS_X
// and STOREFLOW_WORKFLOW_X are both set: STOREFLOW_WORKFLOW_X is used ...". Empty
// when there is none (`serve`, `run` and `validate` print them).
std::vector<std::string> WorkflowConfigEnvWarnings(const WorkflowConfigOverrides& overrides);

}  // namespace storeflow::runtime
