#include "common/metrics.h"

#include <gtest/gtest.h>

namespace storeflow::metrics {
namespace {

TEST(MetricsTest, CountersAndGaugesRenderWithLabelsAndHelp) {
  Registry registry;
  registry.Describe("webhooks_total", Type::kCounter, "Webhooks received.");
  registry.CounterAdd("webhooks_total", {{"source", "shopify"}});
  registry.CounterAdd("webhooks_total", {{"source", "shopify"}}, 2);
  registry.GaugeSet("queue_depth", {}, 7);
  EXPECT_EQ(registry.Value("webhooks_total", {{"source", "shopify"}}), 3);
  std::string text = registry.Render();
  EXPECT_NE(text.find("# HELP webhooks_total Webhooks received.\n# TYPE webhooks_total counter\n"
                      "webhooks_total{source=\"shopify\"} 3\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE queue_depth gauge\nqueue_depth 7\n"), std::string::npos) << text;
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  registry.Describe("step_seconds", Type::kHistogram, "", {0.1, 1});
  registry.Observe("step_seconds", {{"action", "log"}}, 0.05);
  registry.Observe("step_seconds", {{"action", "log"}}, 0.5);
  registry.Observe("step_seconds", {{"action", "log"}}, 5);
  std::string text = registry.Render();
  EXPECT_NE(text.find("step_seconds_bucket{action=\"log\",le=\"0.1\"} 1\n"
                      "step_seconds_bucket{action=\"log\",le=\"1\"} 2\n"
                      "step_seconds_bucket{action=\"log\",le=\"+Inf\"} 3\n"
                      "step_seconds_sum{action=\"log\"} 5.55\n"
                      "step_seconds_count{action=\"log\"} 3\n"),
            std::string::npos)
      << text;
}

TEST(MetricsTest, LabelValuesAreEscapedAndNamesSanitized) {
  Registry registry;
  registry.CounterAdd("x", {{"path", "a\"b\\c\nd"}});
  EXPECT_NE(registry.Render().find("x{path=\"a\\\"b\\\\c\\nd\"} 1"), std::string::npos);
  EXPECT_EQ(SanitizeMetricName("email.sent-ok"), "email_sent_ok");
  EXPECT_EQ(SanitizeMetricName("9lives"), "_lives");
}

TEST(MetricsTest, CollectorsRunBeforeRendering) {
  Registry registry;
  int depth = 0;
  registry.AddCollector([&](Registry& r) { r.GaugeSet("depth", {}, ++depth); });
  EXPECT_NE(registry.Render().find("depth 1\n"), std::string::npos);
  EXPECT_NE(registry.Render().find("depth 2\n"), std::string::npos);
}

}  // namespace
}  // namespace storeflow::metrics
