#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

// The parts of a named template, rendered: <dir>/<name>.subject.txt, <name>.txt
// and <name>.html (any subset, at least one).
struct RenderedTemplate {
  std::optional<std::string> subject;  // trailing newlines removed
  std::optional<std::string> text;
  std::optional<std::string> html;
};

// Reads the template files and renders each through Host::RenderTemplate with
// `data`; for the .html file every string in `data` is HTML-escaped first, so a
// customer's name cannot inject markup. Errors (permanent): `invalid_template_name`,
// `template_not_found` (listing the files looked for), `template_error` (from the engine, prefixed
// with the file).
RenderedTemplate RenderNamedTemplate(const sdk::Host& host, const std::string& dir,
                                     std::string_view name, const sdk::Json& data);

}  // namespace storeflow::plugins::email
