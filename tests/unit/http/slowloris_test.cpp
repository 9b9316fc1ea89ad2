// The hardening issue's proof (item 5): 300 slow connections that send part of
// a request head and never finish it do not stop a signed webhook, on the real
// surface (engine, store, Shopify source) with the default listener settings.

#include <cstdio>

#include "http_fixture.h"
#include "raw_connection.h"

namespace storeflow::http::testing {
namespace {

constexpr char kCart[] = R"(workflow: cart-sync
on:
  - webhook: shopify/carts/create
steps:
  - id: save
    uses: store.put
    with: { collection: carts, key: "${{ event.token }}", value: "${{ event }}" }
)";

class SlowlorisTest : public HttpTest {};

TEST_P(SlowlorisTest, ThreeHundredSlowConnectionsDoNotStopASignedWebhook) {
  // The listener's defaults (the fixture only narrows the old `threads`).
  surface_options_.server.threads = 0;
  Load(kCart);
  StartServer();

  // The attack: 300 connections that each send a partial head and then nothing,
  // spread over ten loopback addresses (127.0.0.2 to 127.0.0.11, 30 each) as a
  // botnet would come from many addresses. 30 per address is under the default
  // per-client cap, so every one of them is accepted and held open by the
  // server: the test shows that held slow connections cost no capacity, not
  // merely that a cap turns them away (one address opening 300 would find 44
  // of them refused by the per-client cap). The webhook comes from 127.0.0.1.
  constexpr int kSlow = 300;
  std::vector<std::unique_ptr<RawConnection>> slow;
  slow.reserve(kSlow);
  for (int i = 0; i < kSlow; ++i) {
    auto connection =
        std::make_unique<RawConnection>(port_, "127.0.0." + std::to_string(2 + i % 10));
    ASSERT_TRUE(connection->connected()) << "slow connection " << i;
    ASSERT_TRUE(
        connection->Send("POST /webhooks/shopify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "X-Shopify-Topic: carts/create\r\nX-Slow: "));
    slow.push_back(std::move(connection));
  }

  const std::string body = R"({"token": "slow-1"})";
  const auto started = std::chrono::steady_clock::now();
  const Reply reply = Send(port_, "POST", "/webhooks/shopify", body,
                           {{"Content-Type", "application/json"},
                            {"X-Shopify-Topic", "carts/create"},
                            {"X-Shopify-Hmac-Sha256", ShopifySignature(body, kSecret).value()},
                            {"X-Shopify-Webhook-Id", "slow-1"},
                            {"X-Shopify-Shop-Domain", "toys.myshopify.com"},
                            {"X-Shopify-Triggered-At", "2026-11-21T08:00:00Z"},
                            {"X-Shopify-API-Version", "2026-07"}},
                           std::chrono::seconds(5));
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  std::printf(
      "[ slowloris ] signed webhook answered %d in %.1f ms with %d slow connections "
      "held (target < 1000 ms)\n",
      reply.status, ms, kSlow);
  EXPECT_EQ(reply.status, 200) << reply.body;
  EXPECT_LT(ms, 5000.0);
  ASSERT_EQ(Events().size(), 1u);

  // The slow connections were held, not refused: all still open.
  int open = 0;
  for (auto& connection : slow) open += connection->StillOpen() ? 1 : 0;
  EXPECT_EQ(open, kSlow);
}

STOREFLOW_INSTANTIATE_STORE_TESTS(SlowlorisTest);

}  // namespace
}  // namespace storeflow::http::testing
