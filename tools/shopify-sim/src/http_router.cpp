#include "http_router.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <istream>
#include <ostream>

#include "admin_graphql.h"
#include "control_api.h"
#include "rest_handlers.h"
#include "storefront_graphql.h"
#include "time_text.h"

namespace storeflow::shopify_sim {
namespace {

constexpr std::size_t kMaxBodyBytes = 16 * 1024 * 1024;
const char* const kInvalidToken =
    "[API] Invalid API key or access token (unrecognized login or wrong password)";

SimReply NotFoundReply() {
  return SimReply::Json(404, {{"errors", "Not Found"}});
}

// Splits "/shops/{domain}/{rest}"; false when the path is not under /shops/.
bool SplitShopPath(const std::string& path, std::string* domain, std::string* rest) {
  constexpr std::string_view kPrefix = "/shops/";
  if (path.rfind(kPrefix, 0) != 0) return false;
  const auto slash = path.find('/', kPrefix.size());
  if (slash == std::string::npos) return false;
  *domain = path.substr(kPrefix.size(), slash - kPrefix.size());
  *rest = path.substr(slash + 1);
  return true;
}

// "admin/api/2025-07/orders.json" -> api "rest", version, tail "orders.json".
bool ClassifyShopApi(const std::string& rest, std::string* api, std::string* version,
                     std::string* tail) {
  std::string after;
  bool admin = false;
  if (rest.rfind("admin/api/", 0) == 0) {
    admin = true;
    after = rest.substr(10);
  } else if (rest.rfind("api/", 0) == 0) {
    after = rest.substr(4);
  } else {
    return false;
  }
  const auto slash = after.find('/');
  if (slash == std::string::npos || slash == 0) return false;
  *version = after.substr(0, slash);
  *tail = after.substr(slash + 1);
  if (!admin) {
    if (*tail != "graphql.json") return false;
    *api = "storefront";
  } else {
    *api = *tail == "graphql.json" ? "graphql" : "rest";
  }
  return true;
}

SimReply FaultReply(const FaultRule& fault, const std::string& api) {
  if (fault.status == 401) return SimReply::Json(401, {{"errors", kInvalidToken}});
  if (fault.status == 429) {
    SimReply r;
    if (api == "rest") {
      r = SimReply::Json(429, {{"errors",
                                "Exceeded 2 calls per second for api client. Reduce "
                                "request rates to resume uninterrupted service."}});
    } else {
      r = SimReply::Json(
          429, {{"errors",
                 {{{"message", "Throttled"},
                   {"extensions",
                    {{"code", "THROTTLED"},
                     {"documentation", "https://shopify.dev/api/usage/rate-limits"}}}}}}});
    }
    r.headers.emplace_back("Retry-After", "2.0");
    return r;
  }
  return SimReply::Json(fault.status, {{"errors", "Internal Server Error"}});
}

SimReply ServeShopApi(Simulator& sim, const SimRequest& req, const std::string& domain,
                      const std::string& rest) {
  std::string api;
  std::string version;
  std::string tail;
  if (!ClassifyShopApi(rest, &api, &version, &tail)) return NotFoundReply();

  std::lock_guard lock(sim.mutex());
  Shop* shop = sim.FindShop(domain);
  if (shop == nullptr) return NotFoundReply();

  nlohmann::json entry = {{"method", req.method},
                          {"path", req.path},
                          {"api", api},
                          {"time_ms", sim.clock().NowMs()},
                          {"time", FormatUtcTimeMs(sim.clock().NowMs())}};
  if (!req.query.empty()) {
    nlohmann::json q = nlohmann::json::object();
    for (const auto& [k, v] : req.query) q[k] = v;
    entry["query"] = std::move(q);
  }

  SimReply reply;
  const auto fault = shop->TakeFault(api);
  const bool admin_api = api != "storefront";
  const std::string token = admin_api ? req.Header("x-shopify-access-token")
                                      : req.Header("x-shopify-storefront-access-token");
  const std::string& expected =
      admin_api ? shop->config.admin_token : shop->config.storefront_token;
  if (fault && fault->throttle) entry["fault"] = "throttle";
  if (fault && !fault->throttle) {
    reply = FaultReply(*fault, api);
    entry["fault"] = fault->status;
  } else if (token != expected) {
    reply = SimReply::Json(401, {{"errors", kInvalidToken}});
  } else if (api == "rest") {
    reply = HandleAdminRest(sim, *shop, req, version, tail);
    if (req.method != "GET") entry["body"] = nlohmann::json::parse(req.body, nullptr, false);
  } else if (api == "graphql") {
    reply = HandleAdminGraphql(sim, *shop, req, fault.has_value(), entry);
  } else {
    reply = HandleStorefrontGraphql(sim, *shop, req, entry);
  }
  entry["status"] = reply.status;
  shop->Record(std::move(entry));
  return reply;
}

class SimRequestHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit SimRequestHandler(Simulator& sim) : sim_(sim) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    SimReply reply;
    try {
      SimRequest req;
      req.method = request.getMethod();
      const Poco::URI uri(request.getURI());
      req.path = uri.getPath();
      for (const auto& [k, v] : uri.getQueryParameters()) req.query.emplace_back(k, v);
      for (const auto& [name, value] : request) {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers[lower] = value;
      }
      req.host = request.getHost();
      std::istream& in = request.stream();
      char buffer[8192];
      while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
        req.body.append(buffer, static_cast<std::size_t>(in.gcount()));
        if (req.body.size() > kMaxBodyBytes) {
          throw Poco::DataFormatException("the request body is over 16 MiB");
        }
      }
      reply = RouteRequest(sim_, req);
    } catch (const nlohmann::json::exception& e) {
      reply = SimReply::Json(
          400, {{"errors", std::string("a JSON value has the wrong type: ") + e.what()}});
    } catch (const Poco::Exception& e) {
      reply = SimReply::Json(400, {{"errors", e.displayText()}});
    } catch (const std::exception& e) {
      reply = SimReply::Json(500, {{"errors", std::string("simulator error: ") + e.what()}});
    }
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(reply.status));
    response.setContentType("application/json; charset=utf-8");
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    response.send() << reply.body;
  }

 private:
  Simulator& sim_;
};

}  // namespace

SimReply RouteRequest(Simulator& sim, const SimRequest& request) {
  std::string domain;
  std::string rest;
  if (SplitShopPath(request.path, &domain, &rest)) {
    return ServeShopApi(sim, request, domain, rest);
  }
  if (request.path == "/_sim" || request.path.rfind("/_sim/", 0) == 0) {
    return HandleControl(sim, request);
  }
  return NotFoundReply();
}

Poco::Net::HTTPRequestHandler* SimRequestHandlerFactory::createRequestHandler(
    const Poco::Net::HTTPServerRequest&) {
  return new SimRequestHandler(sim_);
}

}  // namespace storeflow::shopify_sim
