#pragma once

// Turns the host of a URL into the addresses a connection may go to. The
// egress policy checks every address a resolver returns, and the connection is
// then made to one of those checked addresses (never by resolving again), so a
// name that changes its answer between the check and the connect (DNS
// rebinding) gains nothing. Tests inject their own resolver; none of them
// should ever look a name up in the real DNS.

#include <Poco/Net/IPAddress.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace storeflow::runtime {

class HostResolver {
 public:
  virtual ~HostResolver() = default;
  // Every address of `host` (a name, or an address in any text form the socket
  // layer accepts). NotFound when the name does not exist; Unavailable when the
  // lookup failed and may work later. Never an empty list on success.
  virtual Result<std::vector<Poco::Net::IPAddress>> Resolve(const std::string& host) const = 0;
};

// `host` as an IP address when it is one in any form the C library's parser
// accepts (inet_aton: "127.1", "2130706433", "0x7f.0.0.1", "017700000001"; IPv6
// with or without brackets and a zone "%eth0"); nullopt for a name. Never
// touches the network.
std::optional<Poco::Net::IPAddress> ParseNumericHost(const std::string& host);

// The system resolver: numeric hosts are parsed (ParseNumericHost), names are
// looked up with getaddrinfo (Poco::Net::DNS).
class SystemHostResolver final : public HostResolver {
 public:
  Result<std::vector<Poco::Net::IPAddress>> Resolve(const std::string& host) const override;
};

}  // namespace storeflow::runtime
