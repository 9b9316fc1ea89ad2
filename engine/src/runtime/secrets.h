#pragma once

// Secrets: values workflows read as `${{ secrets.NAME }}` (only in `with:` of a
// `uses` step) and plugins through the host service `secret`. They come from
// environment variables STOREFLOW_SECRET_<NAME> and from an optional YAML file
// (config key secrets.file: a map NAME -> string) that must not be readable or
// writable by group or others. Secrets are never persisted or logged: whatever
// the engine stores or logs about a step passes through Redact.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace storeflow::runtime {

class SecretStore {
 public:
  SecretStore() = default;
  explicit SecretStore(std::map<std::string, std::string> values);

  // Environment entries ("NAME=VALUE", as in `environ`; nullptr: none) whose name
  // starts with STOREFLOW_SECRET_, then `file` when given (the file wins).
  // Errors name the file: unreadable, not a map, a non-text value (file:line:col),
  // or a mode that lets group or others read or write it.
  static Result<std::shared_ptr<const SecretStore>> Load(const std::optional<std::string>& file,
                                                         char** environment);

  // The value of `name`: exact match first, then its upper-case form (so
  // `secrets.smtp_password` finds STOREFLOW_SECRET_SMTP_PASSWORD). nullptr when unknown.
  const std::string* Find(std::string_view name) const;
  std::vector<std::string> Names() const;
  bool empty() const { return values_.empty(); }

  // `text` with every secret value replaced by "***".
  std::string Redact(std::string text) const;
  // The same over every string (and object key) of a JSON value.
  nlohmann::json Redact(const nlohmann::json& value) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> by_length_;  // values, longest first (for Redact)
};

// The secret names an expression reads statically: `secrets.NAME`,
// `secrets["NAME"]`, `secrets['NAME']`. Unique, in order of appearance.
std::vector<std::string> SecretNamesIn(std::string_view code);

}  // namespace storeflow::runtime
