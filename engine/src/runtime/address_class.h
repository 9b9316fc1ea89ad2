#pragma once

// What kind of IP address a connection would go to: public, or one of the
// ranges an outgoing request made on behalf of a workflow must not reach by
// default (loopback, private, link-local, ...). Classification works on the
// binary address, never on text: "2130706433", "0x7f.1" and "127.1" are all
// 127.0.0.1 once parsed. IPv6 forms that carry an IPv4 address (IPv4-mapped
// ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:AABB:CCDD::) are classified by
// the IPv4 address inside them.

#include <Poco/Net/IPAddress.h>

#include <string>
#include <string_view>

namespace storeflow::runtime {

enum class AddressClass {
  kPublic,
  kUnspecified,  // 0.0.0.0/8, ::
  kLoopback,     // 127.0.0.0/8, ::1
  kPrivate,      // 10/8, 172.16/12, 192.168/16, fec0::/10 (site-local)
  kSharedNat,    // 100.64.0.0/10 (carrier-grade NAT)
  kLinkLocal,    // 169.254/16 (cloud metadata lives here), fe80::/10
  kUniqueLocal,  // fc00::/7
  kMulticast,    // 224/4, ff00::/8
  kBroadcast,    // 255.255.255.255
  kReserved,     // documentation, benchmarking, 240/4, IETF special-purpose, outside 2000::/3
};

struct AddressClassification {
  AddressClass kind = AddressClass::kPublic;
  // The range that decided it ("169.254.0.0/16"; for an IPv4 address inside an
  // IPv6 one: "169.254.0.0/16 inside IPv4-mapped ::ffff:0:0/96"); empty for public.
  std::string range;
  bool is_public() const { return kind == AddressClass::kPublic; }
};

// "link-local", "loopback", ...
std::string_view AddressClassName(AddressClass kind);

AddressClassification ClassifyAddress(const Poco::Net::IPAddress& address);

}  // namespace storeflow::runtime
