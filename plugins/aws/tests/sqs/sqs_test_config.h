#pragma once

// The sqs plugin's config and secrets every sqs test starts from: the fauxqs peer
// (SQS_ENDPOINT), credentials from two secrets.

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "sqs_peer.h"

namespace storeflow::plugins::aws::testing {

// The config with `overrides` merged in (top-level keys).
inline nlohmann::json SqsTestConfig(const nlohmann::json& overrides = nlohmann::json::object()) {
  nlohmann::json config = {
      {"region", "us-east-1"},
      {"credentials",
       {{"access_key_id_secret", "AWS_KEY_ID"}, {"secret_access_key_secret", "AWS_SECRET_KEY"}}},
      {"endpoint", test_support::SqsEndpoint()},
      {"timeout_ms", 10'000},
      {"defaults", {{"wait_seconds", 1}, {"visibility_timeout", 10}}}};
  for (const auto& [key, value] : overrides.items()) config[key] = value;
  return config;
}

// The secret key is never to show up in a log.
inline constexpr const char* kSqsTestSecretKey = "test-secret-never-logged";

inline std::map<std::string, std::string> SqsTestSecrets() {
  return {{"AWS_KEY_ID", "test"}, {"AWS_SECRET_KEY", kSqsTestSecretKey}};
}

}  // namespace storeflow::plugins::aws::testing
