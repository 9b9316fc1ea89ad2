// The workflows shipped in workflows/ load, and the model holds what they say.

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "common/json_schema.h"

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
  EXPECT_EQ(wf->version, 5);
  ASSERT_EQ(wf->triggers.size(), 2u);
  EXPECT_EQ(wf->triggers[0].ToString(), "webhook shopify/carts/create");
  EXPECT_EQ(wf->triggers[1].ToString(), "webhook shopify/carts/update");
  ASSERT_TRUE(wf->input);
  EXPECT_EQ(wf->input->schema_path, "schemas/shopify/cart.json");
  ASSERT_TRUE(wf->key);
  EXPECT_EQ(wf->key->code, "event.token");
  EXPECT_EQ(wf->key->loc.line, 27);
  EXPECT_EQ(wf->key->loc.col, 6);
  EXPECT_EQ(wf->key->ChunkName(), "@" + wf->source_path + ":27");
  ASSERT_TRUE(wf->concurrency);
  EXPECT_EQ(wf->concurrency->on_new, OnNew::kReplace);
  EXPECT_EQ(wf->config["abandon_after"], "4h");
  EXPECT_EQ(wf->config["max_emails"], 3);
  EXPECT_EQ(wf->config["frequency_cap"], "24h");
  EXPECT_EQ(wf->config["track_for"], "14d");
  EXPECT_EQ(wf->config["require_consent"], true);

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

  // An order before the delay jumps to the outcome (`final`), not to the end.
  const Step* converted = wf->FindStep("converted");
  ASSERT_NE(converted, nullptr);
  EXPECT_EQ(converted->then.action, NextAction::kGoto);
  EXPECT_EQ(converted->then.target, "final");
  ASSERT_TRUE(converted->condition);
  ASSERT_EQ(converted->condition->step_refs.size(), 1u);
  EXPECT_EQ(converted->condition->step_refs[0].step_id, "wait_order");

  // The email sequence is a loop back to `state` after each sent email.
  const Step* sent = wf->FindStep("sent");
  ASSERT_NE(sent, nullptr);
  EXPECT_EQ(sent->then.action, NextAction::kGoto);
  EXPECT_EQ(sent->then.target, "state");
  const Step* plan = wf->FindStep("plan");
  ASSERT_NE(plan, nullptr);
  const auto& rule = std::get<RuleStep>(plan->kind);
  EXPECT_EQ(rule.script, "scripts/email_timing.lua");
  EXPECT_EQ(rule.function, "next_email");
  const Step* gate = wf->FindStep("gate");
  ASSERT_NE(gate, nullptr);
  EXPECT_EQ(std::get<RuleStep>(gate->kind).function, "gate");
  const Step* send = wf->FindStep("send");
  ASSERT_NE(send, nullptr);
  // A failed or interrupted send is tried again through a wait an order can end,
  // as one named effect (one Message-ID for every attempt of an email).
  EXPECT_TRUE(std::get<UsesStep>(send->kind).idempotency_key);
  EXPECT_EQ(send->on_error.action, ErrorAction::kGoto);
  EXPECT_EQ(send->on_error.target, "send_failed");
  const Step* backoff = wf->FindStep("send_backoff");
  ASSERT_NE(backoff, nullptr);
  EXPECT_EQ(backoff->kind_name(), "wait_for");
  EXPECT_EQ(wf->FindStep("send_again")->then.target, "send");
  EXPECT_EQ(wf->StepCount(), 34u);
  EXPECT_EQ(wf->steps.size(), 34u);
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

