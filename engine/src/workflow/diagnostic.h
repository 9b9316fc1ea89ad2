#pragma once

#include <string>
#include <vector>

#include "workflow/source_location.h"

namespace storeflow::workflow {

enum class Severity { kError, kWarning };

// One finding about a workflow file, printed compiler-style:
//   path/to/file.yaml:LINE:COL: error: message
struct Diagnostic {
  SourceLocation loc;
  Severity severity = Severity::kError;
  std::string message;

  std::string ToString() const;
};

// Collects findings; a pass reports everything it sees instead of stopping at the first.
class Diagnostics {
 public:
  void Error(SourceLocation loc, std::string message);
  void Warning(SourceLocation loc, std::string message);
  void Append(const Diagnostics& other);

  bool has_errors() const;
  std::size_t error_count() const;
  bool empty() const { return items_.empty(); }
  const std::vector<Diagnostic>& items() const { return items_; }

  // Orders by file, line and column (stable: findings at one place keep their order).
  void Sort();

  // All findings, one per line.
  std::string ToString() const;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace storeflow::workflow
