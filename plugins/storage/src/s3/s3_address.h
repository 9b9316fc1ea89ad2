#pragma once

// Where an S3 request goes: the endpoint (AWS's regional one or an override such
// as an emulator), path-style or virtual-host addressing, and the bucket and key
// turned into the connection's host and port, the Host header and the request
// path. Pure data in, data out (unit-tested as such).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace storeflow::plugins::storage::s3 {

enum class Addressing {
  kPath,     // https://s3.eu-west-1.amazonaws.com/<bucket>/<key>
  kVirtual,  // https://<bucket>.s3.eu-west-1.amazonaws.com/<key>
};

struct Endpoint {
  std::string scheme;  // "http" or "https"
  std::string host;    // "s3.eu-west-1.amazonaws.com", "127.0.0.1"
  std::uint16_t port = 443;
  std::string base_path;  // "" or "/prefix" (no trailing '/')
  bool is_override = false;

  // "scheme://host[:port][/base]" as given back in messages.
  std::string Display() const;
};

// https://s3.<region>.amazonaws.com.
Endpoint AwsEndpoint(std::string_view region);

// Parses an endpoint override "http(s)://host[:port][/path]". Throws
// sdk::Error::Permanent("invalid_config") naming `url` when it is not one.
Endpoint ParseEndpoint(std::string_view url);

// S3's bucket naming rules: 3..63 characters of a-z 0-9 . -, starting and ending
// with a letter or digit, no "..", not shaped like an IPv4 address. An empty
// optional when valid, else why not.
std::optional<std::string> BucketNameProblem(std::string_view bucket);

// True when the bucket can be the first label of a host name over TLS: valid and
// without '.' (a dotted bucket breaks the wildcard certificate).
bool IsVirtualHostable(std::string_view bucket);

// True for an IP literal (IPv4 dotted quad, or an IPv6 address) or "localhost":
// hosts that cannot carry a bucket label.
bool IsIpOrLocalhost(std::string_view host);

// The addressing to use: `configured` ("path" / "virtual") when given, else
// virtual for AWS's own endpoint (path when the bucket is not virtual-hostable)
// and path for an endpoint override. Throws invalid_config for an unknown value,
// or virtual addressing that cannot work (an IP or localhost endpoint, a dotted
// bucket over https).
Addressing ChooseAddressing(const std::optional<std::string>& configured, const Endpoint& endpoint,
                            std::string_view bucket);

// One request's destination.
struct Target {
  std::string scheme;
  std::string connect_host;  // what the connection is opened to
  std::uint16_t port = 443;
  std::string host_header;  // host[:port], port omitted when it is the scheme's default
  std::string path;         // URI-encoded, starting with '/'
};

// The destination of an object request (`key` non-empty) or a bucket request
// (`key` empty: ListObjectsV2, CreateBucket). The key is URI-encoded per S3
// (every byte but A-Z a-z 0-9 - . _ ~ and '/' as %XX).
Target MakeTarget(const Endpoint& endpoint, Addressing addressing, std::string_view bucket,
                  std::string_view key);

}  // namespace storeflow::plugins::storage::s3
