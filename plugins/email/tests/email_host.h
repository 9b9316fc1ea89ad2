#pragma once

// The built email plugin through the plugin test kit (<storeflow/testkit.hpp>):
// plugin.yaml and the library loaded by the engine's plugin host as `storeflow
// serve` loads them (config checked against config_schema, inputs against the
// action's input_schema), with the engine's host services over a SQLite store in
// memory.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "storeflow/testkit.hpp"

namespace storeflow::plugins::email::testing {

using Json = storeflow::testkit::Json;
using Reply = storeflow::testkit::Reply;
using EmailHost = storeflow::testkit::TestHost;
using Secrets = std::map<std::string, std::string>;

// The email plugin with `config` and `secrets`; see loaded() and error().
inline std::unique_ptr<EmailHost> LoadEmail(const Json& config, const Secrets& secrets = {}) {
  storeflow::testkit::HostOptions options;
  options.config = config;
  options.secrets = secrets;
  return std::make_unique<EmailHost>(STOREFLOW_PLUGIN_UNDER_TEST, options);
}

// The manifest the built plugin declares (read once).
inline const Json& EmailManifest() {
  static const Json manifest = LoadEmail(Json::object())->manifest();
  return manifest;
}

// The plugin answered exactly once: not "plugin_no_reply", and no warning that
// it replied more than once (the engine keeps the first answer and logs one).
inline void ExpectOneReply(const EmailHost& host, const Reply& reply) {
  EXPECT_NE(reply.code, "plugin_no_reply") << reply;
  EXPECT_FALSE(host.Logged("(the first answer counts)")) << "the plugin replied more than once";
}

// email.send as step `step` of run 1 with `key` as its idempotency key.
inline Reply SendEmail(EmailHost& host, const Json& input, const std::string& key) {
  storeflow::testkit::CallOptions call;
  call.idempotency_key = key;
  Reply reply = host.Invoke("email.send", input, call);
  ExpectOneReply(host, reply);
  return reply;
}

// No log line holds `secret`, and none had one masked ("***": the engine masks
// secrets' values, so a plugin that logged one shows up as the mask).
inline void ExpectNotLogged(const EmailHost& host, const std::string& secret) {
  for (const std::string& line : host.logs()) {
    EXPECT_EQ(line.find(secret), std::string::npos) << "secret in a log line: " << line;
    EXPECT_EQ(line.find("***"), std::string::npos) << "a masked secret in a log line: " << line;
  }
}

}  // namespace storeflow::plugins::email::testing
