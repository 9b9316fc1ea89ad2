#pragma once

// The validation pass over a workflow model: everything the loader cannot see while
// reading one key at a time — step ids and references between steps, Lua syntax,
// rule scripts, time zones, and rules that span several keys.

#include <filesystem>

#include "script/sandbox.h"
#include "workflow/diagnostic.h"
#include "workflow/model.h"

namespace storeflow::workflow {

struct ValidateOptions {
  // The project root: `rule:` paths are relative to it.
  std::filesystem::path root = ".";
  // Open rule scripts to check that they load and define the named function.
  bool check_rules = true;
  // The sandbox that loads rule scripts; the validator makes one when null.
  script::Sandbox* sandbox = nullptr;
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
//  - `rule` scripts exist under `root` and define the function.
Diagnostics ValidateWorkflow(const Workflow& workflow, const ValidateOptions& options = {});

}  // namespace storeflow::workflow
