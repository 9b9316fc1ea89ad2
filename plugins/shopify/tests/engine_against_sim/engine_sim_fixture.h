#pragma once

// The shopify plugin as the engine runs it: an in-process `storeflow serve`
// (app::ServeSession: the store, the plugin host loading the built plugin, the
// worker pool, the HTTP surface) over workflows written by the test, with the
// plugin pointed at a real storeflow-shopify-sim process on loopback (shop
// alpha of tests/fixtures/shopify/sim). On SQLite, and on PostgreSQL when
// STOREFLOW_TEST_PG_URL is set.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/engine_config.h"
#include "app/serve_session.h"
#include "sim_process.h"
#include "store/store.h"
#include "store_fixture.h"  // PgTestDatabase

namespace storeflow::plugins::shopify::testing {

namespace fs = std::filesystem;
namespace sim = storeflow::shopify_sim::testing;
using Json = nlohmann::json;

inline constexpr const char* kAlpha = "alpha.myshopify.com";
inline constexpr const char* kPublicUrl = "https://flows.example.test";

class EngineAgainstSim : public ::testing::TestWithParam<std::string> {
 protected:
  bool is_pg() const { return GetParam() == "postgresql"; }

  void SetUp() override {
    work_ = fs::temp_directory_path() / ("storeflow-shopify-engine-" + std::to_string(::getpid()) +
                                         "-" + std::to_string(std::random_device()()));
    fs::create_directories(work_ / "workflows");
    if (is_pg()) {
      if (store::testing::PgTestDatabase::ServerUrl() == nullptr) {
        GTEST_SKIP() << "STOREFLOW_TEST_PG_URL is not set";
      }
      pg_ = std::make_unique<store::testing::PgTestDatabase>();
      ASSERT_EQ(pg_->Create(), "") << "cannot create a test database";
      db_ = pg_->url();
    } else {
      db_ = "sqlite:" + (work_ / "storeflow.db").string();
    }
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "simulator log:\n" << sim_.log() << "\nengine log (last lines):\n";
      std::lock_guard lock(log_mu_);
      const std::size_t from = log_.size() > 60 ? log_.size() - 60 : 0;
      for (std::size_t i = from; i < log_.size(); ++i) std::cerr << log_[i] << "\n";
    }
    StopEngine();
    sim_.Stop();
    pg_.reset();
    std::error_code ignored;
    fs::remove_all(work_, ignored);
  }

  void StartSim(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        "--port", "0", "--fixtures",
        std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/shopify/sim"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    ASSERT_TRUE(sim_.Start(args, ::testing::TempDir() + "shopify_engine_" + name + ".log"))
        << sim_.log();
  }

  void WriteWorkflow(const std::string& file, const std::string& text) {
    std::ofstream(work_ / "workflows" / file) << text;
  }
  void RemoveWorkflow(const std::string& file) { fs::remove(work_ / "workflows" / file); }

  // Starts the engine over work_/workflows with the shopify plugin configured
  // for shop alpha of the simulator and http.public_url = kPublicUrl.
  // `shop_limits`: YAML flow map of the shop's `limits` ("" for the defaults).
  void StartEngine(int workers = 4, const std::string& shop_limits = "") {
    const fs::path secrets = work_ / "secrets.yaml";
    std::ofstream(secrets) << "ALPHA_ADMIN: shpat_alpha_admin_token_0001\n"
                              "ALPHA_STOREFRONT: sf_alpha_storefront_token_0001\n";
    ::chmod(secrets.c_str(), 0600);
    const fs::path config_file = work_ / "storeflow.yaml";
    std::string yaml;
    // Lua's time limit is raised: expressions over big step outputs run slowly
    // under the sanitizers of the debug build.
    yaml += "lua:\n  time_limit: 5s\n";
    yaml += "http:\n  listen: 127.0.0.1:0\n  access_log: false\n  response_timeout: 2s\n";
    yaml += "  public_url: " + std::string(kPublicUrl) + "/\n";  // the slash is dropped
    yaml += "plugins:\n  dirs: [" + std::string(STOREFLOW_PLUGIN_DIR) + "]\n";
    yaml += "  config:\n    shopify:\n      timeout_ms: 10000\n      max_wait_ms: 60000\n";
    yaml += "      shops:\n        - domain: " + std::string(kAlpha) + "\n";
    yaml += "          admin_token_secret: ALPHA_ADMIN\n";
    yaml += "          storefront_token_secret: ALPHA_STOREFRONT\n";
    yaml += "          endpoint: http://127.0.0.1:" + std::to_string(sim_.port()) + "/shops/" +
            kAlpha + "\n";
    if (!shop_limits.empty()) yaml += "          limits: " + shop_limits + "\n";
    yaml += "secrets:\n  file: " + secrets.string() + "\n";
    std::ofstream(config_file) << yaml;
    app::ConfigSources sources;
    sources.file = config_file.string();
    sources.getenv = [](const char*) -> const char* { return nullptr; };
    auto config = app::LoadEngineConfig(sources);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    app::ServeOptions options;
    options.config = *config;
    options.db = db_;
    options.workflows_dir = (work_ / "workflows").string();
    options.script_root = work_.string();
    options.workers = workers;
    options.drain = std::chrono::seconds(5);
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      log_.emplace_back(line);
    };
    auto session = app::ServeSession::Start(std::move(options));
    ASSERT_TRUE(session.ok()) << session.status().ToString();
    serve_ = std::move(session).value();
  }

  void StopEngine() {
    if (serve_) serve_->Stop();
    serve_.reset();
  }

  sim::Reply Post(const std::string& path, const Json& body) {
    return sim::Http(serve_->port(), "POST", path, body.dump(),
                     {{"Content-Type", "application/json"}});
  }

  Json ShopControl(const std::string& method, const std::string& tail, const Json& body = nullptr) {
    sim::Reply r = sim::Http(sim_.port(), method, std::string("/_sim/shops/") + kAlpha + tail,
                             body.is_null() ? "" : body.dump());
    EXPECT_LT(r.status, 300) << method << " " << tail << ": " << r.status << " " << r.body;
    return r.json();
  }

  fs::path work_;
  std::string db_;
  std::unique_ptr<store::testing::PgTestDatabase> pg_;
  sim::SimProcess sim_;
  std::unique_ptr<app::ServeSession> serve_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

}  // namespace storeflow::plugins::shopify::testing
