#pragma once

// Reading workflow files: YAML -> model (the loader), then the validation pass.
// Every problem in a file is reported at once, each as
//   path/to/file.yaml:LINE:COL: error: message

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "workflow/diagnostic.h"
#include "workflow/model.h"
#include "workflow/validator.h"

namespace storeflow::workflow {

// A loaded workflow, or every diagnostic that explains why there is none.
class LoadResult {
 public:
  LoadResult(std::shared_ptr<const Workflow> workflow, Diagnostics diagnostics)
      : workflow_(std::move(workflow)), diagnostics_(std::move(diagnostics)) {}

  bool ok() const { return workflow_ != nullptr; }
  // The immutable model; null unless ok().
  const std::shared_ptr<const Workflow>& workflow() const { return workflow_; }
  // Errors (and warnings, which do not stop loading), in file order.
  const Diagnostics& diagnostics() const { return diagnostics_; }
  // OK, or InvalidArgument whose message lists every diagnostic, one per line.
  Status status() const;

 private:
  std::shared_ptr<const Workflow> workflow_;
  Diagnostics diagnostics_;
};

// The loader alone: the model as far as it could be built, and the problems found
// while reading it (YAML syntax, unknown keys, wrong types, bad durations, cron,
// template syntax). Used by the loading functions below and by tests.
struct ParsedWorkflow {
  Workflow workflow;
  Diagnostics diagnostics;
  bool syntax_ok = true;  // false when the YAML itself could not be read
};
ParsedWorkflow ParseWorkflowText(std::string_view text, const std::string& display_path);

// Reads, parses and validates the file at `path` (named in messages as written).
LoadResult LoadWorkflow(const std::string& path, const ValidateOptions& options = {});

// The same for text in memory; `display_path` names it in messages.
LoadResult LoadWorkflowFromString(std::string_view text, const std::string& display_path,
                                  const ValidateOptions& options = {});

}  // namespace storeflow::workflow
