// Contract: the installation id (migration 0003) — random per database, made
// once, read at open, the same across reopening and for every engine sharing a
// database — on both backends.

#include <algorithm>
#include <cctype>

#include "store_fixture.h"

namespace storeflow::store::testing {
namespace {

class StoreInstallationTest : public StoreTest {
 protected:
  // Closes the store and opens it again with `options`.
  Result<std::unique_ptr<Store>> Reopen(const OpenOptions& options) {
    store_.reset();
    return Store::Open(url_, options);
  }

  // The installation id of a second, fresh database of the same backend.
  std::string IdOfAnotherDatabase() {
    if (is_pg()) {
      PgTestDatabase other;
      EXPECT_EQ(other.Create(), "");
      auto opened = Store::Open(other.url(), OpenOptions());
      EXPECT_TRUE(opened.ok()) << opened.status().ToString();
      return opened.ok() ? (*opened)->InstallationId() : "";
    }
    auto opened = Store::Open("sqlite:" + (dir_ / "other.db").string(), OpenOptions());
    EXPECT_TRUE(opened.ok()) << opened.status().ToString();
    return opened.ok() ? (*opened)->InstallationId() : "";
  }
};
STOREFLOW_INSTANTIATE_STORE_TESTS(StoreInstallationTest);

bool IsLowerHex(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || (c >= 'a' && c <= 'f');
  });
}

TEST_P(StoreInstallationTest, IsThirtyTwoLowerCaseHexDigits) {
  const std::string id = store_->InstallationId();
  EXPECT_EQ(id.size(), 32u) << id;
  EXPECT_TRUE(IsLowerHex(id)) << id;
}

TEST_P(StoreInstallationTest, StaysTheSameAcrossReopening) {
  const std::string id = store_->InstallationId();
  ASSERT_FALSE(id.empty());
  for (const bool migrate : {true, false}) {
    auto again = Reopen({.migrate = migrate});
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    store_ = std::move(again).value();
    EXPECT_EQ(store_->InstallationId(), id) << "migrate = " << migrate;
  }
}

TEST_P(StoreInstallationTest, IsTheSameForEveryStoreOnOneDatabase) {
  if (!is_pg()) GTEST_SKIP() << "SQLite allows one Store per file";
  auto another = OpenAnother();
  ASSERT_NE(another, nullptr);
  EXPECT_EQ(another->InstallationId(), store_->InstallationId());
}

TEST_P(StoreInstallationTest, DiffersBetweenTwoDatabases) {
  const std::string other = IdOfAnotherDatabase();
  ASSERT_EQ(other.size(), 32u) << other;
  EXPECT_NE(other, store_->InstallationId());
}

TEST_P(StoreInstallationTest, AMissingRowIsRefusedAtOpen) {
  ExecRaw("DELETE FROM installation");
  for (const bool migrate : {true, false}) {
    auto refused = Reopen({.migrate = migrate});
    ASSERT_FALSE(refused.ok()) << "migrate = " << migrate;
    EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(refused.status().message().find("has no installation id"), std::string::npos)
        << refused.status().message();
  }
}

TEST_P(StoreInstallationTest, ASecondRowCannotBeAdded) {
  // The table holds exactly one row (singleton = 1): the id cannot become ambiguous.
  if (is_pg()) {
    EXPECT_NE(PgTestDatabase::Exec(url_,
                                   "INSERT INTO installation (singleton, id, created_at) "
                                   "VALUES (2, '0123456789abcdef0123456789abcdef', 0)"),
              "");
  } else {
    EXPECT_ANY_THROW(
        ExecRaw("INSERT INTO installation (singleton, id, created_at) "
                "VALUES (2, '0123456789abcdef0123456789abcdef', 0)"));
  }
  auto again = Reopen(OpenOptions());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
}

}  // namespace
}  // namespace storeflow::store::testing
