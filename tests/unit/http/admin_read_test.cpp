// The admin API's read handlers use read transactions: they answer while a
// writer holds the store (on SQLite, the single writer slot) instead of
// queueing behind it.

#include <chrono>
#include <future>

#include "admin_test_util.h"

namespace storeflow::http::testing {
namespace {

class AdminReadTest : public AdminApiTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(AdminReadTest);

TEST_P(AdminReadTest, ReadsAnswerWhileAWriterHoldsTheStore) {
  LoadOrders();
  const auto id = Start("orders", {{"id", "a"}});
  Finish(id);
  auto writer = Begin();  // a write transaction left open, as a busy worker's
  ASSERT_NE(writer, nullptr);
  const std::vector<std::string> reads = {
      "/api/v1/runs",          "/api/v1/runs/" + std::to_string(id),
      "/api/v1/events",        "/api/v1/events/1",
      "/api/v1/records/carts", "/api/v1/workflows/orders",
      "/api/v1/dead-letters"};
  auto answered = std::async(std::launch::async, [&] {
    std::vector<int> statuses;
    for (const auto& target : reads) statuses.push_back(Call("GET", target).status);
    return statuses;
  });
  // Before read transactions, each of these waited for the writer slot (30 s).
  const bool in_time = answered.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  writer.reset();  // lets a waiting read through either way
  EXPECT_TRUE(in_time) << "the admin reads waited for the writer";
  const std::vector<int> statuses = answered.get();
  for (std::size_t i = 0; i < reads.size(); ++i) {
    EXPECT_TRUE(statuses[i] == 200 || statuses[i] == 404) << reads[i] << ": " << statuses[i];
  }
  EXPECT_EQ(statuses[0], 200);
  EXPECT_EQ(statuses[1], 200);
}

}  // namespace
}  // namespace storeflow::http::testing
