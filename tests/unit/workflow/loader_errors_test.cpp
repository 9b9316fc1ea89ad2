// Errors the loader finds while reading a file: each at its exact file:line:col.

#include <gtest/gtest.h>

#include "workflow/loader.h"
#include "workflow_test_util.h"

namespace storeflow::workflow {
namespace {

using testing::Diagnose;
using testing::ExpectError;
using testing::ExpectOneError;
using testing::ExpectValid;
using testing::Join;

TEST(LoaderErrorsTest, MinimalWorkflowIsValid) {
  ExpectValid(R"yaml(workflow: t
on:
  - event: go
steps:
  - id: a
    uses: x.y
)yaml");
}

TEST(LoaderErrorsTest, UnknownTopLevelKeyNamesValidKeysAndSuggests) {
  ExpectOneError(R"yaml(workflow: t
descriptoin: hi
on: [{event: go}]
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:2:1",
                 "unknown key 'descriptoin' in the workflow (valid keys: concurrency, config, "
                 "dedupe, dedupe_ttl, description, input, key, on, retry, steps, version, "
                 "workflow); did you mean 'description'?");
}

TEST(LoaderErrorsTest, UnknownKeyInAStep) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    iff: true
)yaml",
                 "wf.yaml:6:5", "unknown key 'iff' in step 'a' (valid keys: as, emit,");
  ExpectError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    iff: true
)yaml",
              "wf.yaml:6:5", "did you mean 'if'?");
}

TEST(LoaderErrorsTest, UnknownKeysInNestedMaps) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    retry: { attempts: 2, dealy: 1s }
)yaml",
                 "wf.yaml:6:27",
                 "unknown key 'dealy' in 'retry' (valid keys: attempts, backoff, "
                 "delay, jitter, max_delay); did you mean 'delay'?");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    wait_for:
      event: shop/orders/create
      timeout: 1h
      wher: event.x
)yaml",
                 "wf.yaml:8:7", "unknown key 'wher' in 'wait_for'");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
key: event.id
concurrency: { per_key: 1, onnew: skip }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:4:28", "did you mean 'on_new'?");
  ExpectOneError(R"yaml(workflow: t
on:
  - schedule: { cron: "0 3 * * *", tz: UTC }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:36", "unknown key 'tz' in schedule (valid keys: cron, timezone)");
  ExpectOneError(R"yaml(workflow: t
on:
  - webhok: shopify/orders/create
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:5",
                 "unknown key 'webhok' in a trigger (valid keys: event, http, "
                 "queue, schedule, webhook); did you mean 'webhook'?");
}

TEST(LoaderErrorsTest, UnknownStepKind) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    use: x.y
)yaml",
                 "wf.yaml:5:5",
                 "unknown step kind 'use' in step 'a' (step kinds: emit, fail, foreach, respond, "
                 "rule, sleep, uses, wait_for); did you mean 'uses'?");
}

TEST(LoaderErrorsTest, TwoKindsInOneStep) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: x
    uses: store.put
    sleep: 5s
)yaml",
                 "wf.yaml:6:5",
                 "step 'x' has both 'uses' and 'sleep'; a step has exactly one kind");
}

TEST(LoaderErrorsTest, StepWithoutKind) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: lonely
    if: true
)yaml",
                 "wf.yaml:4:9",
                 "step 'lonely' has no kind; give it one of: uses, rule, sleep, "
                 "wait_for, emit, respond, foreach, fail");
}

TEST(LoaderErrorsTest, MissingWorkflowOnAndSteps) {
  ExpectOneError("on: [{event: go}]\nsteps: [{id: a, uses: x.y}]\n", "wf.yaml:1:1",
                 "missing 'workflow'");
  ExpectOneError("workflow: t\non: [{event: go}]\n", "wf.yaml:1:1", "missing 'steps'");
  ExpectOneError("workflow: t\nsteps: [{id: a, uses: x.y}]\n", "wf.yaml:1:1", "missing 'on'");
  ExpectOneError("", "wf.yaml:1:1", "the file is empty");
  ExpectOneError("workflow: t\non: [{event: go}]\nsteps: []\n", "wf.yaml:3:8",
                 "'steps' of the workflow is empty");
}

