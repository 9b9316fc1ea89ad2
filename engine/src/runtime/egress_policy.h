#pragma once

// Which addresses the built-in `http.request` action may connect to on behalf
// of a workflow. By default only public addresses (runtime/address_class.h):
// never loopback (the engine's own admin API), private ranges, link-local
// (169.254.169.254, cloud metadata), multicast or reserved ones. An operator
// lets a workflow reach such a host through http_client.allow_hosts.
//
// The policy resolves the URL's host ONCE and checks EVERY address it gets; the
// caller connects only to those checked addresses (no second lookup, so no DNS
// rebinding gap). A host with one refused address is refused as a whole.

#include <Poco/Net/IPAddress.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/host_resolver.h"

namespace storeflow::runtime {

// One entry of http_client.allow_hosts.
struct EgressAllowEntry {
  enum class Kind {
    kHost,     // "api.partner.test": this URL host, whatever it resolves to
    kDomain,   // "*.partner.test": any host name under partner.test
    kNetwork,  // "10.1.2.3", "10.0.0.0/8", "::1", "fd00::/8": resolved addresses
  };
  Kind kind = Kind::kHost;
  std::string text;  // as written
  std::string name;  // kHost: the lower-case name; kDomain: ".partner.test"
  Poco::Net::IPAddress network;
  unsigned prefix_bits = 0;
};

// InvalidArgument naming the entry and what is wrong with it.
Result<EgressAllowEntry> ParseEgressAllowEntry(std::string_view text);

class EgressPolicy {
 public:
  // Public addresses only, through the system resolver.
  EgressPolicy();
  EgressPolicy(std::vector<EgressAllowEntry> allow, std::shared_ptr<const HostResolver> resolver);

  // Parses every entry; the error lists each bad one.
  static Result<EgressPolicy> FromAllowList(const std::vector<std::string>& entries);

  // The addresses a connection to `host` may use, in the resolver's order:
  // every address of `host` when each one is public or allowed. PermissionDenied
  // naming the host, the refused address and its range otherwise; the
  // resolver's NotFound/Unavailable as they are.
  Result<std::vector<Poco::Net::IPAddress>> Resolve(const std::string& host) const;

  const std::vector<EgressAllowEntry>& allow() const { return allow_; }
  void set_resolver(std::shared_ptr<const HostResolver> resolver);

 private:
  bool HostAllowed(const std::string& lower_host) const;
  bool AddressAllowed(const Poco::Net::IPAddress& address) const;

  std::vector<EgressAllowEntry> allow_;
  std::shared_ptr<const HostResolver> resolver_;
};

}  // namespace storeflow::runtime
