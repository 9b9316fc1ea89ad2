// Errors of the validation pass: each at its exact file:line:col.

#include <gtest/gtest.h>

#include <fstream>

#include "common/json_schema.h"
#include "workflow/loader.h"
#include "workflow/validator.h"
#include "workflow_test_util.h"

namespace storeflow::workflow {
namespace {

using testing::Diagnose;
using testing::ExpectError;
using testing::ExpectOneError;
using testing::ExpectValid;
using testing::Join;

TEST(ValidatorErrorsTest, DuplicateStepIdsNameBothPositions) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: send
    uses: x.y
  - id: other
    uses: x.y
  - id: send
    uses: x.z
)yaml",
                 "wf.yaml:8:9",
                 "duplicate step id 'send': first at wf.yaml:4:9, again at wf.yaml:8:9");
}

TEST(ValidatorErrorsTest, DuplicateIdsAcrossNesting) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
  - id: each
    foreach: [1, 2]
    steps:
      - id: a
        uses: x.y
)yaml",
                 "wf.yaml:9:13", "duplicate step id 'a': first at wf.yaml:4:9");
}

TEST(ValidatorErrorsTest, InvalidAndReservedIds) {
  ExpectOneError("workflow: t\non: [{event: go}]\nsteps:\n  - id: send mail\n    uses: x.y\n",
                 "wf.yaml:4:9",
                 "invalid step id 'send mail': use letters, digits, '_' and '-' only");
  ExpectOneError("workflow: t\non: [{event: go}]\nsteps:\n  - id: end\n    uses: x.y\n",
                 "wf.yaml:4:9", "step id 'end' is reserved");
  ExpectOneError("workflow: my flow\non: [{event: go}]\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:1:11", "invalid workflow name 'my flow'");
  ExpectOneError("workflow: t\non: [{event: go}]\nsteps:\n  - uses: x.y\n", "wf.yaml:4:5",
                 "a step needs an 'id'");
}

TEST(ValidatorErrorsTest, ReferenceToALaterStep) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: first
    uses: x.y
    with: { v: "${{ steps.second.output }}" }
  - id: second
    uses: x.y
)yaml",
                 "wf.yaml:6:21",
                 "steps.second in step 'first' refers to step 'second', which runs later");
}

TEST(ValidatorErrorsTest, ReferenceToAMissingStepSuggests) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: save
    uses: x.y
  - id: use
    if: steps.sav.output ~= nil
    uses: x.y
)yaml",
                 "wf.yaml:7:9", "steps.sav in step 'use' names no step; did you mean 'save'?");
}

TEST(ValidatorErrorsTest, ReferenceToItself) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: loop
    if: steps.loop.output == nil
    uses: x.y
)yaml",
                 "wf.yaml:5:9", "step 'loop' uses its own output (steps.loop)");
}

TEST(ValidatorErrorsTest, BracketReferencesAndStringsInExpressions) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    with: { v: "${{ steps['check-out'].output }}", s: "${{ 'steps.nope' }}" }
  - id: check-out
    uses: x.y
)yaml",
                 "wf.yaml:6:21",
                 "steps[\"check-out\"] in step 'a' refers to step 'check-out', which runs later");
}

TEST(ValidatorErrorsTest, ForeachScopes) {
  // Inside: earlier nested steps, the enclosing foreach and steps before it count.
  ExpectValid(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: before
    uses: x.y
  - id: each
    foreach: "${{ steps.before.output.items }}"
    as: item
    steps:
      - id: one
        uses: x.y
        with: { a: "${{ steps.before.output }}", b: "${{ steps.each }}", c: "${{ item }}" }
      - id: two
        uses: x.y
        with: { a: "${{ steps.one.output }}" }
  - id: after
    uses: x.y
    with: { all: "${{ steps.each.output }}" }
)yaml");
  // Outside: a nested step is not visible.
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: each
    foreach: [1, 2]
    steps:
      - id: inner
        uses: x.y
  - id: after
    uses: x.y
    with: { v: "${{ steps.inner.output }}" }
)yaml",
                 "wf.yaml:11:21",
                 "steps.inner in step 'after' refers to a step inside foreach 'each'");
  // The list expression of a foreach runs before it: it cannot use itself.
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: each
    foreach: "${{ steps.each.output }}"
    steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:5:19", "step 'each' uses its own output");
}

