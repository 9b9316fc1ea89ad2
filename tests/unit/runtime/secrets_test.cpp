// Secrets: loading (environment, file, file permissions), `${{ secrets.NAME }}`
// in `with:` of uses steps, and redaction of everything stored or logged.

#include "runtime/secrets.h"

#include <sys/stat.h>

#include <fstream>

#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

std::string WriteSecretsFile(const std::string& text, mode_t mode) {
  const std::string path =
      ::testing::TempDir() + "secrets-" + std::to_string(std::random_device()()) + ".yaml";
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST(SecretStoreTest, ReadsTheEnvironmentAndAFileThatWins) {
  std::string a = "STOREFLOW_SECRET_SMTP_PASSWORD=from-env";
  std::string b = "STOREFLOW_SECRET_API=env-api";
  std::string c = "OTHER=ignored";
  char* env[] = {a.data(), b.data(), c.data(), nullptr};
  const std::string file = WriteSecretsFile("API: file-api\nPORT: 25\n", 0600);
  auto store = SecretStore::Load(file, env);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*(*store)->Find("SMTP_PASSWORD"), "from-env");
  EXPECT_EQ(*(*store)->Find("smtp_password"), "from-env");  // upper-case fallback
  EXPECT_EQ(*(*store)->Find("API"), "file-api");
  EXPECT_EQ(*(*store)->Find("PORT"), "25");
  EXPECT_EQ((*store)->Find("OTHER"), nullptr);
  EXPECT_EQ((*store)->Names(), (std::vector<std::string>{"API", "PORT", "SMTP_PASSWORD"}));
}

TEST(SecretStoreTest, RefusesAFileOthersMayRead) {
  const std::string file = WriteSecretsFile("API: x\n", 0644);
  auto store = SecretStore::Load(file, nullptr);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(store.status().message(), "secrets file " + file +
                                          " has mode 0644: group or others may read or write "
                                          "it; run `chmod 600 " +
                                          file + "`");
  ::chmod(file.c_str(), 0640);
  EXPECT_FALSE(SecretStore::Load(file, nullptr).ok());
  ::chmod(file.c_str(), 0400);
  EXPECT_TRUE(SecretStore::Load(file, nullptr).ok());
}

TEST(SecretStoreTest, FileErrorsArePositioned) {
  const std::string file = WriteSecretsFile("API:\n  nested: x\n", 0600);
  auto store = SecretStore::Load(file, nullptr);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().message(), file + ":2:3: secret 'API' must be text, not a list or map");
  EXPECT_EQ(SecretStore::Load("/no/such/secrets.yaml", nullptr).status().code(),
            StatusCode::kNotFound);
}

TEST(SecretStoreTest, RedactsEveryOccurrenceLongestFirst) {
  SecretStore s({{"A", "abc"}, {"B", "abcdef"}, {"EMPTY", ""}});
  EXPECT_EQ(s.Redact(std::string("x abcdef y abc z")), "x *** y *** z");
  Json redacted = s.Redact(Json{{"k", "Bearer abc"}, {"list", {"abcdef", 1}}, {"abc", true}});
  EXPECT_EQ(redacted, Json({{"k", "Bearer ***"}, {"list", {"***", 1}}, {"***", true}}));
}

TEST(SecretStoreTest, FindsTheNamesAnExpressionReads) {
  EXPECT_EQ(SecretNamesIn("secrets.A .. secrets[\"B\"] .. secrets['C'] .. secrets.A"),
            (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(SecretNamesIn("mysecrets.X .. x.secrets.Y"), std::vector<std::string>{});
}

class SecretsRunTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    options_.executor.secrets = std::make_shared<SecretStore>(
        std::map<std::string, std::string>{{"API_TOKEN", "tok-123456"}});
    NewEngine();
  }
};
STOREFLOW_INSTANTIATE_STORE_TESTS(SecretsRunTest);

TEST_P(SecretsRunTest, ActionsGetTheSecretButHistoryAndLogsDoNot) {
  action_->set_script([](const Json& input, const ActionContext& c, int) -> ActionResult {
    c.log("info", "calling with " + input["auth"].get<std::string>());
    return Json{{"echo", input["auth"]}};
  });
  Load(R"(workflow: pay
on: [{event: go}]
steps:
  - id: charge
    uses: test.act
    with: { auth: "Bearer ${{ secrets.API_TOKEN }}", amount: 5 }
)");
  auto run = Finish(Start("pay"));
  ASSERT_EQ(run.status, store::RunStatus::kCompleted) << run.error.dump();
  ASSERT_EQ(action_->calls().size(), 1u);
  EXPECT_EQ(action_->calls()[0].input["auth"], "Bearer tok-123456");
  auto steps = Steps(run.id);
  EXPECT_EQ(steps["charge"].input, Json({{"auth", "Bearer ***"}, {"amount", 5}}));
  EXPECT_EQ(steps["charge"].output, Json({{"echo", "Bearer ***"}}));
  for (const auto& line : logs_) EXPECT_EQ(line.find("tok-123456"), std::string::npos) << line;
  bool logged = false;
  for (const auto& line : logs_)
    logged = logged || line.find("calling with Bearer ***") != std::string::npos;
  EXPECT_TRUE(logged);
}

TEST_P(SecretsRunTest, AMissingSecretIsAPermanentErrorNamingItAndTheStep) {
  Load(R"(workflow: pay
on: [{event: go}]
steps:
  - id: charge
    uses: test.act
    with: { auth: "${{ secrets.NOPE }}" }
    retry: { attempts: 5, delay: 1s }
)");
  auto run = Finish(Start("pay"));
  EXPECT_EQ(run.status, store::RunStatus::kFailed);
  EXPECT_TRUE(action_->calls().empty());
  auto steps = Steps(run.id);
  EXPECT_EQ(steps["charge"].attempts, 1);
  EXPECT_EQ(steps["charge"].error["code"], "missing_secret");
  EXPECT_EQ(steps["charge"].error["message"],
            "step 'charge' of workflow 'pay' reads secret 'NOPE', which is not set (set the "
            "environment variable STOREFLOW_SECRET_NOPE or add it to secrets.file)");
}

TEST_P(SecretsRunTest, AFailedStepsErrorAndInputAreRedactedToo) {
  action_->set_script([](const Json& input, const ActionContext&, int) -> ActionResult {
    return ActionError::Permanent("denied", "token " + input["t"].get<std::string>() + " refused");
  });
  Load(R"(workflow: pay
on: [{event: go}]
steps:
  - id: charge
    uses: test.act
    with: { t: "${{ secrets.api_token }}" }
)");
  auto run = Finish(Start("pay"));
  EXPECT_EQ(run.status, store::RunStatus::kFailed);
  auto steps = Steps(run.id);
  EXPECT_EQ(steps["charge"].error["message"], "token *** refused");
  EXPECT_EQ(steps["charge"].input, Json({{"t", "***"}}));
  EXPECT_EQ(run.error.dump().find("tok-123456"), std::string::npos) << run.error.dump();
}

}  // namespace
}  // namespace storeflow::runtime::testing
