#pragma once

// The YAML documents of a workflow file, read with yaml-cpp in bounded time.
//
// yaml-cpp 0.7's YAML::LoadAll never returns for some malformed text: when a
// document starts at a token its parser cannot begin a value with (a ',' outside
// [ ] and { }, e.g. "a: 1\n...\n,"), it reports an empty document without
// consuming the token, and starts the next document at the same token, forever,
// with memory growing (jbeder/yaml-cpp#1040). LoadYamlDocuments checks the token
// stream first and refuses such text with a ParserException at the token.

#include <string>
#include <vector>

#include <yaml-cpp/node/node.h>

namespace storeflow::workflow {

// Every document of `text`, as YAML::LoadAll gives them. Throws
// YAML::ParserException (with the mark of the token) for text on which LoadAll
// would not return, and yaml-cpp's own exceptions for other syntax errors.
std::vector<YAML::Node> LoadYamlDocuments(const std::string& text);

}  // namespace storeflow::workflow
