// Cursor pagination against the simulator: 2,537 generated orders in pages of 250,
// each exactly once, also when a second plugin instance resumes from a saved cursor.
#include <gtest/gtest.h>

#include <set>

#include "sim_plugin_fixture.h"

namespace storeflow::plugins::shopify::testing {
namespace {

using sdk::Json;

constexpr int kOrders = 2537;
// The generator's ids start at 820982911946154508 and skip the fixture order's.
constexpr std::int64_t kFirstGenerated = 820982911946154509;

class PagingAgainstSim : public SimPluginTest {
 protected:
  // Adds the ids of `page` to `seen`; false (with a failure) on a duplicate.
  static void Collect(const Json& page, std::set<std::int64_t>& seen) {
    for (const Json& order : page["orders"]) {
      ASSERT_TRUE(order["id"].is_number_integer()) << order;
      const std::int64_t id = order["id"].get<std::int64_t>();
      EXPECT_TRUE(seen.insert(id).second) << "order " << id << " listed twice";
    }
  }

  // Every generated id exactly once: a contiguous run of 64-bit ids above 2^53, which
  // a trip through a double would collapse (their spacing there is 128).
  static void ExpectEveryGeneratedOrder(const std::set<std::int64_t>& seen) {
    ASSERT_EQ(seen.size(), static_cast<std::size_t>(kOrders));
    EXPECT_EQ(*seen.begin(), kFirstGenerated);
    EXPECT_EQ(*seen.rbegin(), kFirstGenerated + kOrders - 1);
  }
};

TEST_F(PagingAgainstSim, PagesOf250ReturnEachOrderOnce) {
  StartSim({"--orders", std::to_string(kOrders), "--seed", "7"});
  Configure();
  std::set<std::int64_t> seen;
  Json cursor = nullptr;
  int calls = 0;
  do {
    Json input{{"limit", 250}, {"fields", "id,name,updated_at"}};
    if (!cursor.is_null()) input["cursor"] = cursor;
    Json page = Run("shopify.orders_list", input);
    ASSERT_FALSE(page.contains("error")) << page;
    EXPECT_EQ(page["pages"], 1);
    ++calls;
    EXPECT_EQ(page["orders"].size(), calls <= kOrders / 250 ? 250u : kOrders % 250u);
    Collect(page, seen);
    EXPECT_EQ(page["has_more"].get<bool>(), !page["cursor"].is_null());
    cursor = page["cursor"];
  } while (!cursor.is_null() && calls < 20);
  EXPECT_EQ(calls, 11);
  ExpectEveryGeneratedOrder(seen);
  EXPECT_EQ(Run("shopify.orders_count", Json::object()), (Json{{"count", kOrders}}));
}

TEST_F(PagingAgainstSim, ResumedFromASavedCursorByAnotherInstance) {
  StartSim({"--orders", std::to_string(kOrders), "--seed", "7"});
  Configure();
  // The max_pages helper, capped: 5 pages, then the cursor to continue from.
  Json head = Run("shopify.orders_list", Json{{"limit", 250}, {"fields", "id"}, {"max_pages", 5}});
  ASSERT_FALSE(head.contains("error")) << head;
  EXPECT_EQ(head["pages"], 5);
  EXPECT_EQ(head["orders"].size(), 1250u);
  EXPECT_TRUE(head["has_more"].get<bool>());
  ASSERT_TRUE(head["cursor"].is_string()) << head["cursor"];
  const std::string saved = head["cursor"].dump();  // as a workflow would checkpoint it

  // Another plugin instance (a restarted engine) resumes from the saved cursor.
  std::unique_ptr<ShopifyActions> other = MakeActions(host_);
  Json tail = RunOn(
      *other, host_, "shopify.orders_list",
      Json{{"limit", 250}, {"fields", "id"}, {"cursor", Json::parse(saved)}, {"max_pages", 100}},
      std::nullopt);
  ASSERT_FALSE(tail.contains("error")) << tail;
  EXPECT_EQ(tail["pages"], 6);
  EXPECT_EQ(tail["orders"].size(), static_cast<std::size_t>(kOrders - 1250));
  EXPECT_FALSE(tail["has_more"].get<bool>());
  EXPECT_TRUE(tail["cursor"].is_null());

  std::set<std::int64_t> seen;
  Collect(head, seen);
  Collect(tail, seen);
  ExpectEveryGeneratedOrder(seen);

  // Only limit, fields and page_info went with a cursor (the simulator answers 400
  // to anything else, so the walk above proves it), and every page was one call.
  Json received = ShopControl("GET", "/received");
  int pages = 0;
  for (const Json& r : received["received"]) {
    if (r.value("path", "").find("/orders.json") != std::string::npos) ++pages;
  }
  EXPECT_EQ(pages, 11);
}

}  // namespace
}  // namespace storeflow::plugins::shopify::testing
