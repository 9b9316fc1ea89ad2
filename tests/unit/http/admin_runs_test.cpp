// /api/v1/runs: filters, cursor pages, show with steps, cancel and retry.

#include "admin_test_util.h"

namespace storeflow::http::testing {
namespace {

using store::RunStatus;

class AdminRunsTest : public AdminApiTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(AdminRunsTest);

TEST_P(AdminRunsTest, ListFiltersAndPages) {
  LoadOrders();
  const auto a = Start("orders", {{"id", "a"}});
  clock_->AdvanceTo(kT0 + 1000);
  const auto b = Start("orders", {{"id", "b"}, {"fail", true}});
  clock_->AdvanceTo(kT0 + 2000);
  const auto c = Start("orders", {{"id", "c"}});
  Finish({a, b, c});

  Json page = Get("/api/v1/runs");  // default page size 2 here
  ASSERT_EQ(page["items"].size(), 2u) << page;
  EXPECT_EQ(page["items"][0]["id"], c);
  EXPECT_EQ(page["items"][1]["id"], b);
  ASSERT_TRUE(page["next_cursor"].is_string());
  Json rest = Get("/api/v1/runs?cursor=" + page["next_cursor"].get<std::string>());
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["id"], a);
  EXPECT_TRUE(rest["next_cursor"].is_null());

  Json failed = Get("/api/v1/runs?status=failed&workflow=orders");
  ASSERT_EQ(failed["items"].size(), 1u);
  EXPECT_EQ(failed["items"][0]["id"], b);
  EXPECT_EQ(failed["items"][0]["status"], "failed");
  EXPECT_EQ(failed["items"][0]["error"]["code"], "declined");

  Json by_key = Get("/api/v1/runs?key=c");
  ASSERT_EQ(by_key["items"].size(), 1u);
  EXPECT_EQ(by_key["items"][0]["id"], c);
  EXPECT_EQ(Get("/api/v1/runs?workflow=other")["items"].size(), 0u);

