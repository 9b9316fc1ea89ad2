#pragma once

// Routes every request of the simulator's one port:
//   /shops/{domain}/admin/api/{version}/graphql.json  Admin GraphQL
//   /shops/{domain}/admin/api/{version}/...           Admin REST
//   /shops/{domain}/api/{version}/graphql.json        Storefront GraphQL
//   /_sim/...                                         the control API
// Shop APIs pass a gate first: the received log, injected faults, the access token.

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "http_types.h"
#include "sim_state.h"

namespace storeflow::shopify_sim {

SimReply RouteRequest(Simulator& sim, const SimRequest& request);

class SimRequestHandlerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit SimRequestHandlerFactory(Simulator& sim) : sim_(sim) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

 private:
  Simulator& sim_;
};

}  // namespace storeflow::shopify_sim
