#include "app/engine_config.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace storeflow::app {
namespace {

class EngineConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() /
        ("storeflow-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& text) {
    std::string path = (dir_ / "storeflow.yaml").string();
    std::ofstream(path) << text;
    return path;
  }

  ConfigSources Sources(std::optional<std::string> file) {
    ConfigSources s;
    s.file = std::move(file);
    s.getenv = [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
    return s;
  }

  std::filesystem::path dir_;
  std::map<std::string, std::string> env_;
};

TEST_F(EngineConfigTest, ShippedFileLoadsWithDefaults) {
  auto config =
      LoadEngineConfig(Sources(std::string(STOREFLOW_SOURCE_DIR) + "/config/storeflow.yaml"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->lua.time_per_call.count(), 250);
  EXPECT_EQ(config->lua.memory_bytes, 64u << 20);
  EXPECT_EQ(config->lua.instructions_per_call, 0u);
}

TEST_F(EngineConfigTest, FileValuesApplyAndEnvironmentWins) {
  std::string file = Write("lua:\n  time_limit: 2s\n  memory_limit: 8MiB\n");
  env_["STOREFLOW_LUA_TIME_LIMIT"] = "750ms";
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->lua.time_per_call.count(), 750);
  EXPECT_EQ(config->lua.memory_bytes, 8u << 20);
  EXPECT_EQ(config->sources.back(), "environment");
}

TEST_F(EngineConfigTest, UnknownKeysAreReportedWithPositionAndSuggestion) {
  std::string file = Write("lua:\n  time_limt: 2s\nluaa:\n  x: 1\n");
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(config.ok());
  const std::string m = config.status().message();
  EXPECT_NE(m.find(file + ":2:3: unknown key 'time_limt' in 'lua' (valid keys: instruction_limit, "
                          "memory_limit, time_limit); did you mean 'time_limit'?"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(file + ":3:1: unknown section 'luaa'"), std::string::npos) << m;
}

TEST_F(EngineConfigTest, BadValuesNameTheirPlace) {
  std::string file = Write("lua:\n  time_limit: soon\n");
  env_["STOREFLOW_LUA_MEMORY_LIMIT"] = "lots";
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(config.ok());
  const std::string m = config.status().message();
  EXPECT_NE(m.find(file + ":2:15: lua.time_limit: invalid duration \"soon\""), std::string::npos)
      << m;
  EXPECT_NE(m.find("environment STOREFLOW_LUA_MEMORY_LIMIT: invalid size \"lots\""),
            std::string::npos)
      << m;
}

TEST_F(EngineConfigTest, RetentionKeysTakeDurationsOrKeep) {
  auto defaults = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->retention.runs, std::chrono::hours(24 * 30));
  EXPECT_EQ(defaults->retention.dead_letters.count(), 0);  // kept for ever
  EXPECT_EQ(defaults->retention.events, std::chrono::hours(24 * 30));
  EXPECT_EQ(defaults->retention.interval, std::chrono::minutes(1));
  EXPECT_EQ(defaults->retention.batch, 1000);

  std::string file = Write(
      "retention:\n  runs: 7d\n  dead_letters: 90d\n  events: keep\n  interval: 30s\n"
      "  batch: 250\n");
  env_["STOREFLOW_RETENTION_RUNS"] = "36h";
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->retention.runs, std::chrono::hours(36));
  EXPECT_EQ(config->retention.dead_letters, std::chrono::hours(24 * 90));
  EXPECT_EQ(config->retention.events.count(), 0);
  EXPECT_EQ(config->retention.interval, std::chrono::seconds(30));
  EXPECT_EQ(config->retention.batch, 250);
  EXPECT_TRUE(config->retention.Check().ok());
}

