// Benchmark of issue 13: pages/s listing 10,000 orders from the Shopify simulator
// with the budget governor on (the shopify plugin's actions over the engine's rate
// governor, in-process buckets, real clock).
//
//   shopify_list_bench [--orders N] [--limit L] [--fields F] [--shop alpha|gamma]
//
// Starts storeflow-shopify-sim on loopback with N generated orders per shop (default
// 10,000), then walks them with shopify.orders_list one page per call (limit L,
// default 250; fields F, default all) from the first page to the end, saving and
// resuming the cursor like a reconciliation workflow, and prints pages/s, orders/s,
// the number of pages and whether every order came exactly once. Shop alpha is on
// the standard plan (REST bucket 40 calls, 2/s), gamma on Plus (400, 20/s): with
// small pages the standard plan's leak rate is what bounds the walk.
//
// It also walks the same orders over Admin GraphQL (shopify.graphql, Orders with
// first: min(L, 250)), where the cost bucket (2,000 points restoring 100/s on the
// standard plan) bounds the walk; prints the same figures.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "plugin/host_services.h"
#include "plugin/rate_governor.h"
#include "poco_transport.h"
#include "runtime/clock.h"
#include "runtime/secrets.h"
#include "shopify_actions.h"
#include "shopify_config.h"
#include "sim_process.h"

namespace {

using storeflow::sdk::Json;

struct Options {
  int orders = 10000;
  int limit = 250;
  std::string fields;
  std::string shop = "alpha";
};

struct Shop {
  std::string domain;
  std::string admin_token;
};

const std::map<std::string, Shop> kShops = {
    {"alpha", {"alpha.myshopify.com", "shpat_alpha_admin_token_0001"}},
    {"gamma", {"gamma.myshopify.com", "shpat_gamma_admin_token_0003"}},
};

bool Parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return false;
    const std::string v = argv[++i];
    if (a == "--orders") {
      o.orders = std::stoi(v);
    } else if (a == "--limit") {
      o.limit = std::stoi(v);
    } else if (a == "--fields") {
      o.fields = v;
    } else if (a == "--shop") {
      o.shop = v;
    } else {
      return false;
    }
  }
  return o.orders > 0 && o.limit >= 1 && o.limit <= 250 && kShops.count(o.shop) == 1;
}

struct Walk {
  int pages = 0;
  std::set<std::int64_t> ids;
  std::size_t items = 0;
  double seconds = 0;
  std::string error;
};

void Report(const char* what, const Walk& w, int expected) {
  std::printf(
      "%-8s pages=%d orders=%zu unique=%zu exactly_once=%s seconds=%.2f pages/s=%.1f "
      "orders/s=%.0f%s%s\n",
      what, w.pages, w.items, w.ids.size(),
      (w.items == w.ids.size() && static_cast<int>(w.ids.size()) == expected) ? "yes" : "NO",
      w.seconds, w.pages / w.seconds, w.items / w.seconds,
      w.error.empty() ? "" : " error=", w.error.c_str());
}

storeflow::sdk::Call CallNow(const storeflow::sdk::Host& host) {
  storeflow::sdk::Call call;
  call.now_ms = host.NowMs();
  call.deadline_ms = call.now_ms + 120000;
  return call;
}

}  // namespace

