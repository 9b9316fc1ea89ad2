// The workflows shipped in workflows/ load, and the model holds what they say.

#include <gtest/gtest.h>

#include "workflow/loader.h"
#include "workflow_test_util.h"

namespace storeflow::workflow {
namespace {

std::shared_ptr<const Workflow> Load(const std::string& name) {
  LoadResult r = LoadWorkflow(std::string(STOREFLOW_SOURCE_DIR) + "/workflows/" + name,
                              testing::RepoOptions());
  EXPECT_TRUE(r.ok()) << r.diagnostics().ToString();
  return r.workflow();
}

TEST(ShippedWorkflowsTest, AbandonedCart) {
  auto wf = Load("abandoned-cart.yaml");
  ASSERT_TRUE(wf);
  EXPECT_EQ(wf->name, "abandoned-cart");
  EXPECT_EQ(wf->version, 3);
  ASSERT_EQ(wf->triggers.size(), 2u);
  EXPECT_EQ(wf->triggers[0].ToString(), "webhook shopify/carts/create");
  EXPECT_EQ(wf->triggers[1].ToString(), "webhook shopify/carts/update");
  ASSERT_TRUE(wf->input);
  EXPECT_EQ(wf->input->schema_path, "schemas/shopify/cart.json");
  ASSERT_TRUE(wf->key);
  EXPECT_EQ(wf->key->code, "event.token");
  EXPECT_EQ(wf->key->loc.line, 15);
  EXPECT_EQ(wf->key->loc.col, 6);
  EXPECT_EQ(wf->key->ChunkName(), "@" + wf->source_path + ":15");
  ASSERT_TRUE(wf->concurrency);
  EXPECT_EQ(wf->concurrency->on_new, OnNew::kReplace);
  EXPECT_EQ(wf->config["abandon_after"], "4h");
  EXPECT_EQ(wf->config["max_emails"], 3);

  const Step* still = wf->FindStep("still_there");
  ASSERT_NE(still, nullptr);
  ASSERT_TRUE(still->retry);
  EXPECT_EQ(still->retry->attempts, 6);
  EXPECT_EQ(still->retry->backoff, Backoff::kExponential);
  EXPECT_EQ(still->retry->delay.literal(), std::chrono::seconds(30));
  EXPECT_EQ(still->retry->max_delay->literal(), std::chrono::minutes(10));
  EXPECT_EQ(still->retry->jitter, Jitter::kFull);

  const Step* wait = wf->FindStep("wait_order");
  ASSERT_NE(wait, nullptr);
  const auto& w = std::get<WaitForStep>(wait->kind);
  EXPECT_EQ(w.event, "shopify/orders/create");
  EXPECT_FALSE(w.timeout.is_literal());

  const Step* converted = wf->FindStep("converted");
  ASSERT_NE(converted, nullptr);
  EXPECT_EQ(converted->then.action, NextAction::kEnd);
  ASSERT_TRUE(converted->condition);
  ASSERT_EQ(converted->condition->step_refs.size(), 1u);
  EXPECT_EQ(converted->condition->step_refs[0].step_id, "wait_order");

  const Step* emails = wf->FindStep("emails");
  ASSERT_NE(emails, nullptr);
  const auto& each = std::get<ForeachStep>(emails->kind);
  EXPECT_EQ(each.as, "number");
  EXPECT_EQ(each.steps.size(), 5u);
  const Step* plan = wf->FindStep("plan");  // nested
  ASSERT_NE(plan, nullptr);
  const auto& rule = std::get<RuleStep>(plan->kind);
  EXPECT_EQ(rule.script, "scripts/email_timing.lua");
  EXPECT_EQ(rule.function, "next_email");
  EXPECT_EQ(wf->StepCount(), 13u);
  EXPECT_EQ(wf->steps.size(), 8u);
}

TEST(ShippedWorkflowsTest, ShopOrders) {
  auto wf = Load("shop-orders.yaml");
  ASSERT_TRUE(wf);
  ASSERT_EQ(wf->triggers.size(), 1u);
  const auto& http = std::get<HttpTrigger>(wf->triggers[0].spec);
  EXPECT_EQ(http.method, "POST");
  EXPECT_EQ(http.path, "/orders");
  EXPECT_TRUE(wf->HasTrigger("http"));
  ASSERT_TRUE(wf->retry);
  EXPECT_EQ(wf->retry->attempts, 3);
  ASSERT_TRUE(wf->dedupe_ttl);
  EXPECT_EQ(wf->dedupe_ttl->literal(), std::chrono::hours(24));
  const Step* received = wf->FindStep("received");
  ASSERT_NE(received, nullptr);
  EXPECT_EQ(received->kind_name(), "respond");
  const Step* payment = wf->FindStep("payment");
  ASSERT_NE(payment, nullptr);
  EXPECT_EQ(payment->kind_name(), "rule");
  EXPECT_EQ(wf->FindStep("confirm")->on_error.action, ErrorAction::kContinue);
  EXPECT_EQ(wf->FindStep("declined")->then.action, NextAction::kEnd);
  EXPECT_EQ(wf->FindStep("announce")->kind_name(), "emit");
}

TEST(ShippedWorkflowsTest, PositionsAreKeptOnEveryNode) {
  auto wf = Load("shop-orders.yaml");
  ASSERT_TRUE(wf);
  for (const Step& s : wf->steps) {
    EXPECT_TRUE(s.loc.known()) << s.id;
    EXPECT_EQ(s.loc.file, wf->source_path);
    EXPECT_TRUE(s.kind_loc.known()) << s.id;
  }
  EXPECT_TRUE(wf->triggers[0].loc.known());
}

}  // namespace
}  // namespace storeflow::workflow
