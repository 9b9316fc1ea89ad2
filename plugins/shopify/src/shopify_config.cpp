#include "shopify_config.h"

#include <cctype>
#include <set>

namespace storeflow::plugins::shopify {
namespace {

using sdk::Error;
using sdk::Json;

constexpr const char* kDefaultApiVersion = "2025-07";

[[noreturn]] void Invalid(const std::string& message) {
  throw Error::Permanent("invalid_config", message);
}

const Json* Member(const Json& object, const std::string& key) {
  auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> String(const Json& object, const std::string& key,
                                  const std::string& where) {
  const Json* value = Member(object, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) Invalid("`" + where + "` must be a string");
  return value->get<std::string>();
}

double Positive(const Json& object, const std::string& key, double fallback,
                const std::string& where) {
  const Json* value = Member(object, key);
  if (value == nullptr) return fallback;
  if (!value->is_number()) Invalid("`" + where + "` must be a number");
  double number = value->get<double>();
  if (!(number > 0)) Invalid("`" + where + "` must be greater than 0");
  return number;
}

void OnlyKeys(const Json& object, const std::set<std::string>& keys, const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    if (keys.count(key) == 0) {
      std::string valid;
      for (const std::string& k : keys) valid += (valid.empty() ? "" : ", ") + k;
      Invalid("`" + where + (where.empty() ? "" : ".") + key +
              "` is not a known key; valid: " + valid);
    }
  }
}

bool IsDomain(const std::string& domain) {
  if (domain.empty() || domain.size() > 253 || domain.front() == '.' || domain.back() == '.') {
    return false;
  }
  for (char c : domain) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.')) return false;
  }
  return domain.find('.') != std::string::npos;
}

bool IsApiVersion(const std::string& v) {
  // YYYY-MM or "unstable".
  if (v == "unstable") return true;
  if (v.size() != 7 || v[4] != '-') return false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i != 4 && !std::isdigit(static_cast<unsigned char>(v[i]))) return false;
  }
  return true;
}

bool IsSecretName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

std::string Endpoint(const std::string& endpoint, const std::string& where) {
  std::string url = endpoint;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (!(url.starts_with("http://") || url.starts_with("https://"))) {
    Invalid("`" + where + "` must start with http:// or https://, got \"" + endpoint + "\"");
  }
  std::string rest = url.substr(url.find("//") + 2);
  if (rest.empty() || rest.front() == '/' || rest.find_first_of("?#@ ") != std::string::npos) {
    Invalid("`" + where +
            "` must be a URL like http://127.0.0.1:8080/shops/x.myshopify.com "
            "(a host, an optional port and path; no query, fragment or user), got \"" +
            endpoint + "\"");
  }
  return url;
}

ShopLimits ParseLimits(const Json& limits, const std::string& where) {
  if (!limits.is_object()) Invalid("`" + where + "` must be an object");
  OnlyKeys(limits,
           {"graphql_bucket", "graphql_restore_per_second", "rest_bucket", "rest_leak_per_second",
            "max_query_cost"},
           where);
  ShopLimits out;
  out.graphql_bucket =
      Positive(limits, "graphql_bucket", out.graphql_bucket, where + ".graphql_bucket");
  out.graphql_restore_per_second =
      Positive(limits, "graphql_restore_per_second", out.graphql_restore_per_second,
               where + ".graphql_restore_per_second");
  out.rest_bucket = Positive(limits, "rest_bucket", out.rest_bucket, where + ".rest_bucket");
  out.rest_leak_per_second = Positive(limits, "rest_leak_per_second", out.rest_leak_per_second,
                                      where + ".rest_leak_per_second");
  out.max_query_cost =
      Positive(limits, "max_query_cost", out.max_query_cost, where + ".max_query_cost");
  if (out.max_query_cost > out.graphql_bucket) out.max_query_cost = out.graphql_bucket;
  return out;
}