  // created_from inclusive, created_until exclusive; ms or ISO-8601.
  Json window = Get("/api/v1/runs?created_from=" + std::to_string(kT0 + 1000) +
                    "&created_until=" + std::to_string(kT0 + 2000));
  ASSERT_EQ(window["items"].size(), 1u);
  EXPECT_EQ(window["items"][0]["id"], b);
  // kT0 = 2023-11-14T22:13:20Z
  Json iso = Get("/api/v1/runs?created_from=2023-11-14T22:13:21Z&limit=10");
  ASSERT_EQ(iso["items"].size(), 2u);
  Json offset = Get("/api/v1/runs?created_until=2023-11-14T23:13:22%2B01:00&limit=10");
  ASSERT_EQ(offset["items"].size(), 2u) << offset;
}

TEST_P(AdminRunsTest, ShowHasInputAndStepHistory) {
  LoadOrders();
  const auto id = Start("orders", {{"id", "a"}});
  Finish(id);
  Json run = Get("/api/v1/runs/" + std::to_string(id));
  EXPECT_EQ(run["id"], id);
  EXPECT_EQ(run["workflow"], "orders");
  EXPECT_EQ(run["status"], "completed");
  EXPECT_EQ(run["key"], "a");
  EXPECT_EQ(run["input"]["id"], "a");
  ASSERT_EQ(run["steps"].size(), 1u);
  EXPECT_EQ(run["steps"][0]["path"], "charge");
  EXPECT_EQ(run["steps"][0]["status"], "completed");
  EXPECT_EQ(run["steps"][0]["output"]["charged"], "a");
  EXPECT_EQ(Get("/api/v1/runs/999999", 404)["error"]["code"], "not_found");
}

TEST_P(AdminRunsTest, CancelEndsAWaitingRunAndStartsTheNextQueuedOne) {
  Load(R"(workflow: waiter
on: [{event: cart}]
key: event.token
concurrency: { per_key: 1, on_new: queue }
steps:
  - id: wait_order
    wait_for: { event: order, key: event.cart_token, timeout: 2h }
  - id: after
    uses: test.act
    with: { token: "${{ event.token }}" }
)");
  const auto first = Start("waiter", {{"token", "t1"}});
  DriveUntilStatus(first, RunStatus::kWaiting);
  const auto second = Start("waiter", {{"token", "t1"}});
  EXPECT_EQ(GetRun(second).status, RunStatus::kQueued);

  Json cancelled =
      Post("/api/v1/runs/" + std::to_string(first) + "/cancel", R"({"reason": "customer left"})");
  EXPECT_EQ(cancelled["status"], "cancelled");
  EXPECT_EQ(cancelled["error"]["code"], "cancelled");
  EXPECT_EQ(cancelled["error"]["message"], "customer left");
  EXPECT_EQ(GetRun(first).status, RunStatus::kCancelled);
  EXPECT_FALSE(GetRun(first).due_at.has_value());
  {
    auto tx = Begin();
    auto wait = tx->GetWait(first);
    ASSERT_TRUE(wait.ok());
    EXPECT_FALSE(wait->has_value());  // the wait is gone
  }
  EXPECT_EQ(GetRun(second).status, RunStatus::kReady);  // the key's slot is free
  DriveUntilStatus(second, RunStatus::kWaiting);
  EXPECT_EQ(GetRun(first).status, RunStatus::kCancelled);  // its timeout never fires

  Json again = Post("/api/v1/runs/" + std::to_string(first) + "/cancel", "", 409);
  EXPECT_EQ(again["error"]["code"], "conflict");
  EXPECT_NE(again["error"]["message"].get<std::string>().find("already ended"), std::string::npos);
  Post("/api/v1/runs/999999/cancel", "", 404);

  Json plain = Post("/api/v1/runs/" + std::to_string(second) + "/cancel");
  EXPECT_EQ(plain["error"]["message"], "cancelled by an operator");
}

TEST_P(AdminRunsTest, CancelWhileAWorkerHoldsTheRunLosesItsLease) {
  Load(R"(workflow: slow
on: [{event: e}]
steps:
  - id: one
    uses: test.act
  - id: two
    uses: test.act
)");
  const auto id = Start("slow");
  action_->set_script([&](const Json&, const runtime::ActionContext& context, int) {
    if (context.step_path == "one") {
      Json cancelled = Post("/api/v1/runs/" + std::to_string(id) + "/cancel");
      EXPECT_EQ(cancelled["status"], "cancelled");
    }
    return runtime::ActionResult(Json::object());
  });
  Finish(id);
  EXPECT_EQ(GetRun(id).status, RunStatus::kCancelled);
  EXPECT_EQ(action_->count("two"), 0);  // stopped at the step boundary
}

TEST_P(AdminRunsTest, RetryResumesAFailedRunAtItsFailedStep) {
  Load(R"(workflow: flaky
on: [{event: e}]
steps:
  - id: first
    uses: test.act
  - id: second
    uses: test.act
)");
  bool broken = true;
  action_->set_script([&](const Json&, const runtime::ActionContext& context, int) {
    if (context.step_path == "second" && broken) {
      return runtime::ActionResult(runtime::ActionError::Permanent("down", "peer down"));
    }
    return runtime::ActionResult(Json{{"ok", true}});
  });
  const auto id = Start("flaky");
  EXPECT_EQ(Finish(id).status, RunStatus::kFailed);
  broken = false;
  Json retried = Post("/api/v1/runs/" + std::to_string(id) + "/retry");
  EXPECT_EQ(retried["status"], "ready");
  EXPECT_EQ(retried["attempt"], 2);
  EXPECT_TRUE(retried["error"].is_null());
  EXPECT_EQ(Finish(id).status, RunStatus::kCompleted);
  EXPECT_EQ(action_->count("first"), 1);  // completed steps are not run again
  EXPECT_EQ(action_->count("second"), 2);

  Json conflict = Post("/api/v1/runs/" + std::to_string(id) + "/retry", "", 409);
  EXPECT_NE(conflict["error"]["message"].get<std::string>().find("only a failed run"),
            std::string::npos);
  Post("/api/v1/runs/999999/retry", "", 404);
}

}  // namespace
}  // namespace storeflow::http::testing
