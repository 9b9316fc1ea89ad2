#pragma once

namespace storeflow::plugins::email {

// The email plugin's manifest (plugin.h): config schema and email.send's input.
extern const char* const kEmailManifest;

}  // namespace storeflow::plugins::email
