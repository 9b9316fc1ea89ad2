#pragma once

// YAML -> JSON with the YAML 1.2 core schema: plain `true`/`false`, `null`/`~`/empty,
// integers (decimal, 0x, 0o) and floats are typed; quoted and block scalars are
// strings; `yes`, `no`, `on`, `off` stay strings (unlike YAML 1.1).

#include <yaml-cpp/node/node.h>
#include <nlohmann/json.hpp>

namespace storeflow::workflow {

// The JSON value of one scalar node.
nlohmann::json ScalarToJson(const YAML::Node& scalar);

// A whole tree; map keys become strings (the first of duplicate keys wins).
nlohmann::json YamlToJson(const YAML::Node& node);

// True for a scalar written without quotes (and without an explicit tag).
bool IsPlainScalar(const YAML::Node& node);

}  // namespace storeflow::workflow
