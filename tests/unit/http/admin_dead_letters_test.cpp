// /api/v1/dead-letters: list, show, retry one or many, discard one or many.

#include "admin_test_util.h"

namespace storeflow::http::testing {
namespace {

using store::RunStatus;

class AdminDeadLettersTest : public AdminApiTest {
 protected:
  // Three failed runs of orders and one completed; returns the failed ids, oldest first.
  std::vector<std::int64_t> ThreeDeadLetters() {
    LoadOrders();
    std::vector<std::int64_t> failed;
    std::vector<std::int64_t> all;
    for (const char* id : {"a", "b", "c"}) {
      failed.push_back(Start("orders", {{"id", id}, {"fail", true}}));
      all.push_back(failed.back());
    }
    all.push_back(Start("orders", {{"id", "ok"}}));
    Finish(all);
    return failed;
  }
  // Lets every order succeed from now on.
  void HealOrders() {
    action_->set_script([](const Json& input, const runtime::ActionContext&, int) {
      return runtime::ActionResult(Json{{"charged", input["id"]}});
    });
  }
  std::string Path(std::int64_t id, const std::string& tail = "") {
    return "/api/v1/dead-letters/" + std::to_string(id) + tail;
  }
};
STOREFLOW_INSTANTIATE_STORE_TESTS(AdminDeadLettersTest);

TEST_P(AdminDeadLettersTest, ListAndShowOnlyFailedRuns) {
  const auto failed = ThreeDeadLetters();
  Json page = Get("/api/v1/dead-letters?workflow=orders");
  ASSERT_EQ(page["items"].size(), 2u) << page;
  EXPECT_EQ(page["items"][0]["id"], failed[2]);
  EXPECT_EQ(page["items"][0]["workflow"], "orders");
  EXPECT_EQ(page["items"][0]["key"], "c");
  EXPECT_EQ(page["items"][0]["error"]["code"], "declined");
  EXPECT_TRUE(page["items"][0]["finished_at"].is_number());
  Json rest = Get("/api/v1/dead-letters?cursor=" + page["next_cursor"].get<std::string>());
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["id"], failed[0]);
  EXPECT_TRUE(rest["next_cursor"].is_null());
  EXPECT_EQ(Get("/api/v1/dead-letters?workflow=none")["items"].size(), 0u);

  Json one = Get(Path(failed[1]));
  EXPECT_EQ(one["status"], "failed");
  EXPECT_EQ(one["steps"][0]["error"]["code"], "declined");
  Get(Path(failed.back() + 1), 404);  // the completed run is no dead letter
}

TEST_P(AdminDeadLettersTest, RetryOneResumesIt) {
  const auto failed = ThreeDeadLetters();
  HealOrders();
  Json retried = Post(Path(failed[0], "/retry"));
  EXPECT_EQ(retried["status"], "ready");
  EXPECT_EQ(retried["attempt"], 2);
  EXPECT_EQ(Finish(failed[0]).status, RunStatus::kCompleted);
  Json again = Post(Path(failed[0], "/retry"), "", 409);
  EXPECT_EQ(again["error"]["code"], "conflict");
  Post(Path(999999, "/retry"), "", 404);
}

TEST_P(AdminDeadLettersTest, RetryManyByIdsReportsEachOne) {
  const auto failed = ThreeDeadLetters();
  HealOrders();
  Json result =
      Post("/api/v1/dead-letters/retry", Json{{"ids", {failed[0], failed[2], 999999}}}.dump());
  EXPECT_EQ(result["retried"], (Json{failed[0], failed[2]}));
  ASSERT_EQ(result["errors"].size(), 1u);
  EXPECT_EQ(result["errors"][0]["id"], 999999);
  EXPECT_EQ(result["errors"][0]["code"], "not_found");
  Finish({failed[0], failed[2]});
  EXPECT_EQ(GetRun(failed[0]).status, RunStatus::kCompleted);
  EXPECT_EQ(GetRun(failed[1]).status, RunStatus::kFailed);
  EXPECT_EQ(GetRun(failed[2]).status, RunStatus::kCompleted);
}

TEST_P(AdminDeadLettersTest, RetryManyByWorkflowTakesThemAll) {
  const auto failed = ThreeDeadLetters();
  HealOrders();
  Json result = Post("/api/v1/dead-letters/retry", R"({"workflow": "orders"})");
  EXPECT_EQ(result["retried"].size(), 3u);
  EXPECT_EQ(result["errors"].size(), 0u);
  EXPECT_EQ(Finish(failed).status, RunStatus::kCompleted);
  EXPECT_EQ(Get("/api/v1/dead-letters")["items"].size(), 0u);
}

TEST_P(AdminDeadLettersTest, RetryManyChecksItsBody) {
  ThreeDeadLetters();
  Json body = Post("/api/v1/dead-letters/retry", "", 400);
  EXPECT_EQ(body["error"]["details"][0]["name"], "$");
  body = Post("/api/v1/dead-letters/retry", R"({"ids": [1], "workflow": "orders"})", 400);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("either ids"), std::string::npos);
  body = Post("/api/v1/dead-letters/retry", R"({"ids": [1, "two", -3]})", 400);
  ASSERT_EQ(body["error"]["details"].size(), 2u);
  EXPECT_EQ(body["error"]["details"][0]["name"], "$.ids[1]");
  EXPECT_EQ(body["error"]["details"][1]["name"], "$.ids[2]");
  body = Post("/api/v1/dead-letters/retry", R"({"ids": []})", 400);
  EXPECT_EQ(body["error"]["details"][0]["name"], "$.ids");
  body = Post("/api/v1/dead-letters/retry", R"({"workflw": "orders"})", 400);
  EXPECT_NE(body["error"]["message"].get<std::string>().find("did you mean 'workflow'?"),
            std::string::npos);
  body = Post("/api/v1/dead-letters/retry", R"({"workflow": 7})", 400);
  EXPECT_EQ(body["error"]["details"][0]["name"], "$.workflow");
}

