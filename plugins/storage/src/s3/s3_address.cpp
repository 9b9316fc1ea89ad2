#include "s3_address.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "storeflow/plugin.hpp"
#include "uri_encoding.h"

namespace storeflow::plugins::storage::s3 {
namespace {

using sdk::Error;

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsLowerOrDigit(char c) {
  return (c >= 'a' && c <= 'z') || IsDigit(c);
}

bool LooksLikeIpv4(std::string_view text) {
  int parts = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = text.find('.', start);
    std::string_view part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part) {
      if (!IsDigit(c)) return false;
    }
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

bool IsDefaultPort(const std::string& scheme, std::uint16_t port) {
  return (scheme == "http" && port == 80) || (scheme == "https" && port == 443);
}

}  // namespace

std::string Endpoint::Display() const {
  std::string host_part = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + host_part +
         (IsDefaultPort(scheme, port) ? "" : ":" + std::to_string(port)) + base_path;
}

Endpoint AwsEndpoint(std::string_view region) {
  Endpoint e;
  e.scheme = "https";
  e.host = "s3." + std::string(region) + ".amazonaws.com";
  e.port = 443;
  return e;
}

Endpoint ParseEndpoint(std::string_view url) {
  const std::string text(url);
  auto refuse = [&](const std::string& why) -> Error {
    return Error::Permanent("invalid_config", "storage `endpoint` \"" + text + "\" " + why);
  };
  Endpoint e;
  try {
    Poco::URI uri(text);
    e.scheme = uri.getScheme();
    if (e.scheme != "http" && e.scheme != "https") {
      throw refuse("must start with http:// or https://");
    }
    if (uri.getHost().empty()) throw refuse("has no host");
    if (!uri.getUserInfo().empty()) throw refuse("must not hold a user name or password");
    if (!uri.getRawQuery().empty() || !uri.getFragment().empty()) {
      throw refuse("must be scheme://host[:port][/path], without ?query or #fragment");
    }
    e.host = uri.getHost();
    e.port = uri.getPort();
    e.base_path = uri.getPath();
  } catch (const Poco::Exception& ex) {
    throw refuse("is not a URL: " + ex.displayText());
  }
  while (!e.base_path.empty() && e.base_path.back() == '/') e.base_path.pop_back();
  e.is_override = true;
  return e;
}

std::optional<std::string> BucketNameProblem(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return "it must be 3 to 63 characters long";
  for (char c : bucket) {
    if (!IsLowerOrDigit(c) && c != '.' && c != '-') {
      return "it may hold only lower-case letters, digits, '.' and '-'";
    }
  }
  if (!IsLowerOrDigit(bucket.front()) || !IsLowerOrDigit(bucket.back())) {
    return "it must start and end with a letter or a digit";
  }
  if (bucket.find("..") != std::string_view::npos) return "it must not contain \"..\"";
  if (LooksLikeIpv4(bucket)) return "it must not be shaped like an IP address";
  return std::nullopt;
}

bool IsVirtualHostable(std::string_view bucket) {
  return !BucketNameProblem(bucket) && bucket.find('.') == std::string_view::npos;
}

bool IsIpOrLocalhost(std::string_view host) {
  return host == "localhost" || LooksLikeIpv4(host) || host.find(':') != std::string_view::npos;
}

Addressing ChooseAddressing(const std::optional<std::string>& configured, const Endpoint& endpoint,
                            std::string_view bucket) {
  if (!configured) {
    if (endpoint.is_override || !IsVirtualHostable(bucket)) return Addressing::kPath;
    return Addressing::kVirtual;
  }
  if (*configured == "path") return Addressing::kPath;
  if (*configured != "virtual") {
    throw Error::Permanent(
        "invalid_config",
        "storage `addressing` must be path or virtual, not \"" + *configured + "\"");
  }
  if (IsIpOrLocalhost(endpoint.host)) {
    throw Error::Permanent("invalid_config",
                           "storage `addressing: virtual` needs an endpoint with a DNS name (the "
                           "bucket becomes its first label); " +
                               endpoint.Display() +
                               " is an IP address or localhost: use "
                               "`addressing: path`");
  }
  if (endpoint.scheme == "https" && bucket.find('.') != std::string_view::npos) {
    throw Error::Permanent("invalid_config",
                           "storage `addressing: virtual` cannot be used with the bucket \"" +
                               std::string(bucket) +
                               "\": a '.' in it breaks the TLS certificate of the bucket's host "
                               "name; use `addressing: path`");
  }
  return Addressing::kVirtual;
}

Target MakeTarget(const Endpoint& endpoint, Addressing addressing, std::string_view bucket,
                  std::string_view key) {
  Target t;
  t.scheme = endpoint.scheme;
  t.port = endpoint.port;
  const std::string encoded_key = aws::UriEncode(key, /*keep_slash=*/true);
  if (addressing == Addressing::kVirtual) {
    t.connect_host = std::string(bucket) + "." + endpoint.host;
    t.path = endpoint.base_path + "/" + encoded_key;
  } else {
    t.connect_host = endpoint.host;
    t.path = endpoint.base_path + "/" + std::string(bucket);
    if (!key.empty()) t.path += "/" + encoded_key;
  }
  const bool ipv6 = t.connect_host.find(':') != std::string::npos;
  t.host_header = (ipv6 ? "[" + t.connect_host + "]" : t.connect_host) +
                  (IsDefaultPort(t.scheme, t.port) ? "" : ":" + std::to_string(t.port));
  return t;
}

}  // namespace storeflow::plugins::storage::s3