TEST(LoaderErrorsTest, WrongTypes) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    retry: [3]
)yaml",
                 "wf.yaml:6:12", "'retry' must be a map, got a list");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  id: a
  uses: x.y
)yaml",
                 "wf.yaml:4:3", "'steps' of the workflow must be a list of steps, got a map");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: {plugin: x}
)yaml",
                 "wf.yaml:5:11", "'uses' must be a string, got a map");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    with: [1, 2]
)yaml",
                 "wf.yaml:6:11",
                 "'with' must be a map of inputs or exactly one \"${{ }}\" that yields one, got "
                 "a list");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    with: "inputs: ${{ event.q }}"
)yaml",
                 "wf.yaml:6:11", "'with' must be a map of inputs or exactly one");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
config: [a]
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:9", "'config' must be a map, got a list");
  ExpectOneError(R"yaml(workflow: t
on: webhook
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:2:5", "'on' must be a list of triggers");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - just a string
)yaml",
                 "wf.yaml:4:5", "a step must be a map with an 'id' and one kind");
}

TEST(LoaderErrorsTest, VersionMustBeAPositiveInteger) {
  const char* kTemplate =
      "workflow: t\nversion: %s\non: [{event: go}]\nsteps: [{id: a, uses: x.y}]\n";
  auto with_version = [&](const char* v) {
    char buf[256];
    std::snprintf(buf, sizeof buf, kTemplate, v);
    return std::string(buf);
  };
  ExpectOneError(with_version("0"), "wf.yaml:2:10", "'version' must be a positive integer, got 0");
  ExpectOneError(with_version("-2"), "wf.yaml:2:10",
                 "'version' must be a positive integer, got -2");
  ExpectOneError(with_version("1.5"), "wf.yaml:2:10",
                 "'version' must be an integer, got a number '1.5'");
  ExpectOneError(with_version("\"3\""), "wf.yaml:2:10",
                 "'version' must be an integer, got a string '3'");
  ExpectValid(with_version("3"));
}

TEST(LoaderErrorsTest, BadDurationsAtTheirValue) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: nap
    sleep: 5 minutes
)yaml",
                 "wf.yaml:5:12", "'sleep': invalid duration \"5 minutes\": number without a unit");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    timeout: 10x
)yaml",
                 "wf.yaml:6:14", "'timeout': invalid duration \"10x\": unknown unit \"x\"");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    retry: { attempts: 3, delay: soon }
)yaml",
                 "wf.yaml:6:34", "'retry.delay': invalid duration \"soon\"");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
dedupe: event.id
dedupe_ttl: P1M
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:4:13", "'dedupe_ttl': invalid duration \"P1M\": years and months");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: w
    wait_for: { event: shop/orders/create, timeout: 4 }
)yaml",
                 "wf.yaml:5:53",
                 "'wait_for.timeout': invalid duration \"4\": number without a unit");
}

TEST(LoaderErrorsTest, TemplatedDurationsWaitForRunTime) {
  ExpectValid(R"yaml(workflow: t
on: [{event: go}]
config: { wait: 4h }
steps:
  - id: w
    wait_for: { event: shop/orders/create, timeout: "${{ config.wait }}" }
  - id: nap
    sleep: "${{ 2 * 60 }}s"
  - id: until
    sleep: { until: "${{ event.at }}" }
)yaml");
}

TEST(LoaderErrorsTest, BadCronAtTheSchedule) {
  ExpectOneError(R"yaml(workflow: t
on:
  - schedule: "0 25 * * *"
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:15", "invalid cron \"0 25 * * *\": hour 25 is out of range 0-23");
  ExpectOneError(R"yaml(workflow: t
on:
  - schedule: { cron: "0 3 * *" }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:23", "expected 5 fields");
}

TEST(LoaderErrorsTest, EnumsRetryAndConcurrency) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    retry: { attempts: 3, backoff: linear }
)yaml",
                 "wf.yaml:6:36", "invalid backoff 'linear' (valid values: constant, exponential)");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    retry: { attempts: 3, jitter: half }
)yaml",
                 "wf.yaml:6:35", "invalid jitter 'half' (valid values: full, none)");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