TEST(ValidatorErrorsTest, WorkflowKeyCannotUseSteps) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
key: steps.a.output
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:6",
                 "the workflow 'key' is evaluated before any step runs; it cannot use steps.a");
}

TEST(ValidatorErrorsTest, JumpsToMissingSteps) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    then: fnish
  - id: finish
    uses: x.y
)yaml",
                 "wf.yaml:6:11",
                 "'then' of step 'a' jumps to 'fnish', but there is no such step (use a step id or "
                 "end); did you mean 'finish'?");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    on_error: recover
)yaml",
                 "wf.yaml:6:15",
                 "'on_error' of step 'a' jumps to 'recover', but there is no such step (use a step "
                 "id or fail, continue)");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    then: inner
  - id: each
    foreach: [1]
    steps: [{id: inner, uses: x.y}]
)yaml",
                 "wf.yaml:6:11", "which is not in the same list of steps");
  ExpectValid(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    on_error: c
    then: end
  - id: b
    uses: x.y
    on_error: continue
  - id: c
    uses: x.y
    on_error: fail
    then: a
)yaml");
}

TEST(ValidatorErrorsTest, LuaSyntaxErrorAtTheExpression) {
  // A bare expression: at its first character.
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    if: event.total >
    uses: x.y
)yaml",
                 "wf.yaml:5:9",
                 "Lua syntax error in expression `event.total >`: unexpected symbol near");
  // A template in a plain scalar: at the `${{`.
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    with:
      to: Dear ${{ event.name ( }}, hello
)yaml",
                 "wf.yaml:7:16", "Lua syntax error in expression `event.name (`");
  // In a double-quoted scalar with escapes before it.
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    with: { to: "a\tb\u00e9 ${{ 1 + }}" }
)yaml",
                 "wf.yaml:6:29", "Lua syntax error in expression `1 +`");
  // key, where, dedupe.
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
dedupe: event.id ==
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:9", "Lua syntax error");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: w
    wait_for: { event: a/b, timeout: 1h, where: "event.x ==== 1" }
)yaml",
                 "wf.yaml:5:50", "Lua syntax error in expression `event.x ==== 1`");
}

TEST(ValidatorErrorsTest, LuaSyntaxErrorOnALaterLineOfABlockScalar) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    if: |
      event.total > 10 and
      and event.vip
    uses: x.y
)yaml",
                 "wf.yaml:7:7", "Lua syntax error");
}

TEST(ValidatorErrorsTest, RespondNeedsAnHttpTrigger) {
  ExpectOneError(R"yaml(workflow: t
on: [{webhook: shopify/orders/create}]
steps:
  - id: answer
    respond: { status: 200 }
)yaml",
                 "wf.yaml:5:5",
                 "'respond' in step 'answer' answers the caller of an 'http' trigger, but workflow "
                 "'t' has no 'http' trigger");
}

TEST(ValidatorErrorsTest, RuleScriptMustExist) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: plan
    rule: scripts/nope.lua#next_email
)yaml",
                 "wf.yaml:5:11", "rule script 'scripts/nope.lua' not found");
}

TEST(ValidatorErrorsTest, RuleFunctionMustBeDefined) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: plan
    rule: scripts/email_timing.lua#next_emails
)yaml",
                 "wf.yaml:5:11",
                 "rule script 'scripts/email_timing.lua' defines no function 'next_emails' (it "
                 "defines: next_email); did you mean 'next_email'?");
  ExpectValid(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: plan
    rule: scripts/email_timing.lua#next_email
  - id: recommend
    rule: scripts/recommend.lua#recommend
    with: { events: "${{ event.events }}" }
)yaml");
}

