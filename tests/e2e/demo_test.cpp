// `storeflow demo`, the README's main job, as a user runs it: exit 0 and every
// check passed, with the email and the invoice left in its folder; --metrics-out
// writes the live /metrics, where plugin counters end in _total and have a # HELP.

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "serve_process.h"

namespace storeflow::e2e {

using test_support::ReadFile;
namespace {

namespace fs = std::filesystem;

TEST(DemoTest, PlaysTheShopVisitAndEveryCheckHolds) {
  const fs::path dir =
      fs::temp_directory_path() / ("storeflow-demo-test-" + std::to_string(getpid()) + "-" +
                                   std::to_string(std::random_device()()));
  fs::create_directories(dir);
  const std::string command = std::string("cd ") + STOREFLOW_SOURCE_DIR + " && " +
                              STOREFLOW_BINARY + " demo --dir " + dir.string() + " --metrics-out " +
                              (dir / "metrics.txt").string() + " >" + (dir / "out.txt").string() +
                              " 2>&1";
  const int status = std::system(command.c_str());
  const std::string out = ReadFile(dir / "out.txt");
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out << ReadFile(dir / "engine.log");
  EXPECT_NE(out.find("demo ok: "), std::string::npos) << out;
  EXPECT_EQ(out.find("CHECK FAILED"), std::string::npos) << out;
  int emails = 0;
  for (const auto& entry : fs::directory_iterator(dir / "outbox")) {
    emails += entry.path().extension() == ".eml" ? 1 : 0;
  }
  EXPECT_EQ(emails, 1);
  EXPECT_TRUE(fs::exists(dir / "storage" / "invoices")) << out;
  // The excerpt printed and the file: the email plugin's counter, Prometheus-style.
  EXPECT_NE(out.find("storeflow_plugin_email_messages_sent_total{transport=\"outbox\"} 1"),
            std::string::npos)
      << out;
  const std::string metrics = ReadFile(dir / "metrics.txt");
  EXPECT_NE(metrics.find("# HELP storeflow_plugin_email_messages_sent_total "), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("# TYPE storeflow_plugin_storage_objects_written_total counter"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("storeflow_plugin_email_messages_sent{"), std::string::npos) << metrics;
  std::error_code ignored;
  if (!HasFailure()) fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace storeflow::e2e