key: event.id
concurrency: { per_key: 1, on_new: debounce }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:4:36", "invalid on_new 'debounce' (valid values: queue, replace, skip)");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
key: event.id
concurrency: { per_key: 0 }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:4:25", "'concurrency.per_key' must be at least 1");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
key: event.id
concurrency: { on_failure: keep }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:4:28", "invalid on_failure 'keep' (valid values: hold, release)");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
key: event.id
concurrency: { on_new: replace, on_failure: hold }
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:4:45", "'concurrency.on_failure: hold' needs 'on_new: queue'");
}

TEST(LoaderErrorsTest, ConcurrencyOnFailureIsParsed) {
  LoadResult result = LoadWorkflowFromString(R"yaml(workflow: t
on: [{event: go}]
key: event.id
concurrency: { per_key: 1, on_new: queue, on_failure: hold }
steps: [{id: a, uses: x.y}]
)yaml",
                                             "wf.yaml", testing::RepoOptions());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_TRUE(result.workflow()->concurrency.has_value());
  EXPECT_EQ(result.workflow()->concurrency->on_failure, OnFailure::kHold);
}

TEST(LoaderErrorsTest, ForeachNeedsStepsAndAList) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: each
    foreach: "${{ event.items }}"
)yaml",
                 "wf.yaml:5:5", "foreach step 'each' needs 'steps'");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: each
    foreach: items
    steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:5:14", "'foreach' needs a list or exactly one '${{ expr }}'");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    as: thing
)yaml",
                 "wf.yaml:6:5", "'as' only applies to 'foreach' steps; step 'a' is a 'uses' step");
}

TEST(LoaderErrorsTest, WithOnlyForUsesAndRule) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: nap
    sleep: 1s
    with: { a: 1 }
)yaml",
                 "wf.yaml:6:5", "'with' only applies to 'uses' and 'rule' steps");
}

TEST(LoaderErrorsTest, IdempotencyKeyOnlyForUses) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: nap
    sleep: 1s
    idempotency_key: "nap-${{ event.n }}"
)yaml",
                 "wf.yaml:6:5",
                 "'idempotency_key' only applies to 'uses' steps; step 'nap' is a 'sleep' step");
  ExpectValid(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: send
    uses: log
    idempotency_key: "send-${{ event.n }}"
    with: { message: hi }
)yaml");
}

TEST(LoaderErrorsTest, TriggerShapes) {
  // A list of one-key maps, a map of kinds, a kind with a list of values.
  ExpectValid(R"yaml(workflow: t
on:
  - webhook: shopify/carts/create
  - http: POST /orders/{id}
  - schedule: "0 3 * * *"
  - schedule: { cron: "*/5 * * * *", timezone: Europe/Berlin }
  - queue: sqs/orders.fifo
  - event: cart/abandoned
steps: [{id: a, uses: x.y}]
)yaml");
  ExpectValid(R"yaml(workflow: t
on:
  webhook: [shopify/carts/create, shopify/carts/update]
  schedule: "CRON_TZ=America/New_York 0 9 * * MON-FRI"
steps: [{id: a, uses: x.y}]
)yaml");
  LoadResult r = LoadWorkflowFromString(R"yaml(workflow: t
on:
  webhook: [shopify/carts/create, shopify/carts/update]
steps: [{id: a, uses: x.y}]
)yaml",
                                        "wf.yaml", testing::RepoOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r.workflow()->triggers.size(), 2u);
  const auto& w = std::get<WebhookTrigger>(r.workflow()->triggers[1].spec);
  EXPECT_EQ(w.source, "shopify");
  EXPECT_EQ(w.topic, "carts/update");
}

