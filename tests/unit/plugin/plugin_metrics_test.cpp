// Plugin metrics follow Prometheus' conventions (issue 17): the manifest's
// `metrics` list (name, type, help, unit, buckets), the exported names (counters
// end in `_total`, units appended), `# HELP` from the declaration, one warning per
// undeclared name, and the shipped plugins declaring what they report.

#include "plugin/plugin_metrics.h"

#include <gtest/gtest.h>

#include <set>

#include "common/metrics.h"
#include "plugin/plugin_descriptor.h"
#include "plugin/plugin_library.h"
#include "plugin/plugin_manifest.h"
#include "plugin_test_util.h"

namespace storeflow::plugin::testing {
namespace {

using metrics::Type;

Result<std::vector<MetricSpec>> Parse(const std::string& text) {
  return ParseMetricSpecs(Json::parse(text), "lib.so");
}

TEST(PluginMetricsTest, ParsesTheDeclarations) {
  auto specs = Parse(R"([
    {"name": "messages_sent", "type": "counter", "help": "Messages sent."},
    {"name": "send_seconds", "type": "histogram", "unit": "seconds", "help": "Send time."},
    {"name": "cost", "type": "histogram", "help": "Cost.", "buckets": [10, 1, 100]},
    {"name": "level", "type": "gauge", "help": "Level."}])");
  ASSERT_TRUE(specs.ok()) << specs.status().message();
  ASSERT_EQ(specs->size(), 4u);
  EXPECT_EQ((*specs)[0].type, Type::kCounter);
  EXPECT_EQ((*specs)[1].unit, "seconds");
  EXPECT_EQ((*specs)[2].buckets, (std::vector<double>{10, 1, 100}));
  EXPECT_EQ((*specs)[3].type, Type::kGauge);
}

TEST(PluginMetricsTest, RefusesBadDeclarationsNamingTheEntry) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"name": "x"})", "'metrics' must be a list"},
      {R"([{"type": "counter", "help": "h"}])", "metrics[0]: 'name' must be"},
      {R"([{"name": "a-b", "type": "counter", "help": "h"}])", "metrics[0]: 'name' must be"},
      {R"([{"name": "x", "type": "summary", "help": "h"}])",
       "metrics[0] ('x'): 'type' must be \"counter\", \"gauge\" or \"histogram\""},
      {R"([{"name": "x", "type": "counter"}])", "metrics[0] ('x'): 'help'"},
      {R"([{"name": "x", "type": "counter", "help": ""}])", "metrics[0] ('x'): 'help'"},
      {R"([{"name": "x", "type": "histogram", "help": "h", "unit": "milliseconds"}])",
       "unit 'milliseconds' is not a base unit; use 'seconds'"},
      {R"([{"name": "x", "type": "gauge", "help": "h", "unit": "kilobytes"}])", "use 'bytes'"},
      {R"([{"name": "x", "type": "counter", "help": "h", "buckets": [1]}])",
       "'buckets' is for histograms only"},
      {R"([{"name": "x", "type": "histogram", "help": "h", "buckets": ["1"]}])",
       "'buckets' must be a list of numbers"},
      {R"([{"name": "x", "type": "counter", "help": "h"},
           {"name": "x", "type": "gauge", "help": "h"}])",
       "metric 'x' is listed twice"},
  };
  for (const auto& [text, expected] : cases) {
    auto specs = Parse(text);
    ASSERT_FALSE(specs.ok()) << text;
    EXPECT_EQ(specs.status().message().rfind("lib.so: manifest: ", 0), 0u)
        << specs.status().message();
    EXPECT_NE(specs.status().message().find(expected), std::string::npos)
        << text << " -> " << specs.status().message();
  }
}

TEST(PluginMetricsTest, ExportedNamesFollowPrometheusConventions) {
  EXPECT_EQ(ExportedMetricName("email", "messages_sent", Type::kCounter),
            "storeflow_plugin_email_messages_sent_total");
  EXPECT_EQ(ExportedMetricName("example", "greetings_total", Type::kCounter),
            "storeflow_plugin_example_greetings_total");
  EXPECT_EQ(ExportedMetricName("email", "sent-total", Type::kCounter),
            "storeflow_plugin_email_sent_total");
  EXPECT_EQ(ExportedMetricName("s", "written", Type::kCounter, "bytes"),
            "storeflow_plugin_s_written_bytes_total");
  EXPECT_EQ(ExportedMetricName("s", "written_bytes_total", Type::kCounter, "bytes"),
            "storeflow_plugin_s_written_bytes_total");
  EXPECT_EQ(ExportedMetricName("email", "send_seconds", Type::kHistogram, "seconds"),
            "storeflow_plugin_email_send_seconds");
  EXPECT_EQ(ExportedMetricName("email", "send", Type::kHistogram, "seconds"),
            "storeflow_plugin_email_send_seconds");
  EXPECT_EQ(ExportedMetricName("shopify", "bucket_level", Type::kGauge),
            "storeflow_plugin_shopify_bucket_level");
}