TEST_F(EngineConfigTest, DeadLetterRedriveKeys) {
  auto defaults = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->redrive.interval, std::chrono::minutes(5));
  EXPECT_EQ(defaults->redrive.options.max_per_pass, 100);
  EXPECT_EQ(defaults->redrive.options.max_redrives, 3);

  std::string file =
      Write("dead_letters:\n  auto_redrive: 30s\n  redrive_batch: 20\n  max_redrives: 0\n");
  env_["STOREFLOW_DEAD_LETTERS_AUTO_REDRIVE"] = "off";
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->redrive.interval.count(), 0);
  EXPECT_EQ(config->redrive.options.max_per_pass, 20);
  EXPECT_EQ(config->redrive.options.max_redrives, 0);

  env_.clear();
  file = Write("dead_letters:\n  auto_redrive: soon\n  redrive_batch: 0\n");
  config = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(config.ok());
  const std::string m = config.status().message();
  EXPECT_NE(m.find(file + ":2:17: dead_letters.auto_redrive:"), std::string::npos) << m;
  EXPECT_NE(m.find(file + ":3:18: dead_letters.redrive_batch: expected 1 to 10000"),
            std::string::npos)
      << m;
}

TEST_F(EngineConfigTest, SyncHealthKeysTakeDurationsSharesCountsOrOff) {
  auto defaults = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->sync_health.order_lag.warning, 3600);
  EXPECT_EQ(defaults->sync_health.order_lag.critical, 6 * 3600);
  EXPECT_EQ(defaults->sync_health.webhook_error_rate.critical, 0.05);
  EXPECT_EQ(defaults->sync_health.webhook_ack_p50.warning, 0.5);
  EXPECT_EQ(defaults->sync_health.dead_letters.critical, 100);
  EXPECT_EQ(defaults->sync_health.check_interval_ms, 60'000);
  EXPECT_TRUE(runtime::CheckSyncHealthOptions(defaults->sync_health).ok());

  std::string file = Write(
      "sync_health:\n  shop: a.myshopify.com\n  order_lag_warning: 90s\n"
      "  webhook_error_rate_critical: 0.2\n  dead_letters_warning: off\n"
      "  check_interval: 10s\n");
  env_["STOREFLOW_SYNC_HEALTH_WEBHOOK_ACK_P99_CRITICAL"] = "30s";
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->sync_health.shop, "a.myshopify.com");
  EXPECT_EQ(config->sync_health.order_lag.warning, 90);
  EXPECT_EQ(config->sync_health.webhook_error_rate.critical, 0.2);
  EXPECT_EQ(config->sync_health.dead_letters.warning, 0);
  EXPECT_EQ(config->sync_health.webhook_ack_p99.critical, 30);
  EXPECT_EQ(config->sync_health.check_interval_ms, 10'000);

  env_.clear();
  file = Write(
      "sync_health:\n  webhook_error_rate_warning: 5%\n  order_lag_critical: soon\n"
      "  dead_letters_critical: -1\n");
  config = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(config.ok());
  const std::string m = config.status().message();
  EXPECT_NE(m.find(file + ":2:31: sync_health.webhook_error_rate_warning: expected a share"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(file + ":3:23: sync_health.order_lag_critical:"), std::string::npos) << m;
  EXPECT_NE(m.find("sync_health.dead_letters_critical"), std::string::npos) << m;

  // A critical threshold below its warning is refused by the check serve runs.
  file = Write("sync_health:\n  order_lag_warning: 2h\n  order_lag_critical: 1h\n");
  config = LoadEngineConfig(Sources(file));
  ASSERT_TRUE(config.ok());
  const Status checked = runtime::CheckSyncHealthOptions(config->sync_health);
  EXPECT_EQ(checked.message(),
            "sync_health.order_lag_critical must not be below sync_health.order_lag_warning");
}

TEST_F(EngineConfigTest, RetentionTooShortToBeSafeIsRefusedWithItsReason) {
  std::string file = Write("retention:\n  events: 1h\n  runs: 10m\n  batch: 0\n");
  env_["STOREFLOW_RETENTION_INTERVAL"] = "10ms";
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(config.ok());
  const std::string m = config.status().message();
  EXPECT_NE(m.find(file + ":2:11: retention.events: must be keep (or 0) or at least 2d"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("Shopify retries a delivery for up to 4 hours"), std::string::npos) << m;
  EXPECT_NE(m.find(file + ":3:9: retention.runs: must be keep (or 0) or at least 1h"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(file + ":4:10: retention.batch: must be from 1 to 100000, got 0"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("environment STOREFLOW_RETENTION_INTERVAL: must be at least 1s"),
            std::string::npos)
      << m;
}

TEST_F(EngineConfigTest, ASecretInAFileOthersMayReadIsRefusedWithItsPlace) {
  const std::string token(40, 't');
  std::string file = Write("lua:\n  time_limit: 2s\nadmin:\n  token: " + token + "\n");
  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                std::filesystem::perms::group_read | std::filesystem::perms::others_read);
  auto open = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(open.ok());
  const std::string message = open.status().message();
  EXPECT_NE(message.find(file + ":4:10: admin.token is a secret, but " + file + " has mode 0644"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("chmod 600"), std::string::npos);
  EXPECT_EQ(message.find(token), std::string::npos) << "the secret itself is never printed";

  std::filesystem::permissions(
      file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto private_file = LoadEngineConfig(Sources(file));
  ASSERT_TRUE(private_file.ok()) << private_file.status().ToString();
  EXPECT_EQ(private_file->admin.token, token);

  // Without a secret in it, the file may be readable by all (the shipped one is).
  std::string plain = Write("lua:\n  time_limit: 2s\n");
  std::filesystem::permissions(plain, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  EXPECT_TRUE(LoadEngineConfig(Sources(plain)).ok());
}

TEST_F(EngineConfigTest, ReplayKeysTakeTheirValuesAndRefuseUnsafeOnes) {
  auto defaults = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->webhooks.replay_dedupe, http::ReplayDedupe::kTopic);
  EXPECT_EQ(defaults->webhooks.shopify_max_age.count(), 0);

  std::string file = Write("webhooks:\n  replay_dedupe: any_topic\n  shopify_max_age: 6h\n");
  auto set = LoadEngineConfig(Sources(file));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->webhooks.replay_dedupe, http::ReplayDedupe::kAnyTopic);
  EXPECT_EQ(set->webhooks.shopify_max_age, std::chrono::hours(6));

  file = Write("webhooks:\n  replay_dedupe: body\n  shopify_max_age: 1h\n");
  auto bad = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(bad.ok());
  const std::string m = bad.status().message();
  EXPECT_NE(m.find(":2:18: webhooks.replay_dedupe: expected topic, any_topic or off, got 'body'"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(":3:20: webhooks.shopify_max_age: must be off or at least 5h"),
            std::string::npos)
      << m;
}

TEST_F(EngineConfigTest, MissingExplicitFileIsAnError) {
  auto config = LoadEngineConfig(Sources((dir_ / "nope.yaml").string()));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kNotFound);
}

TEST_F(EngineConfigTest, YamlSyntaxErrorHasPosition) {
  std::string file = Write("lua:\n  time_limit: [1, 2\n");
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(file + ":"), std::string::npos);
}

TEST_F(EngineConfigTest, HttpClientDefaultsAreSafeAndKeysAreValidated) {
  auto defaults = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_TRUE(defaults->http_client.allow_hosts.empty());
  EXPECT_EQ(defaults->http_client.max_response_bytes, 10u << 20);
  EXPECT_EQ(defaults->http_client.total_timeout, std::chrono::seconds(30));

  std::string file = Write(
      "http_client:\n  allow_hosts:\n    - api.partner.test\n    - \"*.corp.test\"\n"
      "    - 10.0.0.0/8\n  max_response_bytes: 1MiB\n  total_timeout: 5s\n");
  env_["STOREFLOW_HTTP_CLIENT_TOTAL_TIMEOUT"] = "2s";
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->http_client.allow_hosts,
            (std::vector<std::string>{"api.partner.test", "*.corp.test", "10.0.0.0/8"}));
  EXPECT_EQ(config->http_client.max_response_bytes, 1u << 20);
  EXPECT_EQ(config->http_client.total_timeout, std::chrono::seconds(2));

  env_.clear();
  env_["STOREFLOW_HTTP_CLIENT_ALLOW_HOSTS"] = "127.0.0.1, ::1";
  auto from_env = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->http_client.allow_hosts, (std::vector<std::string>{"127.0.0.1", "::1"}));
}

TEST_F(EngineConfigTest, BadHttpClientValuesNameTheirPlace) {
  std::string file = Write(
      "http_client:\n  allow_hosts:\n    - ok.test\n    - 10.0.0.0/40\n"
      "  max_response_bytes: 10\n  total_timeout: 0s\n");
  env_["STOREFLOW_HTTP_CLIENT_ALLOW_HOSTS"] = "bad host";
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(config.ok());
  const std::string m = config.status().message();
  EXPECT_NE(m.find(file + ":4:7: http_client.allow_hosts: allow_hosts entry '10.0.0.0/40': the "
                          "prefix length must be a number from 0 to 32"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(file + ":5:23: http_client.max_response_bytes: max_response_bytes must be "
                          "from 1KiB to 1GiB"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(file + ":6:18: http_client.total_timeout: total_timeout must be greater than "
                          "0 and at most 1h"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("environment STOREFLOW_HTTP_CLIENT_ALLOW_HOSTS: allow_hosts entry 'bad host'"),
            std::string::npos)
      << m;
}

TEST_F(EngineConfigTest, IsolatedPluginsAreAListOfNamesWithAProcessCap) {
  auto defaults = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_TRUE(defaults->plugins.isolate.empty());
  EXPECT_EQ(defaults->plugins.isolated_processes, 4);

  std::string file =
      Write("plugins:\n  isolate:\n    - shopify\n    - my_plugin2\n  isolated_processes: 8\n");
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->plugins.isolate, (std::vector<std::string>{"shopify", "my_plugin2"}));
  EXPECT_EQ(config->plugins.isolated_processes, 8);

  env_["STOREFLOW_PLUGINS_ISOLATE"] = "email, storage";
  auto from_env = LoadEngineConfig(Sources(file));
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->plugins.isolate, (std::vector<std::string>{"email", "storage"}));

  env_.clear();
  std::string bad =
      Write("plugins:\n  isolate:\n    - shopify\n    - Bad-Name\n  isolated_processes: 0\n");
  auto refused = LoadEngineConfig(Sources(bad));
  ASSERT_FALSE(refused.ok());
  const std::string m = refused.status().message();
  EXPECT_NE(m.find(bad + ":4:7: plugins.isolate: 'Bad-Name' is not a plugin name"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(bad + ":5:23: plugins.isolated_processes: isolated_processes must be from 1 "
                         "to 64"),
            std::string::npos)
      << m;
}

TEST_F(EngineConfigTest, ShortTokensAreRefusedNamingTheKeyAndLengthNotTheToken) {
  std::string file = Write("admin:\n  token: short-admin-token\n");
  env_["STOREFLOW_METRICS_TOKEN"] = "scrape-me";
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(config.ok());
  const std::string& message = config.status().message();
  EXPECT_NE(message.find(file + ":2:10: admin.token: the token is 17 bytes long; it must be at "
                                "least 32"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("environment STOREFLOW_METRICS_TOKEN: the token is 9 bytes long"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("short-admin-token"), std::string::npos) << message;
  EXPECT_EQ(message.find("scrape-me"), std::string::npos) << message;

  const std::string good(32, 'k');
  env_["STOREFLOW_ADMIN_TOKEN"] = good;
  env_["STOREFLOW_METRICS_TOKEN"] = std::string(40, 'm');
  auto fine = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(fine.ok()) << fine.status().ToString();
  EXPECT_EQ(fine->admin.token, good);
  EXPECT_EQ(fine->metrics.token, std::string(40, 'm'));
}

TEST_F(EngineConfigTest, CommitTimeoutIsAPositiveDuration) {
  auto defaults = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->http.commit_timeout, std::chrono::seconds(4));
  env_["STOREFLOW_HTTP_COMMIT_TIMEOUT"] = "1500ms";
  auto set = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->http.commit_timeout, std::chrono::milliseconds(1500));
  env_["STOREFLOW_HTTP_COMMIT_TIMEOUT"] = "0s";
  auto zero = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("STOREFLOW_HTTP_COMMIT_TIMEOUT: commit_timeout must be "
                                         "greater than 0"),
            std::string::npos)
      << zero.status().message();
}

TEST_F(EngineConfigTest, WorkflowValuesAreReadWithTheirPlaceAndCheckedLater) {
  std::string file = Write(
      "lua:\n  time_limit: 1s\nworkflows:\n  abandoned-cart:\n    abandon_after: 2h\n"
      "    quiet: { from: 22 }\n  checkouts: {}\n");
  env_["STOREFLOW_WORKFLOWS_ABANDONED_CART_MAX_EMAILS"] = "2";
  env_["STOREFLOW_WORKFLOW_ABANDONED_CART_SEND"] = "false";
  env_["STOREFLOW_OTHER"] = "x";
  auto sources = Sources(file);
  sources.env_names = [] {
    return std::vector<std::string>{"STOREFLOW_WORKFLOWS_ABANDONED_CART_MAX_EMAILS",
                                    "STOREFLOW_WORKFLOW_ABANDONED_CART_SEND", "STOREFLOW_OTHER",
                                    "STOREFLOW_WORKFLOWS_UNSET", "STOREFLOW_WORKFLOW_UNSET"};
  };
  auto config = LoadEngineConfig(sources);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const auto& wf = config->workflows;
  ASSERT_EQ(wf.file.count("abandoned-cart"), 1u);
  const auto& values = wf.file.at("abandoned-cart");
  EXPECT_EQ(values.at("abandon_after").value, "2h");
  EXPECT_EQ(values.at("abandon_after").origin, file + ":5:20");
  EXPECT_EQ(values.at("quiet").value, (nlohmann::json{{"from", 22}}));
  EXPECT_EQ(wf.file_origins.at("abandoned-cart"), file + ":4:3");
  EXPECT_EQ(wf.env, (std::map<std::string, std::string>{
                        {"STOREFLOW_WORKFLOWS_ABANDONED_CART_MAX_EMAILS", "2"},
                        {"STOREFLOW_WORKFLOW_ABANDONED_CART_SEND", "false"}}))
      << "only STOREFLOW_WORKFLOW_* and (older) STOREFLOW_WORKFLOWS_* variables that are set";
}

TEST_F(EngineConfigTest, AWorkflowsSectionOfTheWrongShapeNamesItsPlace) {
  std::string file = Write("workflows:\n  abandoned-cart: 4h\n  \"bad name\": {a: 1}\n");
  auto config = LoadEngineConfig(Sources(file));
  ASSERT_FALSE(config.ok());
  const std::string m = config.status().message();
  EXPECT_NE(m.find(file + ":2:19: workflows.abandoned-cart must be a map of the workflow's config "
                          "keys"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(file + ":3:3: workflows: 'bad name' is not a workflow name"), std::string::npos)
      << m;
  std::string list = Write("workflows: [a, b]\n");
  auto not_map = LoadEngineConfig(Sources(list));
  ASSERT_FALSE(not_map.ok());
  EXPECT_NE(not_map.status().message().find(list + ":1:12: workflows must be a map"),
            std::string::npos)
      << not_map.status().message();
}

TEST_F(EngineConfigTest, PublicUrlIsAnAbsoluteHttpUrlWithoutTrailingSlash) {
  auto defaults = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->http.public_url, "");
  for (const auto& [given, kept] : std::vector<std::pair<std::string, std::string>>{
           {"https://flows.example.com/", "https://flows.example.com"},
           {"https://example.com/storeflow//", "https://example.com/storeflow"},
           {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
           {"https://[::1]:8443/x", "https://[::1]:8443/x"}}) {
    env_["STOREFLOW_HTTP_PUBLIC_URL"] = given;
    auto config = LoadEngineConfig(Sources(std::nullopt));
    ASSERT_TRUE(config.ok()) << given << ": " << config.status().ToString();
    EXPECT_EQ(config->http.public_url, kept);
  }
  env_.erase("STOREFLOW_HTTP_PUBLIC_URL");
  for (const auto& [given, why] : std::vector<std::pair<std::string, std::string>>{
           {"flows.example.com", "it must start with https://"},
           {"ftp://flows.example.com", "it must start with https://"},
           {"https://", "it names no host"},
           {"https://:8080/x", "it names no host"},
           {"https://flows.example.com:0", "the port must be a number from 1 to 65535"},
           {"https://flows.example.com:http", "the port must be a number from 1 to 65535"},
           {"https://user:pw@flows.example.com", "credentials have no place in it"},
           {"https://flows.example.com/?a=1", "a query or fragment"},
           {"https://flows example.com", "a space"}}) {
    std::string file = Write("http:\n  public_url: \"" + given + "\"\n");
    auto config = LoadEngineConfig(Sources(file));
    ASSERT_FALSE(config.ok()) << given;
    EXPECT_NE(config.status().message().find(file + ":2:15: http.public_url: expected the "
                                                    "engine's public base URL"),
              std::string::npos)
        << config.status().message();
    EXPECT_NE(config.status().message().find(why), std::string::npos)
        << given << ": " << config.status().message();
  }
}

TEST_F(EngineConfigTest, StaticMountsFromTheFileOrTheEnvironment) {
  auto config = LoadEngineConfig(Sources(
      Write("http:\n  static:\n    - { path: /shop/, dir: examples/storefront }\n"
            "    - { path: /docs/, dir: /srv/docs, cache_control: \"public, max-age=600\" }\n")));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->http.statics.size(), 2u);
  EXPECT_EQ(config->http.statics[0].path, "/shop/");
  EXPECT_EQ(config->http.statics[0].dir, "examples/storefront");
  EXPECT_EQ(config->http.statics[0].cache_control, "no-cache");
  EXPECT_EQ(config->http.statics[1].cache_control, "public, max-age=600");

  env_["STOREFLOW_HTTP_STATIC"] = R"([{"path": "/a/", "dir": "site"}])";
  config = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->http.statics.size(), 1u);
  EXPECT_EQ(config->http.statics[0].dir, "site");
}

TEST_F(EngineConfigTest, BadStaticMountsNameTheItem) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"    - { path: shop, dir: x }\n", "storeflow.yaml:3:7: http.static[0].path"},
      {"    - { path: /a/, dir: x }\n    - { path: /b/, dri: x }\n",
       "storeflow.yaml:4:7: http.static[1]: unknown key 'dri'"},
      {"    - { path: /a/, dir: x }\n    - { path: /a/, dir: y }\n", "served twice"},
      {"    - { path: /api/v1/, dir: x }\n", "/api/"},
      {"    - { path: /a/ }\n", "http.static[0].dir"},
  };
  for (const auto& [items, expected] : cases) {
    auto config = LoadEngineConfig(Sources(Write("http:\n  static:\n" + items)));
    ASSERT_FALSE(config.ok()) << items;
    EXPECT_NE(config.status().message().find(expected), std::string::npos)
        << config.status().message();
  }
  auto map = LoadEngineConfig(Sources(Write("http:\n  static: { path: /a/, dir: x }\n")));
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.status().message().find("must be a list"), std::string::npos)
      << map.status().message();
  env_["STOREFLOW_HTTP_STATIC"] = "/shop/=site";
  auto env = LoadEngineConfig(Sources(std::nullopt));
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("STOREFLOW_HTTP_STATIC"), std::string::npos)
      << env.status().message();
}

TEST(EngineConfigDocsTest, OperationsGuideListsEveryKeyWithItsEnvAndDefault) {
  std::ifstream in(std::string(STOREFLOW_SOURCE_DIR) + "/docs/operations.md");
  ASSERT_TRUE(in) << "docs/operations.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  std::string doc = text.str();
  for (const ConfigKeyInfo& key : DescribeConfigKeys()) {
    std::string row = "| `" + key.path + "` | `" + key.env + "` | `" + key.default_value + "` |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/operations.md lacks the row: " << row;
  }
}

}  // namespace
}  // namespace storeflow::app
