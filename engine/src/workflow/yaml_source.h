#pragma once

// Maps yaml-cpp positions back to the text of a workflow file: 1-based lines,
// character (not byte) columns, and positions inside a scalar's value.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/mark.h>
#include <yaml-cpp/node/node.h>

#include "workflow/source_location.h"

namespace storeflow::workflow {

// Returns the file position of byte `offset` of some decoded string.
using Locator = std::function<SourceLocation(std::size_t offset)>;

class YamlSource {
 public:
  YamlSource(std::string text, std::string display_path);

  const std::string& text() const { return text_; }
  const std::string& path() const { return path_; }

  SourceLocation AtOffset(std::size_t byte_offset) const;
  SourceLocation At(const YAML::Mark& mark) const;
  SourceLocation At(const YAML::Node& node) const { return At(node.Mark()); }

  // The position of byte `offset` of `scalar`'s decoded value, found by walking the
  // raw text (plain, quoted with escapes, block `|`/`>`, folded lines). Falls back to
  // the scalar's own position when the text cannot be aligned.
  SourceLocation InScalar(const YAML::Node& scalar, std::size_t offset) const;

  // A Locator over `scalar`'s value, shifted by `base` bytes.
  Locator ScalarLocator(const YAML::Node& scalar, std::size_t base = 0) const;

 private:
  std::string text_;
  std::string path_;
  std::vector<std::size_t> line_starts_;
};

}  // namespace storeflow::workflow