TEST(LoaderErrorsTest, BadTriggers) {
  ExpectOneError("workflow: t\non:\n  - webhook: shopify\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:3:14", "webhook trigger 'shopify' must be 'source/topic'");
  ExpectOneError("workflow: t\non:\n  - http: FETCH /orders\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:3:11", "unknown HTTP method 'FETCH'");
  ExpectOneError("workflow: t\non:\n  - http: post /orders\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:3:11", "did you mean 'POST'?");
  ExpectOneError("workflow: t\non:\n  - http: POST orders\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:3:11", "http trigger path 'orders' must start with '/'");
  ExpectOneError("workflow: t\non:\n  - http: GET /orders/{id}/{id}\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:3:11", "uses the parameter {id} twice");
  ExpectOneError("workflow: t\non:\n  - http: GET /orders/{1x}\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:3:11", "has a bad parameter '{1x}'");
  ExpectOneError("workflow: t\non:\n  - http: GET /orders/\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:3:11", "has an empty segment");
  ExpectOneError("workflow: t\non:\n  - http: POST\nsteps: [{id: a, uses: x.y}]\n", "wf.yaml:3:11",
                 "must be 'METHOD /path'");
  ExpectOneError("workflow: t\non:\n  - queue: orders\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:3:12", "queue trigger 'orders' must be 'plugin/queue-name'");
  ExpectOneError("workflow: t\non:\n  - event: has space\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:3:12", "event trigger 'has space' must be a name");
  ExpectOneError("workflow: t\non:\n  - webhook: a/b\n    event: c\nsteps: [{id: a, uses: x.y}]\n",
                 "wf.yaml:4:5", "a trigger has exactly one kind");
  ExpectOneError("workflow: t\non: []\nsteps: [{id: a, uses: x.y}]\n", "wf.yaml:2:5",
                 "'on' lists no triggers");
}

TEST(LoaderErrorsTest, RespondStatusMustBeAStatusCode) {
  ExpectOneError(R"yaml(workflow: t
on: [{http: POST /x}]
steps:
  - id: r
    respond: { status: 42 }
)yaml",
                 "wf.yaml:5:24", "'respond.status' must be an HTTP status code (100-599)");
}

TEST(LoaderErrorsTest, YamlSyntaxErrorIsOneDiagnosticAtItsPosition) {
  std::vector<std::string> got = Diagnose("workflow: t\nsteps: [1,\non: x\n");
  ASSERT_EQ(got.size(), 1u) << Join(got);
  EXPECT_EQ(got[0], "wf.yaml:4:1: error: YAML syntax: end of sequence flow not found");
  ExpectOneError("workflow: t\non:\n  - event: go\n bad: indent\n", "wf.yaml:4:2",
                 "YAML syntax: end of map not found");
}

TEST(LoaderErrorsTest, DuplicateYamlKeys) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
workflow: u
steps: [{id: a, uses: x.y}]
)yaml",
                 "wf.yaml:3:1", "duplicate key 'workflow' in the workflow (first at wf.yaml:1:1)");
}

TEST(LoaderErrorsTest, OneDocumentPerFile) {
  ExpectOneError("workflow: t\non: [{event: go}]\nsteps: [{id: a, uses: x.y}]\n---\nworkflow: u\n",
                 "wf.yaml:5:1", "holds one YAML document");
}

TEST(LoaderErrorsTest, UnterminatedTemplateAtItsDollar) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    with:
      to: hello ${{ event.email }
)yaml",
                 "wf.yaml:7:17", "unterminated '${{' (no matching '}}')");
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    with: { to: "${{  }}" }
)yaml",
                 "wf.yaml:6:18", "empty expression in '${{ }}'");
}

TEST(LoaderErrorsTest, BareExpressionFieldsRejectEmbeddedTemplates) {
  ExpectOneError(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    if: total is ${{ event.total }}
    uses: x.y
)yaml",
                 "wf.yaml:5:18", "'if' takes a bare Lua expression");
  // A value that is exactly one template is accepted as the expression.
  ExpectValid(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    if: ${{ event.total > 10 }}
    uses: x.y
)yaml");
}

}  // namespace
}  // namespace storeflow::workflow
