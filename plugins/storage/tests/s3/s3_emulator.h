#pragma once

// The S3 emulators the tests run against, from the environment tools/test.sh
// exports (tools/peers): fauxqs's S3 (FAUXQS_S3_ENDPOINT, FAUXQS_ACCESS_KEY_ID,
// FAUXQS_SECRET_ACCESS_KEY, FAUXQS_REGION) and s3rver (S3_ENDPOINT,
// S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION). Only loopback endpoints are
// used; anything else counts as unset.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "s3_client.h"

namespace storeflow::plugins::storage::s3::peers {

struct Emulator {
  std::string name;  // "fauxqs", "s3rver"
  std::string endpoint;
  std::string region;
  std::string access_key_id;
  std::string secret_access_key;
};

// The emulator's settings, or nullopt with `why` saying which variable is unset
// (or not a loopback address).
std::optional<Emulator> FindEmulator(const std::string& name, std::string* why);

// A fresh bucket name for one test: "sf-<tag>-<pid>-<n>".
std::string NewBucketName(const std::string& tag);

// Client options for `bucket` on the emulator (path-style).
ClientOptions EmulatorOptions(const Emulator& emulator, const std::string& bucket);

// A client with the emulator's credentials.
Client EmulatorClient(const Emulator& emulator, const std::string& bucket);

// The storage plugin's config for the emulator's bucket; credentials come from
// the secrets S3_TEST_KEY_ID / S3_TEST_SECRET (set them on the TestHost).
nlohmann::json EmulatorPluginConfig(const Emulator& emulator, const std::string& bucket);

// What to do when s3rver fails a truncated listing: it needs Node's OpenSSL legacy
// provider for its continuation tokens (tools/peers/peers.sh starts it so).
inline constexpr char kS3rverPagingHint[] =
    " (an s3rver started without --openssl-legacy-provider cannot make continuation "
    "tokens: restart it with tools/peers/peers.sh)";

// A loopback port where nobody listens (bound, then closed).
int UnusedLoopbackPort();

}  // namespace storeflow::plugins::storage::s3::peers