int main(int argc, char** argv) {
  namespace sf = storeflow;
  Options o;
  if (!Parse(argc, argv, o)) {
    std::cerr << "usage: shopify_list_bench [--orders N] [--limit 1..250] [--fields F] "
                 "[--shop alpha|gamma]\n";
    return 2;
  }
  const Shop& shop = kShops.at(o.shop);

  sf::shopify_sim::testing::SimProcess sim;
  const auto sim_started = std::chrono::steady_clock::now();
  if (!sim.Start({"--port", "0", "--fixtures",
                  std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/shopify/sim", "--orders",
                  std::to_string(o.orders), "--seed", "11"},
                 "/tmp/shopify_list_bench_sim_" + o.shop + ".log", std::chrono::seconds(300))) {
    std::cerr << "the simulator did not start: " << sim.log() << "\n";
    return 1;
  }
  std::printf("simulator: %d orders per shop, started in %.1f s; shop %s, limit %d, fields %s\n",
              o.orders,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - sim_started).count(),
              shop.domain.c_str(), o.limit, o.fields.empty() ? "(all)" : o.fields.c_str());

  sf::runtime::SystemClock clock;
  sf::plugin::RateGovernor rate(nullptr, clock);
  auto env = std::make_shared<sf::plugin::HostEnvironment>();
  env->clock = &clock;
  env->rate = &rate;
  env->secrets = std::make_shared<const sf::runtime::SecretStore>(
      std::map<std::string, std::string>{{"ADMIN", shop.admin_token}});
  env->log = [](std::string_view, std::string_view) {};
  sf::plugin::HostServices services("shopify", env);
  sf::sdk::Host host(services.table());
  const std::string endpoint =
      "http://127.0.0.1:" + std::to_string(sim.port()) + "/shops/" + shop.domain;
  Json config{
      {"shops",
       {{{"domain", shop.domain}, {"admin_token_secret", "ADMIN"}, {"endpoint", endpoint}}}},
      {"max_wait_ms", 120000}};
  if (o.shop == "gamma") {
    config["shops"][0]["limits"] = {{"graphql_bucket", 20000},
                                    {"graphql_restore_per_second", 1000},
                                    {"rest_bucket", 400},
                                    {"rest_leak_per_second", 20}};
  }
  sf::plugins::shopify::ShopifyActions actions(
      host, sf::plugins::shopify::ParseShopifyConfig(config),
      std::make_shared<sf::plugins::shopify::PocoTransport>());

  // REST: one page per call, the cursor saved and passed back.
  Walk rest;
  {
    const auto t0 = std::chrono::steady_clock::now();
    Json cursor = nullptr;
    do {
      Json input{{"limit", o.limit}};
      if (!o.fields.empty()) input["fields"] = o.fields;
      if (!cursor.is_null()) input["cursor"] = cursor;
      try {
        Json page = actions.Invoke("shopify.orders_list", input, CallNow(host));
        ++rest.pages;
        for (const Json& order : page["orders"]) {
          rest.ids.insert(order["id"].get<std::int64_t>());
          ++rest.items;
        }
        cursor = page["cursor"];
      } catch (const sf::sdk::Error& e) {
        rest.error = std::string(e.code()) + ": " + e.what();
        break;
      }
    } while (!cursor.is_null());
    rest.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  Report("rest", rest, o.orders);

  // GraphQL: Orders connection pages, cost-governed.
  Walk gql;
  {
    const auto t0 = std::chrono::steady_clock::now();
    Json after = nullptr;
    const int first = std::min(o.limit, 250);
    while (true) {
      Json input{
          {"query",
           "query Orders($first:Int!,$after:String,$query:String){ orders(first:$first, "
           "after:$after, query:$query){ edges{ cursor node{ id legacyResourceId name updatedAt "
           "} } pageInfo{ hasNextPage endCursor } } }"},
          {"operation_name", "Orders"},
          {"variables", {{"first", first}, {"after", after}, {"query", "status:open"}}},
          {"cost_estimate", first + 2}};
      try {
        Json out = actions.Invoke("shopify.graphql", input, CallNow(host));
        ++gql.pages;
        const Json& orders = out["data"]["orders"];
        for (const Json& edge : orders["edges"]) {
          gql.ids.insert(std::stoll(edge["node"]["legacyResourceId"].get<std::string>()));
          ++gql.items;
        }
        if (!orders["pageInfo"]["hasNextPage"].get<bool>()) break;
        after = orders["pageInfo"]["endCursor"];
      } catch (const sf::sdk::Error& e) {
        gql.error = std::string(e.code()) + ": " + e.what();
        break;
      } catch (const std::exception& e) {
        gql.error = e.what();
        break;
      }
    }
    gql.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  Report("graphql", gql, o.orders);
  sim.Stop();
  return rest.error.empty() && gql.error.empty() ? 0 : 1;
}
