#pragma once

// The simulator's control API under /_sim/ (JSON in and out, no auth, loopback only):
// the clock, injected faults, entity and cart changes, the received log, the buckets,
// webhook deliveries and the generator. See README.md for every route.

#include "http_types.h"
#include "sim_state.h"

namespace storeflow::shopify_sim {

SimReply HandleControl(Simulator& sim, const SimRequest& request);

}  // namespace storeflow::shopify_sim
