#include "workflow/source_location.h"

namespace storeflow::workflow {

std::string SourceLocation::ToString() const {
  if (!known()) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

std::string SourceLocation::ChunkName() const {
  return "@" + file + ":" + std::to_string(line);
}

}  // namespace storeflow::workflow
