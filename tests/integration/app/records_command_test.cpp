// `storeflow records import/list/get`, run through the built binary.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "shell_command.h"

namespace {

namespace fs = std::filesystem;

using Output = storeflow::test_support::CommandResult;

class RecordsCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("storeflow-records-test-" + std::to_string(getpid()) + "-" +
                                        std::to_string(std::random_device()()));
    fs::create_directories(dir_);
    db_ = "sqlite:" + (dir_ / "store.db").string();
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  Output Storeflow(const std::string& args) const {
    return storeflow::test_support::RunShell(std::string("cd ") + STOREFLOW_SOURCE_DIR + " && " +
                                             STOREFLOW_BINARY + " " + args + " --db " + db_);
  }
  fs::path dir_;
  std::string db_;
};

TEST_F(RecordsCommandTest, ImportsTheShippedCatalogueAndReadsItBack) {
  Output imported = Storeflow("records import products workflows/data/catalogue.json --key id");
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  auto catalogue = nlohmann::json::parse(
      std::ifstream(std::string(STOREFLOW_SOURCE_DIR) + "/workflows/data/catalogue.json"));
  EXPECT_NE(imported.out.find("imported " + std::to_string(catalogue.size()) + " records"),
            std::string::npos)
      << imported.out;

  Output list = Storeflow("records list products --prefix p-2");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto rows = nlohmann::json::parse(list.out);
  ASSERT_EQ(rows.size(), 3u) << list.out;
  EXPECT_EQ(rows[0]["key"], "p-2001");
  EXPECT_EQ(rows[0]["value"]["productType"], "Jackets");

  // Importing again replaces (revision 2), it does not duplicate.
  ASSERT_EQ(Storeflow("records import products workflows/data/catalogue.json --key id").exit_code,
            0);
  Output got = Storeflow("records get products p-1001");
  ASSERT_EQ(got.exit_code, 0) << got.err;
  auto row = nlohmann::json::parse(got.out);
  EXPECT_EQ(row["revision"], 2);
  EXPECT_EQ(row["value"]["price_cents"], 8999);
}

TEST_F(RecordsCommandTest, AnItemWithoutTheKeyIsNamedAndNothingIsImported) {
  Output r = Storeflow("records import things tests/fixtures/records/missing-key.json --key id");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("$[2]: no 'id' field"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing imported"), std::string::npos) << r.err;
  Output list = Storeflow("records list things");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out).size(), 0u);
}

TEST_F(RecordsCommandTest, BadJsonIsReportedWithLineAndColumn) {
  Output r = Storeflow("records import things tests/fixtures/records/bad-json.json --key id");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("tests/fixtures/records/bad-json.json:2:22: error: not valid JSON: syntax "
                       "error while parsing object key"),
            std::string::npos)
      << r.err;
}

TEST_F(RecordsCommandTest, GetOfAMissingRecordFails) {
  Output r = Storeflow("records get products nope");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no record 'nope' in 'products'"), std::string::npos) << r.err;
}

}  // namespace
