// Per-installation values of a workflow's `config:` (runtime/workflow_config.h):
// the merge and its checks, and the engine applying them to what runs read.

#include "runtime/workflow_config.h"

#include <gtest/gtest.h>

#include "runtime_fixture.h"
#include "workflow/loader.h"

namespace storeflow::runtime {
namespace {

using Json = nlohmann::json;

constexpr char kWorkflow[] = R"(workflow: abandoned-cart
on:
  - event: cart
config:
  abandon_after: 4h
  max_emails: 3
  discount: 0.1
  send: true
  subject: Your cart
  quiet: { from: 21, until: 8 }
steps:
  - id: note
    uses: log
    with: { message: "${{ config.abandon_after }}" }
)";

std::shared_ptr<const workflow::Workflow> Parse(const char* text = kWorkflow) {
  workflow::ValidateOptions options;
  options.check_rules = false;
  auto loaded = workflow::LoadWorkflowFromString(text, "wf.yaml", options);
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  return loaded.workflow();
}

WorkflowConfigOverrides FromFile(Json values) {
  WorkflowConfigOverrides o;
  int line = 1;
  for (auto& [key, value] : values.items()) {
    o.file["abandoned-cart"][key] = {value, "storeflow.yaml:" + std::to_string(++line) + ":5"};
  }
  return o;
}

TEST(WorkflowConfigTest, EnvironmentNamesAreUpperCaseWithUnderscores) {
  EXPECT_EQ(WorkflowConfigEnvName("abandoned-cart", "abandon_after"),
            "STOREFLOW_WORKFLOW_ABANDONED_CART_ABANDON_AFTER");
  EXPECT_EQ(WorkflowConfigEnvName("shop.v2", "maxEmails"), "STOREFLOW_WORKFLOW_SHOP_V2_MAXEMAILS");
  // The older spelling, still read.
  EXPECT_EQ(WorkflowConfigOldEnvName("abandoned-cart", "abandon_after"),
            "STOREFLOW_WORKFLOWS_ABANDONED_CART_ABANDON_AFTER");
  EXPECT_TRUE(IsWorkflowConfigEnvName("STOREFLOW_WORKFLOW_X_Y"));
  EXPECT_TRUE(IsWorkflowConfigEnvName("STOREFLOW_WORKFLOWS_X_Y"));
  EXPECT_FALSE(IsWorkflowConfigEnvName("STOREFLOW_WORKFLOWX_Y"));
  EXPECT_FALSE(IsWorkflowConfigEnvName("STOREFLOW_HTTP_LISTEN"));
}

TEST(WorkflowConfigTest, FileValuesReplaceTheWorkflowsAndMapsMergeKeyByKey) {
  auto wf = Parse();
  auto config = ApplyWorkflowConfig(
      *wf, FromFile({{"abandon_after", "2h"}, {"max_emails", 2}, {"quiet", {{"from", 22}}}}), true);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ((*config)["abandon_after"], "2h");
  EXPECT_EQ((*config)["max_emails"], 2);
  EXPECT_EQ((*config)["quiet"], (Json{{"from", 22}, {"until", 8}}));
  EXPECT_EQ((*config)["subject"], "Your cart") << "untouched keys keep the workflow's value";
  EXPECT_EQ(wf->config["abandon_after"], "4h") << "the parsed workflow is not changed";
}

TEST(WorkflowConfigTest, TheEnvironmentWinsOverTheFileAndIsReadAsJsonOrText) {
  auto wf = Parse();
  WorkflowConfigOverrides o = FromFile({{"abandon_after", "2h"}, {"max_emails", 2}});
  // Both spellings are read: the current one and the older STOREFLOW_WORKFLOWS_.
  o.env["STOREFLOW_WORKFLOW_ABANDONED_CART_ABANDON_AFTER"] = "90m";
  o.env["STOREFLOW_WORKFLOWS_ABANDONED_CART_MAX_EMAILS"] = "1";
  o.env["STOREFLOW_WORKFLOW_ABANDONED_CART_SEND"] = "false";
  o.env["STOREFLOW_WORKFLOWS_ABANDONED_CART_SUBJECT"] = "Still there?";
  std::set<std::string> used;
  auto config = ApplyWorkflowConfig(*wf, o, true, &used);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ((*config)["abandon_after"], "90m");
  EXPECT_EQ((*config)["max_emails"], 1);
  EXPECT_EQ((*config)["send"], false);
  EXPECT_EQ((*config)["subject"], "Still there?");
  EXPECT_EQ(used.size(), 4u);
  EXPECT_TRUE(WorkflowConfigEnvWarnings(o).empty());
}

TEST(WorkflowConfigTest, WhenBothSpellingsAreSetTheCurrentOneWinsWithAWarning) {
  auto wf = Parse();
  WorkflowConfigOverrides o;
  o.env["STOREFLOW_WORKFLOWS_ABANDONED_CART_MAX_EMAILS"] = "7";
  o.env["STOREFLOW_WORKFLOW_ABANDONED_CART_MAX_EMAILS"] = "2";
  std::set<std::string> used;
  auto config = ApplyWorkflowConfig(*wf, o, true, &used);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ((*config)["max_emails"], 2);
  // Neither is reported as unused (the older one is not a typo).
  EXPECT_EQ(used.size(), 2u);
  EXPECT_TRUE(UnusedWorkflowConfig(o, {wf}, used).empty());
  const auto warnings = WorkflowConfigEnvWarnings(o);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "environment STOREFLOW_WORKFLOWS_ABANDONED_CART_MAX_EMAILS and "
            "STOREFLOW_WORKFLOW_ABANDONED_CART_MAX_EMAILS are both set: "
            "STOREFLOW_WORKFLOW_ABANDONED_CART_MAX_EMAILS is used (STOREFLOW_WORKFLOWS_* is the "
            "older spelling); unset STOREFLOW_WORKFLOWS_ABANDONED_CART_MAX_EMAILS");
  // A bad value in the losing spelling is not read, so not an error.
  o.env["STOREFLOW_WORKFLOWS_ABANDONED_CART_MAX_EMAILS"] = "many";
  EXPECT_TRUE(ApplyWorkflowConfig(*wf, o, true).ok());
}