ShopConfig ParseShop(const Json& shop, const std::string& where, const std::string& api_version) {
  if (!shop.is_object()) Invalid("`" + where + "` must be an object with at least `domain`");
  OnlyKeys(shop,
           {"domain", "admin_token_secret", "storefront_token_secret", "api_version", "endpoint",
            "limits"},
           where);
  ShopConfig out;
  out.domain = String(shop, "domain", where + ".domain").value_or("");
  for (char& c : out.domain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (out.domain.empty()) Invalid("`" + where + ".domain` is required (e.g. x.myshopify.com)");
  if (!IsDomain(out.domain)) {
    Invalid("`" + where + ".domain` \"" + out.domain +
            "\" is not a host name such as x.myshopify.com (no scheme, no path)");
  }
  out.admin_token_secret =
      String(shop, "admin_token_secret", where + ".admin_token_secret").value_or("");
  if (out.admin_token_secret.empty()) {
    Invalid("`" + where +
            ".admin_token_secret` is required: the NAME of the secret holding the Admin API "
            "access token (e.g. SHOPIFY_ADMIN_TOKEN), never the token itself");
  }
  if (!IsSecretName(out.admin_token_secret)) {
    Invalid("`" + where +
            ".admin_token_secret` must be a secret name (letters, digits, _ - .), not a token "
            "value");
  }
  out.storefront_token_secret =
      String(shop, "storefront_token_secret", where + ".storefront_token_secret").value_or("");
  if (!out.storefront_token_secret.empty() && !IsSecretName(out.storefront_token_secret)) {
    Invalid("`" + where +
            ".storefront_token_secret` must be a secret name (letters, digits, _ - .)");
  }
  out.api_version = String(shop, "api_version", where + ".api_version").value_or(api_version);
  if (!IsApiVersion(out.api_version)) {
    Invalid("`" + where + ".api_version` \"" + out.api_version +
            "\" is not a Shopify API version such as 2025-07");
  }
  auto endpoint = String(shop, "endpoint", where + ".endpoint");
  out.base_url = endpoint ? Endpoint(*endpoint, where + ".endpoint") : "https://" + out.domain;
  if (const Json* limits = Member(shop, "limits")) {
    out.limits = ParseLimits(*limits, where + ".limits");
  }
  return out;
}

}  // namespace

const ShopConfig& ShopifyConfig::Find(const std::optional<std::string>& name) const {
  if (shops.empty()) {
    throw Error::Permanent("not_configured",
                           "the shopify plugin has no shops: add them under "
                           "plugins.config.shopify.shops (domain, admin_token_secret)");
  }
  if (!name || name->empty()) {
    if (shops.size() == 1) return shops.front();
    std::string list;
    for (const ShopConfig& s : shops) list += (list.empty() ? "" : ", ") + s.domain;
    throw Error::Permanent("unknown_shop", "`shop` is required: the config has " +
                                               std::to_string(shops.size()) + " shops (" + list +
                                               ")");
  }
  std::string wanted = *name;
  for (char& c : wanted) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const ShopConfig& s : shops) {
    if (s.domain == wanted || s.domain == wanted + ".myshopify.com") return s;
  }
  std::string list;
  for (const ShopConfig& s : shops) list += (list.empty() ? "" : ", ") + s.domain;
  throw Error::Permanent(
      "unknown_shop", "no shop \"" + *name + "\" in the shopify plugin's config; known: " + list);
}

ShopifyConfig ParseShopifyConfig(const Json& config) {
  if (!config.is_object()) Invalid("the shopify plugin's config must be an object with `shops`");
  OnlyKeys(config,
           {"shops", "api_version", "timeout_ms", "max_wait_ms", "default_query_cost",
            "source_id_metafield"},
           "");
  ShopifyConfig out;
  std::string api_version =
      String(config, "api_version", "api_version").value_or(kDefaultApiVersion);
  if (!IsApiVersion(api_version)) {
    Invalid("`api_version` \"" + api_version + "\" is not a Shopify API version such as 2025-07");
  }
  out.timeout_ms = static_cast<std::int64_t>(
      Positive(config, "timeout_ms", static_cast<double>(out.timeout_ms), "timeout_ms"));
  const Json* max_wait = Member(config, "max_wait_ms");
  if (max_wait != nullptr) {
    if (!max_wait->is_number_integer() || max_wait->get<std::int64_t>() < 0) {
      Invalid("`max_wait_ms` must be an integer >= 0");
    }
    out.max_wait_ms = max_wait->get<std::int64_t>();
  }
  out.default_query_cost =
      Positive(config, "default_query_cost", out.default_query_cost, "default_query_cost");
  if (const Json* metafield = Member(config, "source_id_metafield")) {
    if (!metafield->is_object()) Invalid("`source_id_metafield` must be {namespace, key}");
    OnlyKeys(*metafield, {"namespace", "key"}, "source_id_metafield");
    out.source_id_namespace = String(*metafield, "namespace", "source_id_metafield.namespace")
                                  .value_or(out.source_id_namespace);
    out.source_id_key =
        String(*metafield, "key", "source_id_metafield.key").value_or(out.source_id_key);
    if (out.source_id_namespace.size() < 2 || out.source_id_key.size() < 2) {
      Invalid("`source_id_metafield.namespace` and `.key` need at least 2 characters");
    }
  }
  // No shops is allowed (the plugin is installed by default; its steps then fail
  // with not_configured), but `shops` that is not a list is not.
  const Json* shops = Member(config, "shops");
  if (shops == nullptr) return out;
  if (!shops->is_array()) {
    Invalid("`shops` must be a list of shops, each with `domain` and `admin_token_secret`");
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < shops->size(); ++i) {
    std::string where = "shops[" + std::to_string(i) + "]";
    ShopConfig shop = ParseShop((*shops)[i], where, api_version);
    if (!seen.insert(shop.domain).second) {
      Invalid("`" + where + ".domain` " + shop.domain + " is listed twice");
    }
    out.shops.push_back(std::move(shop));
  }
  return out;
}

}  // namespace storeflow::plugins::shopify
