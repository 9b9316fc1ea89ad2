#include "workflow/diagnostic.h"

#include <algorithm>
#include <tuple>

namespace storeflow::workflow {

std::string Diagnostic::ToString() const {
  std::string out = loc.ToString();
  out += severity == Severity::kError ? ": error: " : ": warning: ";
  out += message;
  return out;
}

void Diagnostics::Error(SourceLocation loc, std::string message) {
  items_.push_back({std::move(loc), Severity::kError, std::move(message)});
}

void Diagnostics::Warning(SourceLocation loc, std::string message) {
  items_.push_back({std::move(loc), Severity::kWarning, std::move(message)});
}

void Diagnostics::Append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::has_errors() const {
  return error_count() > 0;
}

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [](const auto& d) { return d.severity == Severity::kError; }));
}

void Diagnostics::Sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.loc.file, a.loc.line, a.loc.col) <
           std::tie(b.loc.file, b.loc.line, b.loc.col);
  });
}

std::string Diagnostics::ToString() const {
  std::string out;
  for (const Diagnostic& d : items_) {
    out += d.ToString();
    out += '\n';
  }
  return out;
}

}  // namespace storeflow::workflow
