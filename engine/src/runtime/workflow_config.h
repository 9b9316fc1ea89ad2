#pragma once

// Per-installation values for a workflow's `config:` (docs/workflow-dsl.md,
// "config"): from the engine configuration's `workflows:` section
// (`workflows: { abandoned-cart: { abandon_after: 2h } }`) and from environment
// variables STOREFLOW_WORKFLOWS_<WORKFLOW>_<KEY>, which win over the file. An
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
  // STOREFLOW_WORKFLOWS_* variable -> its text (every one set, matched or not).
  std::map<std::string, std::string> env;

  bool empty() const { return file.empty() && env.empty(); }
};

// "STOREFLOW_WORKFLOWS_ABANDONED_CART_ABANDON_AFTER": the prefix, then the workflow
// name and the key upper-cased, each character other than a letter or digit as '_'.
std::string WorkflowConfigEnvName(std::string_view workflow, std::string_view key);
inline constexpr std::string_view kWorkflowConfigEnvPrefix = "STOREFLOW_WORKFLOWS_";

// The workflow's `config` with the overrides for it applied. `strict`: a key the
// workflow does not declare, or a value of another kind, is an InvalidArgument
// listing every problem; not strict (an older version a run is pinned to): such
// values are skipped. The names of the variables used are added to `used_env`.
Result<nlohmann::json> ApplyWorkflowConfig(const workflow::Workflow& workflow,
                                           const WorkflowConfigOverrides& overrides, bool strict,
                                           std::set<std::string>* used_env = nullptr);

// The overrides that match no loaded workflow: `workflows.<name>` entries for a
// workflow not in `loaded` (with a "did you mean"), and STOREFLOW_WORKFLOWS_*
// variables not in `used_env` (naming the variables a loaded workflow reads). One
// message per problem; empty when all are used.
std::vector<std::string> UnusedWorkflowConfig(
    const WorkflowConfigOverrides& overrides,
    const std::vector<std::shared_ptr<const workflow::Workflow>>& loaded,
    const std::set<std::string>& used_env);

}  // namespace storeflow::runtime