TEST_P(AdminDeadLettersTest, DiscardOneOrManyCancelsAndKeepsTheError) {
  const auto failed = ThreeDeadLetters();
  Json discarded = Post(Path(failed[0], "/discard"));
  EXPECT_EQ(discarded["status"], "cancelled");
  EXPECT_EQ(discarded["error"]["code"], "declined");
  EXPECT_EQ(discarded["error"]["discarded"], true);
  Post(Path(failed[0], "/discard"), "", 409);

  Json many = Post("/api/v1/dead-letters/discard", Json{{"ids", {failed[1], failed[0]}}}.dump());
  EXPECT_EQ(many["discarded"], Json::array({failed[1]}));
  ASSERT_EQ(many["errors"].size(), 1u);
  EXPECT_EQ(many["errors"][0]["code"], "conflict");

  Json rest = Post("/api/v1/dead-letters/discard", R"({"workflow": "orders"})");
  EXPECT_EQ(rest["discarded"], Json::array({failed[2]}));
  EXPECT_EQ(Get("/api/v1/dead-letters")["items"].size(), 0u);
  EXPECT_EQ(GetRun(failed[2]).status, RunStatus::kCancelled);
}

TEST_P(AdminDeadLettersTest, TheResolutionIsShownAndDiscardReleasesAHeldKey) {
  Load(R"(workflow: held
on: [{event: order.created}]
key: event.id
concurrency: { on_failure: hold }
steps:
  - id: charge
    uses: test.act
    with: { id: "${{ event.id }}", fail: "${{ event.fail }}" }
)");
  action_->set_script([](const Json& input, const runtime::ActionContext&, int) {
    if (input.value("fail", Json()) == true) {
      return runtime::ActionResult(runtime::ActionError::Permanent("declined", "card declined"));
    }
    return runtime::ActionResult(Json{{"charged", input["id"]}});
  });
  const auto failed = Start("held", {{"id", "a"}, {"fail", true}});
  Finish(failed);
  const auto next = Start("held", {{"id", "a"}});
  EXPECT_EQ(GetRun(next).status, RunStatus::kQueued);  // held by the dead letter
  Json listed = Get("/api/v1/dead-letters?workflow=held");
  ASSERT_EQ(listed["items"].size(), 1u) << listed;
  EXPECT_EQ(listed["items"][0]["error"]["retryable"], false);
  Json discarded = Post(Path(failed, "/discard"));
  EXPECT_EQ(discarded["dead_letter"]["resolution"], "discarded");
  EXPECT_EQ(discarded["dead_letter"]["resolved_by"], "operator");
  EXPECT_EQ(GetRun(next).status, RunStatus::kReady);  // released
  EXPECT_EQ(Finish(next).status, RunStatus::kCompleted);
  EXPECT_EQ(Get("/api/v1/runs/" + std::to_string(failed))["dead_letter"]["resolution"],
            "discarded");
}

}  // namespace
}  // namespace storeflow::http::testing