TEST(ValidatorErrorsTest, RulePathsAreRelativeToTheRoot) {
  ValidateOptions elsewhere;
  elsewhere.root = std::string(STOREFLOW_SOURCE_DIR) + "/tests";
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: plan
    rule: scripts/email_timing.lua#next_email
)yaml",
                 "wf.yaml:5:11", "rule script 'scripts/email_timing.lua' not found (looked for ",
                 elsewhere);
  ValidateOptions no_rules = elsewhere;
  no_rules.check_rules = false;
  ExpectValid("workflow: t\non: [{event: go}]\nsteps:\n  - id: p\n    rule: scripts/x.lua#f\n",
              no_rules);
}

TEST(ValidatorErrorsTest, RuleNeedsPathAndFunction) {
  ExpectOneError("workflow: t\non: [{event: go}]\nsteps:\n  - id: p\n    rule: scripts/x.lua\n",
                 "wf.yaml:5:11", "'rule' must be 'path/to/script.lua#function'");
}

TEST(ValidatorErrorsTest, UnknownTimeZone) {
  ExpectOneError(R"yaml(workflow: t
on:
  - schedule: { cron: "0 3 * * *", timezone: Europe/Berln }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:23", "unknown time zone 'Europe/Berln'");
  ExpectOneError(R"yaml(workflow: t
on:
  - schedule: "CRON_TZ=Mars/Olympus 0 3 * * *"
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:15", "unknown time zone 'Mars/Olympus'");
  ExpectOneError(R"yaml(workflow: t
on:
  - schedule: { cron: "0 3 * * *", timezone: America }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:23", "unknown time zone 'America'");
}

TEST(ValidatorErrorsTest, RetryAttemptsAndDelays) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    retry: { attempts: 0 }
)yaml",
                 "wf.yaml:6:24", "retry.attempts of step 'a' must be at least 1, got 0");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
retry: { attempts: 3, delay: 1m, max_delay: 10s }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:45", "retry.max_delay (10s) is shorter than retry.delay (1m)");
}

TEST(ValidatorErrorsTest, TimeoutsMustBePositive) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    timeout: 0s
)yaml",
                 "wf.yaml:6:14", "'timeout' must be longer than 0");
}

TEST(ValidatorErrorsTest, ForeachAsName) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: each
    foreach: [1, 2]
    as: line item
    steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:6:9", "'as' of step 'each' must be a Lua name");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: each
    foreach: [1, 2]
    as: event
    steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:6:9", "cannot be 'event'");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: outer
    foreach: [1, 2]
    steps:
      - id: inner
        foreach: [3]
        steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:8:9", "reuses 'item', the item name of the enclosing foreach 'outer'");
}

TEST(ValidatorErrorsTest, SecretsOnlyInUsesWith) {
  ExpectValid(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    with: { key: "${{ secrets.API_KEY }}" }
)yaml");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    if: secrets.API_KEY ~= nil
    uses: x.y
)yaml",
                 "wf.yaml:5:9",
                 "'secrets' can only be used in 'with:' of a 'uses' step (in step 'a')");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: p
    rule: scripts/recommend.lua#recommend
    with: { key: "${{ secrets.API_KEY }}" }
)yaml",
                 "wf.yaml:6:23", "'secrets' can only be used");
}

TEST(ValidatorErrorsTest, OptionsThatNeedOthers) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
concurrency: { per_key: 1, on_new: skip }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:14",
                 "'concurrency' limits runs per key, but the workflow has no 'key'");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
dedupe_ttl: 1h
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:13", "'dedupe_ttl' has no effect without 'dedupe'");
}

TEST(ValidatorErrorsTest, WaitForKeyNeedsAWorkflowKey) {
  ExpectOneError(
      R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: w
    wait_for:
      event: shopify/orders/create
      key: event.cart_token
      timeout: 1h
)yaml",
      "wf.yaml:7:12",
      "'wait_for.key' of step 'w' is compared with run.key, but the workflow has no 'key'");
}

