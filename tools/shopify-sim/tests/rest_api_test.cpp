// Admin REST against the real simulator process: Link pagination with opaque
// page_info cursors, counts with filters, the access token and the call limit.

#include <regex>
#include <set>

#include "sim_test_support.h"

namespace storeflow::shopify_sim::testing {
namespace {

// The target (path and query) of a Link relation, or "" when absent.
std::string LinkTarget(const Reply& reply, const std::string& rel) {
  const std::string link = reply.header("Link");
  const std::regex part("<http://[^/>]+([^>]*)>; rel=\"([a-z]+)\"");
  for (std::sregex_iterator it(link.begin(), link.end(), part), end; it != end; ++it) {
    if ((*it)[2] == rel) return (*it)[1];
  }
  return "";
}

std::string PageInfo(const std::string& target) {
  const auto at = target.find("page_info=");
  return at == std::string::npos ? "" : target.substr(at + 10);
}

class RestApiTest : public SimTest {};

TEST_F(RestApiTest, PaginatesEveryOrderOnceAndResumesFromSavedPageInfo) {
  StartSim({"--orders", "2537", "--seed", "7"});
  std::vector<std::int64_t> ids;
  std::string saved_page_info;
  std::string target = AdminPath(kAlpha, "orders.json?limit=250&fields=id,updated_at");
  int pages = 0;
  while (!target.empty()) {
    const Reply page =
        Http(sim_.port(), "GET", target, "", {{"X-Shopify-Access-Token", kAlphaToken}});
    ASSERT_EQ(page.status, 200) << page.body;
    const auto body = page.json();
    ASSERT_TRUE(body["orders"].is_array()) << page.body;
    for (const auto& order : body["orders"]) {
      ASSERT_TRUE(order["id"].is_number_integer()) << order.dump();
      ids.push_back(order["id"].get<std::int64_t>());
      EXPECT_EQ(order.size(), 2u) << "fields=id,updated_at keeps two keys: " << order.dump();
    }
    if (pages > 0) {
      EXPECT_FALSE(LinkTarget(page, "previous").empty()) << "page " << pages;
    }
    ++pages;
    target = LinkTarget(page, "next");
    if (pages == 4) saved_page_info = PageInfo(target);
  }
  EXPECT_EQ(pages, 11);
  ASSERT_EQ(ids.size(), 2537u);
  EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), 2537u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_GT(ids.front(), std::int64_t{1} << 53);
  EXPECT_EQ(ids.front(), 820982911946154509);  // the fixture's ...508 is cancelled

