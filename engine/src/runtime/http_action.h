#pragma once

// The built-in `http.request` action (see http_action.cpp for its contract).

#include <memory>

#include "runtime/action.h"

namespace storeflow::runtime {

std::shared_ptr<Action> MakeHttpRequestAction();

}  // namespace storeflow::runtime