// The webhook sync workflows: one queue per entity that a dead letter holds,
// invalid payloads as dead letters, fenced writes.
TEST(ShippedWorkflowsTest, WebhookSync) {
  for (const std::string name : {"products", "orders", "customers"}) {
    auto wf = Load("sync-" + name + ".yaml");
    ASSERT_TRUE(wf) << name;
    EXPECT_EQ(wf->name, "sync-" + name);
    ASSERT_TRUE(wf->input);
    EXPECT_EQ(wf->input->on_invalid, OnInvalid::kDeadLetter);
    ASSERT_TRUE(wf->key);
    EXPECT_EQ(wf->key->code, "event.id");
    ASSERT_TRUE(wf->concurrency);
    EXPECT_EQ(wf->concurrency->per_key, 1);
    EXPECT_EQ(wf->concurrency->on_new, OnNew::kQueue);
    EXPECT_EQ(wf->concurrency->on_failure, OnFailure::kHold);
    ASSERT_TRUE(wf->retry);
    EXPECT_EQ(wf->retry->attempts, 5);
    ASSERT_NE(wf->FindStep("tombstone"), nullptr);
    ASSERT_NE(wf->FindStep("upsert"), nullptr);
  }
}

// Reconciliation: daily from a schedule its config holds (so an installation can
// move or stop it), on demand by an event; the walk writes through the fenced
// store.put of the webhook sync; critical raises the sync alert.
TEST(ShippedWorkflowsTest, ReconcileAndTheSyncAlert) {
  auto wf = Load("reconcile.yaml");
  ASSERT_TRUE(wf);
  ASSERT_EQ(wf->triggers.size(), 2u);
  const auto* schedule = std::get_if<ScheduleTrigger>(&wf->triggers[0].spec);
  ASSERT_NE(schedule, nullptr);
  EXPECT_EQ(schedule->config_key, "schedule");
  EXPECT_EQ(schedule->cron.expression(), "0 4 * * *");
  EXPECT_FALSE(schedule->off);
  EXPECT_EQ(wf->triggers[1].ToString(), "event reconcile/requested");
  EXPECT_EQ(wf->config["thresholds"], (nlohmann::json{{"warning", 1}, {"critical", 25}}));
  const Step* put = wf->FindStep("put");
  ASSERT_NE(put, nullptr);
  const auto* uses = std::get_if<UsesStep>(&put->kind);
  ASSERT_NE(uses, nullptr);
  EXPECT_EQ(uses->action, "store.put");
  ASSERT_NE(wf->FindStep("next_page"), nullptr);
  EXPECT_EQ(wf->FindStep("next_page")->then.target, "checkpoint");
  ASSERT_NE(wf->FindStep("alert"), nullptr);

  auto alert = Load("sync-alert.yaml");
  ASSERT_TRUE(alert);
  EXPECT_EQ(alert->triggers[0].ToString(), "event sync/alert");
}

// `schedule: "${{ config.NAME }}"`: the cron comes from the config; "off" turns
// it off; a bad value or an undeclared key is an error at the trigger.
TEST(ShippedWorkflowsTest, ASchedulesCronCanComeFromTheConfig) {
  const std::string head = "workflow: s\non:\n  - schedule: \"${{ config.when }}\"\n";
  const std::string steps = "steps:\n  - id: a\n    uses: log\n";
  LoadResult ok = LoadWorkflowFromString(head + "config: { when: \"*/5 * * * *\" }\n" + steps,
                                         "s.yaml", testing::RepoOptions());
  ASSERT_TRUE(ok.ok()) << ok.diagnostics().ToString();
  const auto& s = std::get<ScheduleTrigger>(ok.workflow()->triggers[0].spec);
  EXPECT_EQ(s.cron.expression(), "*/5 * * * *");
  EXPECT_EQ(ok.workflow()->triggers[0].ToString(), "schedule config.when UTC");

  LoadResult off = LoadWorkflowFromString(head + "config: { when: \"off\" }\n" + steps, "s.yaml",
                                          testing::RepoOptions());
  ASSERT_TRUE(off.ok()) << off.diagnostics().ToString();
  EXPECT_TRUE(std::get<ScheduleTrigger>(off.workflow()->triggers[0].spec).off);

  LoadResult bad = LoadWorkflowFromString(head + "config: { when: \"0 25 * * *\" }\n" + steps,
                                          "s.yaml", testing::RepoOptions());
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.diagnostics().ToString().find("s.yaml:3:15: error: config.when \"0 25 * * *\""),
            std::string::npos)
      << bad.diagnostics().ToString();
  LoadResult undeclared = LoadWorkflowFromString(head + steps, "s.yaml", testing::RepoOptions());
  EXPECT_FALSE(undeclared.ok());
  EXPECT_NE(undeclared.diagnostics().ToString().find("does not declare"), std::string::npos)
      << undeclared.diagnostics().ToString();
  LoadResult other =
      LoadWorkflowFromString("workflow: s\non:\n  - schedule: \"${{ event.x }}\"\n" + steps,
                             "s.yaml", testing::RepoOptions());
  EXPECT_FALSE(other.ok());
  EXPECT_NE(other.diagnostics().ToString().find("exactly \"${{ config.NAME }}\""),
            std::string::npos)
      << other.diagnostics().ToString();

  // An installation's value replaces the default.
  Workflow copy = *ok.workflow();
  copy.config["when"] = "0 6 * * MON";
  EXPECT_TRUE(ResolveConfiguredSchedules(copy).empty());
  EXPECT_EQ(std::get<ScheduleTrigger>(copy.triggers[0].spec).cron.expression(), "0 6 * * MON");
  copy.config["when"] = 5;
  const auto problems = ResolveConfiguredSchedules(copy);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "config.when must be a cron string or \"off\", got 5");
}