TEST(PluginMetricsTest, DeclaredMetricsHaveTheirHelpAndBuckets) {
  metrics::Registry registry;
  PluginMetrics plugin("email");
  plugin.Declare(*Parse(R"([{"name": "messages_sent", "type": "counter", "help": "Messages sent."},
                 {"name": "cost", "type": "histogram", "help": "Cost.", "buckets": [10, 100]}])"),
                 registry);
  std::vector<std::string> warnings;
  auto warn = [&](const std::string& line) { warnings.push_back(line); };
  const std::string sent = plugin.Resolve("messages_sent", Type::kCounter, registry, warn);
  EXPECT_EQ(sent, "storeflow_plugin_email_messages_sent_total");
  registry.CounterAdd(sent, {{"transport", "smtp"}});
  registry.Observe(plugin.Resolve("cost", Type::kHistogram, registry, warn), {}, 50);
  EXPECT_TRUE(warnings.empty());
  const std::string text = registry.Render();
  EXPECT_NE(text.find("# HELP storeflow_plugin_email_messages_sent_total Messages sent.\n"
                      "# TYPE storeflow_plugin_email_messages_sent_total counter\n"
                      "storeflow_plugin_email_messages_sent_total{transport=\"smtp\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("storeflow_plugin_email_cost_bucket{le=\"100\"} 1\n"), std::string::npos)
      << text;
}

TEST(PluginMetricsTest, AnUndeclaredNameIsExportedWithAGenericHelpAndOneWarning) {
  metrics::Registry registry;
  PluginMetrics plugin("old");
  plugin.Declare(*Parse(R"([{"name": "level", "type": "gauge", "help": "Level."}])"), registry);
  std::vector<std::string> warnings;
  auto warn = [&](const std::string& line) { warnings.push_back(line); };
  for (int i = 0; i < 3; ++i) {
    registry.CounterAdd(plugin.Resolve("sent", Type::kCounter, registry, warn));
  }
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "counter 'sent' is not declared in the manifest's `metrics` list (name, type, help, "
            "unit); exported as storeflow_plugin_old_sent_total with a generic help");
  EXPECT_NE(registry.Render().find("# HELP storeflow_plugin_old_sent_total Plugin old counter "
                                   "'sent' (not declared in the plugin's manifest).\n"),
            std::string::npos);
  EXPECT_EQ(registry.Value("storeflow_plugin_old_sent_total"), 3);
  // Declared as a gauge, reported as a counter: warned about as undeclared.
  plugin.Resolve("level", Type::kCounter, registry, warn);
  EXPECT_EQ(warnings.size(), 2u);
  plugin.Resolve("level", Type::kGauge, registry, warn);
  EXPECT_EQ(warnings.size(), 2u);
}

TEST(PluginMetricsTest, HelpTextIsEscaped) {
  metrics::Registry registry;
  registry.Describe("x_total", Type::kCounter, "a\\b\nc");
  registry.CounterAdd("x_total");
  EXPECT_NE(registry.Render().find("# HELP x_total a\\\\b\\nc\n"), std::string::npos)
      << registry.Render();
}

TEST(PluginMetricsTest, TheShippedPluginsDeclareWhatTheyReport) {
  const std::map<std::string, std::set<std::string>> expected = {
      {"email", {"messages_sent", "messages_failed", "send_seconds"}},
      {"storage", {"objects_written", "objects_deleted"}},
      {"shopify",
       {"calls", "requests", "throttles", "retries", "bucket_level", "graphql_actual_cost"}},
      {"example", {"greetings_total"}},
  };
  for (const auto& [plugin, names] : expected) {
    auto descriptor = ReadPluginDescriptor(PluginDir(plugin) / "plugin.yaml");
    ASSERT_TRUE(descriptor.ok()) << descriptor.status().message();
    auto library = PluginLibrary::Load(*descriptor);
    ASSERT_TRUE(library.ok()) << library.status().message();
    std::set<std::string> declared;
    for (const MetricSpec& spec : (*library)->manifest().metrics) {
      declared.insert(spec.name);
      EXPECT_FALSE(spec.help.empty()) << plugin << " " << spec.name;
      if (spec.name.size() > 8 && spec.name.substr(spec.name.size() - 8) == "_seconds") {
        EXPECT_EQ(spec.unit, "seconds") << plugin << " " << spec.name;
      }
    }
    EXPECT_EQ(declared, names) << plugin;
  }
}

}  // namespace
}  // namespace storeflow::plugin::testing
