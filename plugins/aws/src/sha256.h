#pragma once

#include <string>
#include <string_view>

namespace storeflow::plugins::aws {

// Lower-case hex SHA-256 of `bytes` (the payload hash and the canonical request hash).
std::string Sha256Hex(std::string_view bytes);

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(std::string_view key, std::string_view data);

// Lower-case hex of raw bytes.
std::string HexEncode(std::string_view bytes);

// Overwrites `secret` with zeros (OPENSSL_cleanse, not optimised away) and clears it.
void Wipe(std::string& secret);

}  // namespace storeflow::plugins::aws