  // Resume from the cursor saved after page 4: pages 5..11 come back unchanged.
  ASSERT_FALSE(saved_page_info.empty());
  std::vector<std::int64_t> resumed;
  target = AdminPath(kAlpha, "orders.json?limit=250&page_info=" + saved_page_info);
  while (!target.empty()) {
    const Reply page = Admin(target.substr(AdminPath(kAlpha, "").size()));
    ASSERT_EQ(page.status, 200) << page.body;
    const auto body = page.json();
    for (const auto& order : body["orders"]) resumed.push_back(order["id"].get<std::int64_t>());
    target = LinkTarget(page, "next");
  }
  ASSERT_EQ(resumed.size(), 2537u - 4 * 250);
  EXPECT_TRUE(std::equal(resumed.begin(), resumed.end(), ids.begin() + 1000));
}

TEST_F(RestApiTest, PreviousLinkLeadsBackToTheEarlierPage) {
  StartSim({"--orders", "30"});
  const Reply first = Admin("orders.json?limit=10");
  const Reply second = Admin(LinkTarget(first, "next").substr(AdminPath(kAlpha, "").size()));
  ASSERT_EQ(second.status, 200);
  const Reply back = Admin(LinkTarget(second, "previous").substr(AdminPath(kAlpha, "").size()));
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(back.json()["orders"], first.json()["orders"]);
  EXPECT_TRUE(LinkTarget(first, "previous").empty());
}

TEST_F(RestApiTest, PageInfoRefusesOtherFiltersAndGarbage) {
  StartSim({"--orders", "30"});
  const Reply first = Admin("orders.json?limit=10");
  const std::string page_info = PageInfo(LinkTarget(first, "next"));
  ASSERT_FALSE(page_info.empty());
  const Reply mixed = Admin("orders.json?limit=10&status=any&page_info=" + page_info);
  EXPECT_EQ(mixed.status, 400) << mixed.body;
  EXPECT_EQ(Admin("orders.json?page_info=not-a-cursor").status, 400);
  EXPECT_EQ(Admin("products.json?page_info=" + page_info).status, 400);  // another resource's
  const Reply too_many = Admin("orders.json?limit=251");
  EXPECT_EQ(too_many.status, 400);
  EXPECT_TRUE(too_many.json()["errors"].contains("limit")) << too_many.body;
}

TEST_F(RestApiTest, CountsApplyTheFilters) {
  StartSim({"--orders", "100", "--seed", "3"});
  EXPECT_EQ(Admin("orders/count.json").json()["count"], 100);             // open only
  EXPECT_EQ(Admin("orders/count.json?status=any").json()["count"], 101);  // + the fixture
  EXPECT_EQ(Admin("orders/count.json?status=cancelled").json()["count"], 1);
  EXPECT_EQ(Admin("orders/count.json?status=closed").json()["count"], 0);

  // updated_at_min: take the 41st order's updated_at; 60 orders are at or after it.
  const auto page = Admin("orders.json?limit=41&fields=id,updated_at").json()["orders"];
  const std::string cut = page[40]["updated_at"].get<std::string>();
  const Reply since = Admin("orders/count.json?updated_at_min=" + cut);
  EXPECT_EQ(since.json()["count"], 60) << cut;
  EXPECT_EQ(Admin("orders/count.json?updated_at_min=yesterday").status, 400);
  const std::int64_t since_id = page[9]["id"].get<std::int64_t>();
  EXPECT_EQ(Admin("orders/count.json?since_id=" + std::to_string(since_id)).json()["count"], 90);

  EXPECT_EQ(Admin("products/count.json").json()["count"], 1);
  EXPECT_EQ(Admin("products/count.json?handle=example-t-shirt").json()["count"], 1);
  EXPECT_EQ(Admin("products/count.json?handle=nope").json()["count"], 0);
  EXPECT_EQ(Admin("checkouts/count.json").json()["count"], 1);
}

TEST_F(RestApiTest, GetsOneEntityKeepingIdsIntegers) {
  StartSim();
  const Reply order = Admin("orders/820982911946154508.json");
  ASSERT_EQ(order.status, 200);
  EXPECT_NE(order.body.find("\"id\":820982911946154508"), std::string::npos);
  EXPECT_EQ(order.json()["order"]["admin_graphql_api_id"],
            "gid://shopify/Order/820982911946154508");
  const Reply missing = Admin("orders/1.json");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["errors"], "Not Found");
  const Reply product = Admin("products/788032119674292922.json?fields=id,handle");
  EXPECT_EQ(product.json()["product"],
            (nlohmann::json{{"id", 788032119674292922}, {"handle", "example-t-shirt"}}));
  const Reply found = Admin("customers/search.json?query=email:john@example.com");
  ASSERT_EQ(found.json()["customers"].size(), 1u) << found.body;
  EXPECT_EQ(found.json()["customers"][0]["id"], 115310627314723954);
}

TEST_F(RestApiTest, WrongOrMissingTokenIs401LikeShopify) {
  StartSim();
  const Reply wrong = Admin("orders.json", kAlpha, "shpat_wrong");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.json()["errors"],
            "[API] Invalid API key or access token (unrecognized login or wrong password)");
  EXPECT_EQ(Http(sim_.port(), "GET", AdminPath(kAlpha, "orders.json")).status, 401);
  EXPECT_EQ(Admin("orders.json", kBeta, kAlphaToken).status, 401);  // another shop's token
  EXPECT_EQ(Admin("orders.json", "nowhere.myshopify.com").status, 404);
}

TEST_F(RestApiTest, BucketOf40Answers429WithRetryAfter) {
  StartSim();
  // Freeze the simulator's clock: the bucket does not leak between the calls.
  ASSERT_EQ(Control("POST", "/_sim/clock/freeze", {{"frozen", true}}).status, 200);
  for (int i = 1; i <= 40; ++i) {
    const Reply r = Admin("products.json", kBeta, kBetaToken);
    ASSERT_EQ(r.status, 200) << "call " << i << ": " << r.body;
    EXPECT_EQ(r.header("X-Shopify-Shop-Api-Call-Limit"), std::to_string(i) + "/40");
  }
  const Reply over = Admin("products.json", kBeta, kBetaToken);
  EXPECT_EQ(over.status, 429);
  EXPECT_EQ(over.header("Retry-After"), "2.0");
  EXPECT_EQ(over.header("X-Shopify-Shop-Api-Call-Limit"), "40/40");
  EXPECT_NE(over.json()["errors"].get<std::string>().find("Exceeded 2 calls per second"),
            std::string::npos);
  // Another shop has its own bucket.
  EXPECT_EQ(Admin("products.json").status, 200);
  // One second later two calls have leaked out.
  ASSERT_EQ(Control("POST", "/_sim/clock/advance", {{"ms", 1000}}).status, 200);
  EXPECT_EQ(Admin("products.json", kBeta, kBetaToken).status, 200);
  EXPECT_EQ(Admin("products.json", kBeta, kBetaToken).status, 200);
  EXPECT_EQ(Admin("products.json", kBeta, kBetaToken).status, 429);
}

}  // namespace
}  // namespace storeflow::shopify_sim::testing
