#pragma once

#include <string>
#include <string_view>

namespace storeflow::plugins::email {

// The Message-ID of the message sent for a step: "<sf.<32 hex of
// sha256(idempotency_key)>@<domain>>". The same key gives the same id on every
// attempt, so a resend after a crash is recognisable. An empty key gets a random id.
std::string MessageIdFor(std::string_view idempotency_key, std::string_view domain);

// A file name for the key, safe in any folder: [A-Za-z0-9._-] kept (others become
// '_'), at most 80 of them, then '-' and 16 hex of sha256(key) so that keys that
// differ only in replaced characters do not collide. Never starts with '.'.
std::string SafeFileStem(std::string_view key);

}  // namespace storeflow::plugins::email