TEST(WorkflowConfigTest, ADurationTakesADurationOrSecondsAndNothingElse) {
  auto wf = Parse();
  auto seconds = ApplyWorkflowConfig(*wf, FromFile({{"abandon_after", 7200}}), true);
  ASSERT_TRUE(seconds.ok()) << seconds.status().ToString();
  EXPECT_EQ((*seconds)["abandon_after"], 7200);

  auto bad = ApplyWorkflowConfig(*wf, FromFile({{"abandon_after", "2 hours"}}), true);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("storeflow.yaml:2:5: workflows.abandoned-cart."
                                        "abandon_after: "),
            std::string::npos)
      << bad.status().message();
  auto map = ApplyWorkflowConfig(*wf, FromFile({{"abandon_after", {{"h", 2}}}}), true);
  ASSERT_FALSE(map.ok());
  EXPECT_NE(map.status().message().find("must be a duration"), std::string::npos)
      << map.status().message();
}

TEST(WorkflowConfigTest, EveryProblemIsNamedWithItsPlace) {
  auto wf = Parse();
  WorkflowConfigOverrides o = FromFile(
      {{"abandon_afterr", "2h"}, {"max_emails", 2.5}, {"send", "yes"}, {"quiet", {{"fromm", 1}}}});
  o.env["STOREFLOW_WORKFLOWS_ABANDONED_CART_DISCOUNT"] = "ten";
  auto config = ApplyWorkflowConfig(*wf, o, true);
  ASSERT_FALSE(config.ok());
  const std::string m = config.status().message();
  EXPECT_NE(m.find("invalid configuration of workflow 'abandoned-cart'"), std::string::npos) << m;
  EXPECT_NE(m.find("storeflow.yaml:2:5: unknown key 'abandon_afterr' in workflows.abandoned-cart "
                   "(valid keys: abandon_after, discount, max_emails, quiet, send, subject); did "
                   "you mean 'abandon_after'?"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("workflows.abandoned-cart.max_emails must be a whole number"), std::string::npos)
      << m;
  EXPECT_NE(m.find("workflows.abandoned-cart.send must be true or false"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key 'fromm' in workflows.abandoned-cart.quiet"), std::string::npos)
      << m;
  EXPECT_NE(m.find("environment STOREFLOW_WORKFLOWS_ABANDONED_CART_DISCOUNT: "
                   "workflows.abandoned-cart.discount must be a number"),
            std::string::npos)
      << m;
}

TEST(WorkflowConfigTest, NotStrictSkipsWhatAnOlderVersionDoesNotDeclare) {
  auto wf = Parse();
  auto config = ApplyWorkflowConfig(
      *wf, FromFile({{"retired_key", 1}, {"max_emails", "two"}, {"abandon_after", "1h"}}), false);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_FALSE(config->contains("retired_key"));
  EXPECT_EQ((*config)["max_emails"], 3);
  EXPECT_EQ((*config)["abandon_after"], "1h");
}

TEST(WorkflowConfigTest, UnusedOverridesNameTheWorkflowOrVariable) {
  auto wf = Parse();
  WorkflowConfigOverrides o;
  o.file["abandoned-carts"]["abandon_after"] = {"1h", "storeflow.yaml:3:5"};
  o.file_origins["abandoned-carts"] = "storeflow.yaml:2:3";
  o.env["STOREFLOW_WORKFLOWS_ABANDONED_CART_ABANDON_AFTR"] = "1h";
  o.env["STOREFLOW_WORKFLOWS_ABANDONED_CART_ABANDON_AFTER"] = "1h";
  o.env["STOREFLOW_WORKFLOW_ABANDONED_CART_MAX_EMAIL"] = "1";
  const auto problems =
      UnusedWorkflowConfig(o, {wf}, {"STOREFLOW_WORKFLOWS_ABANDONED_CART_ABANDON_AFTER"});
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0],
            "storeflow.yaml:2:3: workflows.abandoned-carts: no workflow named 'abandoned-carts' is "
            "loaded (loaded workflows: abandoned-cart); did you mean 'abandoned-cart'?");
  EXPECT_NE(problems[1].find("environment STOREFLOW_WORKFLOWS_ABANDONED_CART_ABANDON_AFTR: names "
                             "no config key of a loaded workflow"),
            std::string::npos)
      << problems[1];
  // The suggestion is in the spelling of the variable that was set.
  EXPECT_NE(problems[1].find("did you mean 'STOREFLOW_WORKFLOWS_ABANDONED_CART_ABANDON_AFTER'?"),
            std::string::npos)
      << problems[1];
  EXPECT_NE(problems[2].find("environment STOREFLOW_WORKFLOW_ABANDONED_CART_MAX_EMAIL: names "
                             "no config key of a loaded workflow"),
            std::string::npos)
      << problems[2];
  EXPECT_NE(problems[2].find("did you mean 'STOREFLOW_WORKFLOW_ABANDONED_CART_MAX_EMAILS'?"),
            std::string::npos)
      << problems[2];
}

// ---- through the engine -----------------------------------------------------

class WorkflowConfigEngineTest : public testing::RuntimeTest {};

TEST_P(WorkflowConfigEngineTest, RunsReadTheInstallationsValue) {
  WorkflowConfigOverrides o = FromFile({{"abandon_after", "2h"}});
  o.env["STOREFLOW_WORKFLOW_ABANDONED_CART_MAX_EMAILS"] = "1";
  engine_->catalog().set_config_overrides(o);
  auto loaded = Load(kWorkflow);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->workflow->config["abandon_after"], "2h");
  EXPECT_TRUE(engine_->catalog().UnusedConfigOverrides().empty());

  const std::int64_t id = Start("abandoned-cart");
  const store::RunRow run = Finish(id);
  ASSERT_EQ(run.status, store::RunStatus::kCompleted);
  const auto steps = Steps(id);
  ASSERT_TRUE(steps.count("note"));
  EXPECT_EQ(steps.at("note").output["message"], "2h") << "the expression read the override";
}

TEST_P(WorkflowConfigEngineTest, ABadValueFailsTheWorkflowsRegistration) {
  engine_->catalog().set_config_overrides(FromFile({{"abandon_after", "soon"}}));
  auto loaded = engine_->LoadWorkflowSource(kWorkflow, "wf.yaml");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("storeflow.yaml:2:5: workflows.abandoned-cart."
                                           "abandon_after"),
            std::string::npos)
      << loaded.status().message();
  EXPECT_EQ(engine_->catalog().Current("abandoned-cart"), nullptr);
}

TEST_P(WorkflowConfigEngineTest, WithoutOverridesTheWorkflowsOwnValuesApply) {
  auto loaded = Load(kWorkflow);
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->workflow->config["abandon_after"], "4h");
  WorkflowConfigOverrides unused;
  unused.env["STOREFLOW_WORKFLOWS_NOPE_X"] = "1";
  engine_->catalog().set_config_overrides(unused);
  const auto problems = engine_->catalog().UnusedConfigOverrides();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("STOREFLOW_WORKFLOWS_NOPE_X"), std::string::npos);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(WorkflowConfigEngineTest);

}  // namespace
}  // namespace storeflow::runtime
