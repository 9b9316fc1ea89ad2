#include "message_id.h"

#include <cstdio>
#include <random>

#include "sha256.h"

namespace storeflow::plugins::email {
namespace {

std::string RandomHex() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(engine()),
                static_cast<unsigned long long>(engine()));
  return buf;
}

}  // namespace

std::string MessageIdFor(std::string_view idempotency_key, std::string_view domain) {
  std::string id =
      idempotency_key.empty() ? RandomHex() : storage::Sha256Hex(idempotency_key).substr(0, 32);
  return "<sf." + id + "@" + std::string(domain) + ">";
}

std::string SafeFileStem(std::string_view key) {
  std::string stem;
  for (char c : key) {
    if (stem.size() == 80) break;
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
    stem += keep ? c : '_';
  }
  if (!stem.empty() && stem.front() == '.') stem.front() = '_';
  return stem + "-" + storage::Sha256Hex(key).substr(0, 16);
}

}  // namespace storeflow::plugins::email
