#include "runtime/address_class.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace storeflow::runtime {
namespace {

using V6Bytes = std::array<std::uint8_t, 16>;

struct V4Range {
  std::uint32_t base;
  int bits;
  AddressClass kind;
  const char* text;
};

// Checked in order; the first match decides (255.255.255.255 before 240/4).
constexpr V4Range kV4Ranges[] = {
    {0x00000000, 8, AddressClass::kUnspecified, "0.0.0.0/8"},
    {0x0A000000, 8, AddressClass::kPrivate, "10.0.0.0/8"},
    {0x64400000, 10, AddressClass::kSharedNat, "100.64.0.0/10"},
    {0x7F000000, 8, AddressClass::kLoopback, "127.0.0.0/8"},
    {0xA9FE0000, 16, AddressClass::kLinkLocal, "169.254.0.0/16"},
    {0xAC100000, 12, AddressClass::kPrivate, "172.16.0.0/12"},
    {0xC0000000, 24, AddressClass::kReserved, "192.0.0.0/24"},
    {0xC0000200, 24, AddressClass::kReserved, "192.0.2.0/24"},
    {0xC0586300, 24, AddressClass::kReserved, "192.88.99.0/24"},
    {0xC0A80000, 16, AddressClass::kPrivate, "192.168.0.0/16"},
    {0xC6120000, 15, AddressClass::kReserved, "198.18.0.0/15"},
    {0xC6336400, 24, AddressClass::kReserved, "198.51.100.0/24"},
    {0xCB007100, 24, AddressClass::kReserved, "203.0.113.0/24"},
    {0xE0000000, 4, AddressClass::kMulticast, "224.0.0.0/4"},
    {0xFFFFFFFF, 32, AddressClass::kBroadcast, "255.255.255.255/32"},
    {0xF0000000, 4, AddressClass::kReserved, "240.0.0.0/4"},
};

// How an IPv6 range is treated: a class of its own, or "classify the IPv4
// address it carries" (at byte offset `v4_offset`).
struct V6Range {
  V6Bytes base;
  int bits;
  AddressClass kind;
  const char* text;
  int v4_offset = -1;  // >= 0: classify the embedded IPv4 address instead
};

constexpr V6Bytes Bytes(std::initializer_list<std::uint8_t> leading) {
  V6Bytes out{};
  std::size_t i = 0;
  for (std::uint8_t b : leading) out[i++] = b;
  return out;
}

constexpr V6Bytes kLoopbackV6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
constexpr V6Bytes kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Checked in order after :: and ::1.
const V6Range kV6Ranges[] = {
    {kMappedPrefix, 96, AddressClass::kPublic, "IPv4-mapped ::ffff:0:0/96", 12},
    {Bytes({}), 96, AddressClass::kReserved, "IPv4-compatible ::/96 (deprecated)"},
    {Bytes({0x00, 0x64, 0xff, 0x9b}), 96, AddressClass::kPublic, "NAT64 64:ff9b::/96", 12},
    {Bytes({0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}), 48, AddressClass::kReserved,
     "local-use NAT64 64:ff9b:1::/48"},
    {Bytes({0x01, 0x00}), 64, AddressClass::kReserved, "discard-only 100::/64"},
    {Bytes({0x20, 0x01, 0x0d, 0xb8}), 32, AddressClass::kReserved, "documentation 2001:db8::/32"},
    {Bytes({0x20, 0x01}), 23, AddressClass::kReserved,
     "IETF special-purpose 2001::/23 (Teredo, ORCHID, ...)"},
    {Bytes({0x20, 0x02}), 16, AddressClass::kPublic, "6to4 2002::/16", 2},
    {Bytes({0x3f, 0xff}), 20, AddressClass::kReserved, "documentation 3fff::/20"},
    {Bytes({0xfc}), 7, AddressClass::kUniqueLocal, "fc00::/7"},
    {Bytes({0xfe, 0x80}), 10, AddressClass::kLinkLocal, "fe80::/10"},
    {Bytes({0xfe, 0xc0}), 10, AddressClass::kPrivate, "site-local fec0::/10 (deprecated)"},
    {Bytes({0xff}), 8, AddressClass::kMulticast, "ff00::/8"},
};

bool PrefixMatches(const V6Bytes& address, const V6Bytes& base, int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (address[i] != base[i]) return false;
  }
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
  return (address[i] & mask) == (base[i] & mask);
}

AddressClassification ClassifyV4(std::uint32_t address) {
  for (const V4Range& range : kV4Ranges) {
    const std::uint32_t mask = range.bits == 0 ? 0 : ~std::uint32_t{0} << (32 - range.bits);
    if ((address & mask) == range.base) return {range.kind, range.text};
  }
  return {};
}

std::uint32_t V4At(const V6Bytes& bytes, int offset) {
  return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
         (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
}

AddressClassification ClassifyV6(const V6Bytes& bytes) {
  if (bytes == V6Bytes{}) return {AddressClass::kUnspecified, "::/128"};
  if (bytes == kLoopbackV6) return {AddressClass::kLoopback, "::1/128"};
  for (const V6Range& range : kV6Ranges) {
    if (!PrefixMatches(bytes, range.base, range.bits)) continue;
    if (range.v4_offset < 0) return {range.kind, range.text};
    AddressClassification inner = ClassifyV4(V4At(bytes, range.v4_offset));
    if (!inner.is_public()) inner.range += std::string(" inside ") + range.text;
    return inner;
  }
  if ((bytes[0] & 0xe0) != 0x20) {
    return {AddressClass::kReserved, "outside global unicast 2000::/3"};
  }
  return {};
}

}  // namespace

std::string_view AddressClassName(AddressClass kind) {
  switch (kind) {
    case AddressClass::kPublic: return "public";
    case AddressClass::kUnspecified: return "unspecified";
    case AddressClass::kLoopback: return "loopback";
    case AddressClass::kPrivate: return "private";
    case AddressClass::kSharedNat: return "carrier-grade NAT";
    case AddressClass::kLinkLocal: return "link-local";
    case AddressClass::kUniqueLocal: return "unique-local";
    case AddressClass::kMulticast: return "multicast";
    case AddressClass::kBroadcast: return "broadcast";
    case AddressClass::kReserved: return "reserved";
  }
  return "reserved";
}

AddressClassification ClassifyAddress(const Poco::Net::IPAddress& address) {
  if (address.family() == Poco::Net::IPAddress::IPv4) {
    std::uint8_t raw[4] = {};
    std::memcpy(raw, address.addr(), sizeof raw);
    return ClassifyV4((std::uint32_t{raw[0]} << 24) | (std::uint32_t{raw[1]} << 16) |
                      (std::uint32_t{raw[2]} << 8) | std::uint32_t{raw[3]});
  }
  V6Bytes bytes{};
  if (address.length() != bytes.size()) return {AddressClass::kReserved, "unknown address family"};
  std::memcpy(bytes.data(), address.addr(), bytes.size());
  return ClassifyV6(bytes);
}

}  // namespace storeflow::runtime
