#pragma once

// The built storage plugin through the plugin test kit (<storeflow/testkit.hpp>):
// loaded by the engine's plugin host as `storeflow serve` loads it (config checked
// against config_schema, inputs against each action's input_schema), with the
// engine's host services over a SQLite store in memory.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "storeflow/testkit.hpp"

namespace storeflow::plugins::storage::testing {

using Json = storeflow::testkit::Json;
using Reply = storeflow::testkit::Reply;
using StorageHost = storeflow::testkit::TestHost;

// The storage plugin with `config` and `secrets`; see loaded() and error().
inline std::unique_ptr<StorageHost> LoadStorage(
    const Json& config, const std::map<std::string, std::string>& secrets = {}) {
  storeflow::testkit::HostOptions options;
  options.config = config;
  options.secrets = secrets;
  return std::make_unique<StorageHost>(STOREFLOW_PLUGIN_UNDER_TEST, options);
}

// The manifest the built plugin declares (read once).
inline const Json& StorageManifest() {
  static const Json manifest = LoadStorage(Json::object())->manifest();
  return manifest;
}

// The plugin answered (init or a call) exactly once: no "plugin_no_reply", and no
// warning that it replied more than once (the engine keeps the first answer and
// logs one).
inline void ExpectOneReply(const StorageHost& host, const Reply& reply, const std::string& what) {
  EXPECT_NE(reply.code, "plugin_no_reply") << what << ": " << reply;
  EXPECT_FALSE(host.Logged("(the first answer counts)")) << what << ": replied more than once";
}

}  // namespace storeflow::plugins::storage::testing
