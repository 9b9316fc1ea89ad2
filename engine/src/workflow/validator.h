#pragma once

// The validation pass over a workflow model: everything the loader cannot see while
// reading one key at a time — step ids and references between steps, Lua syntax,
// rule scripts, time zones, and rules that span several keys.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "script/sandbox.h"
#include "workflow/diagnostic.h"
#include "workflow/model.h"

namespace storeflow::workflow {

// What ValidateOptions::check_action found wrong with a `uses:` action.
struct ActionProblem {
  std::string message;
  bool warning = false;  // a warning does not stop the workflow from loading
  SourceLocation loc;    // where to report it; unknown: the step's `uses:`
};

struct ValidateOptions {
  // The project root: `rule:` paths are relative to it.
  std::filesystem::path root = ".";
  // Open rule scripts to check that they load and define the named function.
  bool check_rules = true;
  // The sandbox that loads rule scripts; the validator makes one when null.
  script::Sandbox* sandbox = nullptr;
  // Checks the action named by each `uses:` step (and its `with:` against the
  // action's input schema); every problem returned is reported (unknown action
  // with a did-you-mean, the load error of the plugin that provides it, a missing
  // or unknown input, or a warning for a plugin that is not installed).
  // Unset: not checked.
  std::function<std::vector<ActionProblem>(const Workflow& workflow, const Step& step,
                                           const std::string& action)>
      check_action;
  // Checks the event source named by each `queue: <source>/<topic>` trigger:
  // "" when it can run, else why not (no plugin declares it, its plugin failed
  // to load or cannot run sources), reported at the trigger. Unset: not checked.
  std::function<std::string(const std::string& source)> check_source;
  // Whether the engine has the secret an http trigger's `auth:` names; an unknown
  // one is reported at the name. Unset: not checked.
  std::function<bool(const std::string& name)> check_secret;
};

// Checks `workflow` (as built by the loader) and returns every problem found:
//  - workflow/step ids (letters, digits, _ and -; unique at any depth; not `end`,
//    `fail`, `continue`), `as` names of foreach steps;
//  - `steps.<id>` / `steps["id"]` in expressions must name an EARLIER step (inside a
//    foreach: earlier steps before it, the foreach itself and earlier nested steps);
//    `secrets` only in `with:` of a `uses` step; workflow `key`/`dedupe` use no steps;
//  - `then` / `on_error` must jump to a step of the same list;
//  - Lua syntax of every expression, reported at the expression's position;
//  - `respond` needs an `http` trigger; `concurrency` and `wait_for.key` need the
//    workflow `key`; `dedupe_ttl` needs `dedupe`; schedule time zones must exist; duplicate
//    triggers;
//  - retry attempts >= 1, max_delay >= delay, timeouts > 0 (literal values);
//  - `rule` scripts exist under `root` and define the function;
//  - with check_action / check_source: the actions of `uses:` steps and the event
//    sources of `queue:` triggers; with check_secret: the secrets http triggers'
//    `auth:` names; the JWKS files they name exist under `root` (with check_rules).
Diagnostics ValidateWorkflow(const Workflow& workflow, const ValidateOptions& options = {});

}  // namespace storeflow::workflow