TEST(ValidatorErrorsTest, DuplicateTriggers) {
  ExpectOneError(R"yaml(workflow: t
on:
  - webhook: shopify/carts/create
  - webhook: shopify/carts/create
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:4:14",
                 "duplicate trigger 'webhook shopify/carts/create' (first at wf.yaml:3:14)");
}

TEST(ValidatorErrorsTest, UsesNeedsAnActionName) {
  ExpectOneError("workflow: t\non: [{event: go}]\nsteps:\n  - id: a\n    uses: store put\n",
                 "wf.yaml:5:11",
                 "'uses' of step 'a' must name a plugin action such as 'store.put'");
}

TEST(ValidatorErrorsTest, AllErrorsInOnePass) {
  // Five different mistakes, five diagnostics, in file order.
  std::vector<std::string> got = Diagnose(R"yaml(workflow: t
on: [{http: POST /carts}]
stpes_typo: 1
steps:
  - id: a
    sleep: 5x
  - id: b
    uses: x.y
    with: { v: "${{ steps.c.output }}" }
    then: nowhere
  - id: c
    if: event.(
    uses: x.y
)yaml");
  ASSERT_EQ(got.size(), 5u) << Join(got);
  EXPECT_EQ(got[0].rfind("wf.yaml:3:1: error: unknown key 'stpes_typo'", 0), 0u) << got[0];
  EXPECT_EQ(got[1].rfind("wf.yaml:6:12: error: 'sleep': invalid duration \"5x\"", 0), 0u) << got[1];
  EXPECT_EQ(got[2].rfind(
                "wf.yaml:9:21: error: steps.c in step 'b' refers to step 'c', which runs later", 0),
            0u)
      << got[2];
  EXPECT_EQ(got[3].rfind("wf.yaml:10:11: error: 'then' of step 'b' jumps to 'nowhere'", 0), 0u)
      << got[3];
  EXPECT_EQ(got[4].rfind("wf.yaml:12:9: error: Lua syntax error in expression `event.(`", 0), 0u)
      << got[4];
}

TEST(ValidatorErrorsTest, ValidateWorkflowRunsOnAHandBuiltModel) {
  Workflow wf;
  wf.name = "hand-built";
  Step s;
  s.id = "a";
  s.loc = {"mem", 1, 1};
  s.kind = RespondStep{};
  s.kind_loc = {"mem", 1, 3};
  wf.steps.push_back(s);
  Diagnostics d = ValidateWorkflow(wf);
  ASSERT_EQ(d.items().size(), 1u) << d.ToString();
  EXPECT_EQ(d.items()[0].ToString(),
            "mem:1:3: error: 'respond' in step 'a' answers the caller of an 'http' trigger, but "
            "workflow 'hand-built' has no 'http' trigger");
}

TEST(ValidatorErrorsTest, InputSchemaFileMustExistAndCompile) {
  ExpectOneError(
      "workflow: t\non: [{event: go}]\ninput: { schema: schemas/nope.json }\n"
      "steps: [{id: a, uses: x.y}]\n",
      "wf.yaml:3:18",
      "'input.schema' file 'schemas/nope.json' not found (looked for "
      "schemas/nope.json; the path is relative to the workflow file)");
  ExpectOneError(
      "workflow: t\non: [{event: go}]\ninput: { schema: { type: 7 } }\n"
      "steps: [{id: a, uses: x.y}]\n",
      "wf.yaml:3:18", "'input.schema': invalid JSON Schema");
}

TEST(ValidatorErrorsTest, ShippedCartSchemaAcceptsShopifysSample) {
  auto schema =
      JsonSchema::Load(std::string(STOREFLOW_SOURCE_DIR) + "/workflows/schemas/shopify/cart.json");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  std::ifstream in(std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/shopify/carts_create.json");
  nlohmann::json sample = nlohmann::json::parse(in);
  EXPECT_TRUE((*schema)->Validate(sample).empty())
      << DescribeViolations((*schema)->Validate(sample));
  sample.erase("token");
  EXPECT_FALSE((*schema)->Validate(sample).empty());
}

}  // namespace
}  // namespace storeflow::workflow
