#pragma once

#include <string>

namespace storeflow::workflow {

// Where something was written: the file as the user named it and a 1-based line and
// column (columns count characters, not bytes). line 0 means "unknown".
struct SourceLocation {
  std::string file;
  int line = 0;
  int col = 0;

  bool known() const { return line > 0; }

  // "file:line:col" (or just "file" when the position is unknown).
  std::string ToString() const;

  // "@file:line": the Lua chunk name of an expression written here.
  std::string ChunkName() const;

  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

}  // namespace storeflow::workflow
