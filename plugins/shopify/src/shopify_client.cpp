#include "shopify_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <thread>

#include "cost_accounting.h"
#include "response_classifier.h"

namespace storeflow::plugins::shopify {
namespace {

using sdk::Error;
using sdk::Json;

constexpr int kMaxAttempts = 25;          // governed tries of one call inside one step
constexpr std::int64_t kMarginMs = 1000;  // left for the call itself after a wait
constexpr const char* kUserAgent = "storeflow-shopify/1.0";

std::int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Json Labels(const ShopConfig& shop, const char* api) {
  return Json{{"shop", shop.domain}, {"api", api}};
}

Json ParseBody(const HttpResponse& response, const std::string& what) {
  if (response.body.empty()) return Json::object();
  Json body = Json::parse(response.body, nullptr, false);
  if (body.is_discarded()) {
    throw Error::Retryable("bad_response", what + ": HTTP " + std::to_string(response.status) +
                                               " with a body that is not JSON");
  }
  return body;
}

}  // namespace

std::string ShopifyClient::PercentEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string ShopifyClient::AdminUrl(const ShopConfig& shop, const std::string& path,
                                    const QueryParams& query) {
  std::string url = shop.base_url + "/admin/api/" + shop.api_version + "/" + path;
  char sep = '?';
  for (const auto& [key, value] : query) {
    url += sep + PercentEncode(key) + "=" + PercentEncode(value);
    sep = '&';
  }
  return url;
}

std::string ShopifyClient::Token(const std::string& secret_name, const char* what) const {
  if (secret_name.empty()) {
    throw Error::Permanent("not_configured",
                           std::string("this shop has no ") + what +
                               " token configured (set its *_token_secret in the plugin config)");
  }
  auto token = host_.Secret(secret_name);
  if (!token || token->empty()) {
    throw Error::Permanent("missing_secret", std::string("the ") + what + " token secret \"" +
                                                 secret_name +
                                                 "\" is not set (secrets.file or env "
                                                 "STOREFLOW_SECRET_" +
                                                 secret_name + ")");
  }
  return *token;
}

std::int64_t ShopifyClient::RequestTimeout(const sdk::Call& call) const {
  std::int64_t timeout = config_.timeout_ms;
  if (call.deadline_ms) {
    std::int64_t left = *call.deadline_ms - host_.NowMs();
    if (left <= 0) throw Error::Retryable("deadline", "the step's deadline has passed", -1);
    timeout = std::min(timeout, left);
  }
  return timeout;
}

void ShopifyClient::Sleep(std::int64_t ms) const {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

HttpResponse ShopifyClient::Send(const HttpRequest& request, const sdk::Call& call,
                                 const ShopConfig& shop, const char* api) const {
  try {
    HttpResponse response = transport_.Send(request, RequestTimeout(call));
    host_.CounterAdd(
        "requests",
        Json{{"shop", shop.domain}, {"api", api}, {"status", std::to_string(response.status)}});
    return response;
  } catch (const Error& e) {
    if (e.code() == "network") {
      host_.CounterAdd("requests",
                       Json{{"shop", shop.domain}, {"api", api}, {"status", "network"}});
    }
    throw;
  }
}

RestAnswer ShopifyClient::Rest(const ShopConfig& shop, const std::string& method,
                               const std::string& path, const QueryParams& query, const Json* body,
                               const sdk::Call& call) const {
  const std::string what = method + " " + path;
  const std::string bucket = "rest:" + shop.domain;
  const Json labels = Labels(shop, "rest");
  HttpRequest request;
  request.method = method;
  request.url = AdminUrl(shop, path, query);
  request.headers = {{"X-Shopify-Access-Token", Token(shop.admin_token_secret, "Admin API")},
                     {"Accept", "application/json"},
                     {"User-Agent", kUserAgent}};
  if (body != nullptr) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = body->dump();
  }
  std::int64_t waited = 0;
  for (int attempt = 1;; ++attempt) {
    const std::int64_t budget =
        WaitBudgetMs(host_.NowMs(), call.deadline_ms, waited, config_.max_wait_ms, kMarginMs);
    const std::int64_t started = SteadyMs();
    auto not_yet = governor_.Take(bucket, shop.limits.rest_bucket, shop.limits.rest_leak_per_second,
                                  1, budget);
    waited += SteadyMs() - started;
    if (not_yet) {
      host_.CounterAdd("throttles", labels);
      throw Error::Retryable("throttled",
                             what + ": the shop's REST budget (" +
                                 std::to_string(static_cast<int>(shop.limits.rest_bucket)) +
                                 " calls) is used up for now",
                             std::max<std::int64_t>(1, *not_yet));
    }
    HttpResponse response = Send(request, call, shop, "rest");
    std::optional<int> used, max;
    if (auto header = response.Header("X-Shopify-Shop-Api-Call-Limit")) {
      if (auto limit = ParseCallLimit(*header)) {
        used = limit->used;
        max = limit->max;
      }
    }
    governor_.Correct(bucket, shop.limits.rest_bucket, shop.limits.rest_leak_per_second,
                      CorrectRest(shop.limits.rest_bucket, used, max, response.status == 429),
                      labels);
    auto failure = ClassifyHttp(response, what);
    if (failure && response.status == 429) {
      host_.CounterAdd("throttles", labels);
      RetryDecision d = DecideRetry(failure->retry_after_ms, host_.NowMs(), call.deadline_ms,
                                    waited, config_.max_wait_ms, kMarginMs);
      if (d.retry && attempt < kMaxAttempts) {
        host_.CounterAdd("retries",
                         Json{{"shop", shop.domain}, {"api", "rest"}, {"reason", "rate_limited"}});
        Sleep(d.wait_ms);
        waited += d.wait_ms;
        continue;
      }
      failure->retry_after_ms = std::max(failure->retry_after_ms, d.retry_after_ms);
    }
    if (failure) throw failure->ToError();
    RestAnswer answer;
    answer.status = response.status;
    answer.body = ParseBody(response, what);
    if (auto link = response.Header("Link")) answer.links = ParseLinkHeader(*link);
    return answer;
  }
}

Json ShopifyClient::AdminGraphQL(const ShopConfig& shop, const GraphQLRequest& gql,
                                 const sdk::Call& call) const {
  const std::string what =
      "GraphQL " + (gql.operation_name.empty() ? std::string("query") : gql.operation_name);
  const std::string bucket = "graphql:" + shop.domain;
  const std::string cost_key = shop.domain + "|" + gql.cost_key;
  const Json labels = Labels(shop, "graphql");
  const double capacity = shop.limits.graphql_bucket;
  const double restore = shop.limits.graphql_restore_per_second;

  HttpRequest request;
  request.method = "POST";
  request.url = shop.base_url + "/admin/api/" + shop.api_version + "/graphql.json";
  request.headers = {{"X-Shopify-Access-Token", Token(shop.admin_token_secret, "Admin API")},
                     {"Content-Type", "application/json"},
                     {"Accept", "application/json"},
                     {"User-Agent", kUserAgent}};
  Json payload{{"query", gql.query}, {"variables", gql.variables}};
  if (!gql.operation_name.empty()) payload["operationName"] = gql.operation_name;
  request.body = payload.dump();

  std::int64_t waited = 0;
  for (int attempt = 1;; ++attempt) {
    std::optional<double> cached = governor_.CachedCost(cost_key);
    if (cached && *cached > shop.limits.max_query_cost) {
      throw Error::Permanent("max_cost_exceeded", what + ": its requested cost " +
                                                      std::to_string(*cached) +
                                                      " exceeds the single query limit (" +
                                                      std::to_string(shop.limits.max_query_cost) +
                                                      "); ask for fewer items per page");
    }
    const double reserved =
        Reservation(cached, gql.declared_cost, config_.default_query_cost, capacity);
    const std::int64_t budget =
        WaitBudgetMs(host_.NowMs(), call.deadline_ms, waited, config_.max_wait_ms, kMarginMs);
    const std::int64_t started = SteadyMs();
    auto not_yet = governor_.Take(bucket, capacity, restore, reserved, budget);
    waited += SteadyMs() - started;
    if (not_yet) {
      host_.CounterAdd("throttles", labels);
      throw Error::Retryable("throttled",
                             what + ": the shop's GraphQL budget has less than the " +
                                 std::to_string(static_cast<long long>(reserved)) +
                                 " points this query needs for now",
                             std::max<std::int64_t>(1, *not_yet));
    }
    HttpResponse response;
    try {
      response = Send(request, call, shop, "graphql");
    } catch (...) {
      // The query may not have run: give the reservation back (Shopify's own
      // number corrects it on the next answer if it did).
      governor_.Correct(bucket, capacity, restore, Correction{reserved, -1}, labels);
      throw;
    }
    auto http_failure = ClassifyHttp(response, what);
    if (http_failure) {
      const bool limited = response.status == 429;
      governor_.Correct(bucket, capacity, restore, Correction{reserved, limited ? 0.0 : -1.0},
                        labels);
      if (limited) {
        host_.CounterAdd("throttles", labels);
        RetryDecision d = DecideRetry(http_failure->retry_after_ms, host_.NowMs(), call.deadline_ms,
                                      waited, config_.max_wait_ms, kMarginMs);
        if (d.retry && attempt < kMaxAttempts) {
          host_.CounterAdd(
              "retries",
              Json{{"shop", shop.domain}, {"api", "graphql"}, {"reason", "rate_limited"}});
          Sleep(d.wait_ms);
          waited += d.wait_ms;
          continue;
        }
      }
      throw http_failure->ToError();
    }
    Json body = ParseBody(response, what);
    QueryCost cost = ParseQueryCost(body);
    if (cost.requested) governor_.RememberCost(cost_key, *cost.requested);
    if (cost.actual) host_.Observe("graphql_actual_cost", *cost.actual, labels);
    auto failure = ClassifyGraphQLErrors(body, what);
    const bool throttled = failure && failure->code == "throttled";
    governor_.Correct(bucket, capacity, restore, CorrectGraphQL(reserved, cost, throttled), labels);
    if (throttled) {
      host_.CounterAdd("throttles", labels);
      const double requested = cost.requested.value_or(reserved);
      if (requested > capacity) {
        throw Error::Permanent("max_cost_exceeded",
                               what + ": its requested cost exceeds the shop's whole bucket");
      }
      RetryDecision d = DecideRetry(ThrottleWaitMs(requested, cost, restore), host_.NowMs(),
                                    call.deadline_ms, waited, config_.max_wait_ms, kMarginMs);
      if (d.retry && attempt < kMaxAttempts) {
        host_.CounterAdd("retries",
                         Json{{"shop", shop.domain}, {"api", "graphql"}, {"reason", "throttled"}});
        Sleep(d.wait_ms);
        waited += d.wait_ms;
        continue;
      }
      failure->retry_after_ms = d.retry ? d.wait_ms : d.retry_after_ms;
    }
    if (failure) throw failure->ToError();
    if (!body.is_object() || !body.contains("data")) {
      throw Error::Retryable("bad_response", what + ": the answer has no `data`");
    }
    return body;
  }
}

Json ShopifyClient::StorefrontGraphQL(const ShopConfig& shop, const GraphQLRequest& gql,
                                      const sdk::Call& call) const {
  const std::string what = "Storefront " + gql.operation_name;
  HttpRequest request;
  request.method = "POST";
  request.url = shop.base_url + "/api/" + shop.api_version + "/graphql.json";
  request.headers = {
      {"X-Shopify-Storefront-Access-Token", Token(shop.storefront_token_secret, "Storefront API")},
      {"Content-Type", "application/json"},
      {"Accept", "application/json"},
      {"User-Agent", kUserAgent}};
  Json payload{{"query", gql.query}, {"variables", gql.variables}};
  if (!gql.operation_name.empty()) payload["operationName"] = gql.operation_name;
  request.body = payload.dump();
  HttpResponse response = Send(request, call, shop, "storefront");
  if (auto failure = ClassifyHttp(response, what)) {
    if (response.status == 429) host_.CounterAdd("throttles", Labels(shop, "storefront"));
    throw failure->ToError();
  }
  Json body = ParseBody(response, what);
  if (auto failure = ClassifyGraphQLErrors(body, what)) {
    if (failure->retryable && failure->retry_after_ms < 0) failure->retry_after_ms = 1000;
    throw failure->ToError();
  }
  if (!body.is_object() || !body.contains("data")) {
    throw Error::Retryable("bad_response", what + ": the answer has no `data`");
  }
  return body;
}

}  // namespace storeflow::plugins::shopify
