#pragma once

// What the chaos tests share: a work folder per test (kept when the test fails,
// with the servers' logs), the random seed (STOREFLOW_CHAOS_SEED or a fresh one,
// printed so a failing run can be repeated), the engine config they write, and
// the SMTP peer (the shared one of tools/test.sh, SMTP_* in the environment).

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "smtp_peer.h"

namespace storeflow::chaos {

namespace fs = std::filesystem;

inline constexpr char kShopifySecret[] = "chaos-shopify-secret";

// A string as a YAML scalar (JSON's double-quoted strings are valid YAML).
inline std::string Yaml(const std::string& text) {
  return nlohmann::json(text).dump();
}

inline std::uint32_t ChaosSeed() {
  const char* given = std::getenv("STOREFLOW_CHAOS_SEED");
  const std::uint32_t seed = given != nullptr && *given != '\0'
                                 ? static_cast<std::uint32_t>(std::stoul(given))
                                 : std::random_device()();
  std::cout << "[chaos] seed " << seed << " (repeat with STOREFLOW_CHAOS_SEED=" << seed << ")"
            << std::endl;  // flushed: the watchdog may end the process
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  return seed;
}

class ChaosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    work_ = fs::temp_directory_path() /
            ("storeflow-chaos-" + name.substr(0, 24) + "-" + std::to_string(getpid()) + "-" +
             std::to_string(std::random_device()() % 100000));
    fs::create_directories(work_);
    tag_ = std::to_string(getpid()) + "-" + std::to_string(std::random_device()() % 100000);
  }
  void TearDown() override {
    std::error_code ignored;
    if (!HasFailure()) {
      fs::remove_all(work_, ignored);
    } else {
      std::cout << "[chaos] logs kept in " << work_ << "\n";
    }
  }

  // Writes each (file name, YAML) into work/workflows/; that folder.
  fs::path WriteWorkflows(const std::vector<std::pair<std::string, std::string>>& files) {
    const fs::path dir = work_ / "workflows";
    fs::create_directories(dir);
    for (const auto& [name, yaml] : files) std::ofstream(dir / name) << yaml;
    return dir;
  }

  // The engine config: the shopify webhook secret, no access log, the email
  // plugin on `peer` (smtp, STARTTLS with the peer's self-signed certificate, the
  // password from a chmod-600 secrets file) or, without a peer, on an outbox in
  // work/outbox; storage under work/.
  fs::path WriteConfig(const std::optional<plugins::email::testing::PeerEndpoint>& peer) {
    const fs::path path = work_ / "storeflow.yaml";
    std::ostringstream config;
    std::string secrets_section;
    config << "http:\n  access_log: false\n"
           << "webhooks:\n  shopify_secrets: " << Yaml(kShopifySecret) << "\n"
           << "plugins:\n  config:\n    email:\n"
           << "      from: \"Chaos Shop <shop@chaos.example>\"\n"
           << "      message_id_domain: chaos.example\n";
    if (peer) {
      config << "      transport: smtp\n"
             << "      smtp:\n        host: " << Yaml(peer->host)
             << "\n        port: " << peer->port
             << "\n        starttls: required\n        insecure_skip_verify: true\n"
             << "        connect_timeout_ms: 2000\n        command_timeout_ms: 5000\n";
      if (!peer->user.empty()) {
        config << "        username: " << Yaml(peer->user)
               << "\n        password_secret: SMTP_PASSWORD\n";
        const fs::path secrets = work_ / "secrets.yaml";
        std::ofstream(secrets) << "SMTP_PASSWORD: " << Yaml(peer->pass) << "\n";
        fs::permissions(secrets, fs::perms::owner_read | fs::perms::owner_write);
        secrets_section = "secrets:\n  file: " + Yaml(secrets.string()) + "\n";
      }
    } else {
      config << "      transport: outbox\n      outbox: { folder: "
             << Yaml((work_ / "outbox").string()) << " }\n";
    }
    config << "    storage:\n      root: " << Yaml((work_ / "storage").string()) << "\n"
           << secrets_section;
    std::ofstream(path) << config.str();
    // It holds secrets: the engine refuses it unless only its owner may read it.
    fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
    return path;
  }

  fs::path work_;
  std::string tag_;
};

}  // namespace storeflow::chaos