// The schemas accept Shopify's documented sample payloads and delete bodies, and
// name what is wrong with a bad one.
TEST(ShippedWorkflowsTest, ShopifySchemasAcceptTheSamplesAndNameViolations) {
  const std::string root = STOREFLOW_SOURCE_DIR;
  auto read = [&](const std::string& path) {
    std::ifstream in(root + "/" + path);
    return nlohmann::json::parse(in, nullptr, false);
  };
  auto schema = [&](const std::string& name) {
    auto loaded = JsonSchema::Load(root + "/workflows/schemas/shopify/" + name + ".json");
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return loaded.ok() ? *loaded : nullptr;
  };
  auto product = schema("product");
  auto order = schema("order");
  auto customer = schema("customer");
  ASSERT_TRUE(product && order && customer);
  const nlohmann::json sample_product =
      read("tests/fixtures/shopify/webhooks/products_update.json");
  ASSERT_TRUE(sample_product.is_object());
  EXPECT_TRUE(product->Validate(sample_product).empty())
      << DescribeViolations(product->Validate(sample_product));
  for (const char* file : {"orders_create.json", "orders_paid.json"}) {
    const nlohmann::json sample = read(std::string("tests/fixtures/shopify/webhooks/") + file);
    EXPECT_TRUE(order->Validate(sample).empty())
        << file << ": " << DescribeViolations(order->Validate(sample));
  }
  // Shopify's sample customer (its "send test notification" payload) has
  // updated_at null: it has no version, so the sync takes it for a dead letter.
  for (auto c : read("tests/fixtures/shopify/sim/alpha.myshopify.com/customers.json")) {
    const auto violations = customer->Validate(c);
    ASSERT_FALSE(violations.empty());
    for (const auto& v : violations) EXPECT_EQ(v.path, "$.updated_at") << v.message;
    c["updated_at"] = "2026-12-06T10:00:00-05:00";
    EXPECT_TRUE(customer->Validate(c).empty()) << DescribeViolations(customer->Validate(c));
  }
  const nlohmann::json deletion = nlohmann::json::parse(R"({"id": 9007199254740993})");
  EXPECT_TRUE(product->Validate(deletion).empty());
  EXPECT_TRUE(order->Validate(deletion).empty());
  EXPECT_TRUE(customer->Validate(deletion).empty());

  nlohmann::json bad = sample_product;
  bad.erase("updated_at");
  bad["variants"][0]["price"] = 19.99;  // a number, not Shopify's decimal string
  const auto violations = product->Validate(bad);
  EXPECT_FALSE(violations.empty());
  const std::string text = DescribeViolations(violations, 20);
  EXPECT_NE(text.find("updated_at"), std::string::npos) << text;
  EXPECT_NE(text.find("variants[0].price"), std::string::npos) << text;
}

}  // namespace
}  // namespace storeflow::workflow
