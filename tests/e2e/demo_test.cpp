// `storeflow demo`, the README's main job, as a user runs it: exit 0 and every
// check passed, with the email and the invoice left in its folder.

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <string>

#include "serve_process.h"

namespace storeflow::e2e {
namespace {

namespace fs = std::filesystem;

TEST(DemoTest, PlaysTheShopVisitAndEveryCheckHolds) {
  const fs::path dir =
      fs::temp_directory_path() / ("storeflow-demo-test-" + std::to_string(getpid()) + "-" +
                                   std::to_string(std::random_device()()));
  fs::create_directories(dir);
  const std::string command = std::string("cd ") + STOREFLOW_SOURCE_DIR + " && " +
                              STOREFLOW_BINARY + " demo --dir " + dir.string() + " >" +
                              (dir / "out.txt").string() + " 2>&1";
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
  std::error_code ignored;
  if (!HasFailure()) fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace storeflow::e2e
