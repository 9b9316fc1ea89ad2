#pragma once

// The admin API's route table and its path matching.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/admin_handlers.h"

namespace storeflow::http::admin {

struct Route {
  std::string_view method;   // "GET", "POST"
  std::string_view pattern;  // "/api/v1/runs/{id}"; a last "{name*}" takes the rest
  Handler handler;
};

// Every route, literal paths before parameterised ones where both could match.
const std::vector<Route>& Routes();

// Whether `path` matches `pattern`; on a match `params` gets the path parameters.
// A "{name}" segment matches one non-empty segment, a final "{name*}" one or more.
bool MatchPath(std::string_view pattern, std::string_view path,
               std::map<std::string, std::string>* params);

}  // namespace storeflow::http::admin
