#include "runtime/egress_policy.h"

#include "common/ascii_text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "runtime/address_class.h"

namespace storeflow::runtime {
namespace {

// "api.partner.test." -> "api.partner.test" (a fully qualified name is the same host).
std::string CanonicalHost(std::string_view host) {
  std::string out = AsciiLower(host);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

// A DNS name: labels of letters, digits, '-' and '_', 1..63 characters each.
bool IsHostName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (char c : name) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

// The address as bytes; an IPv4-mapped IPv6 address also as its IPv4 bytes.
std::vector<std::uint8_t> AddressBytes(const Poco::Net::IPAddress& address) {
  const auto* raw = static_cast<const std::uint8_t*>(address.addr());
  return {raw, raw + address.length()};
}

std::vector<std::uint8_t> MappedV4(const std::vector<std::uint8_t>& bytes) {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (bytes.size() != 16 || std::memcmp(bytes.data(), kMapped, sizeof kMapped) != 0) return {};
  return {bytes.begin() + 12, bytes.end()};
}

bool InNetwork(const std::vector<std::uint8_t>& address, const std::vector<std::uint8_t>& network,
               unsigned bits) {
  if (address.size() != network.size()) return false;
  std::size_t i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (address[i] != network[i]) return false;
  }
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - bits));
  return (address[i] & mask) == (network[i] & mask);
}

std::string Bad(std::string_view text, const std::string& why) {
  return "allow_hosts entry '" + std::string(text) + "': " + why;
}

}  // namespace

Result<EgressAllowEntry> ParseEgressAllowEntry(std::string_view text) {
  EgressAllowEntry entry;
  entry.text = std::string(text);
  if (text.empty()) return InvalidArgument(Bad(text, "is empty"));
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    const std::string address(text.substr(0, slash));
    const std::string_view bits_text = text.substr(slash + 1);
    auto parsed = ParseNumericHost(address);
    if (!parsed) return InvalidArgument(Bad(text, "'" + address + "' is not an IP address"));
    const unsigned max_bits = parsed->length() * 8;
    unsigned bits = 0;
    auto [end, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
    if (bits_text.empty() || ec != std::errc() || end != bits_text.data() + bits_text.size() ||
        bits > max_bits) {
      return InvalidArgument(
          Bad(text, "the prefix length must be a number from 0 to " + std::to_string(max_bits)));
    }
    entry.kind = EgressAllowEntry::Kind::kNetwork;
    entry.network = *parsed;
    entry.prefix_bits = bits;
    return entry;
  }
  if (auto parsed = ParseNumericHost(std::string(text))) {
    entry.kind = EgressAllowEntry::Kind::kNetwork;
    entry.network = *parsed;
    entry.prefix_bits = parsed->length() * 8;
    return entry;
  }
  std::string_view name = text;
  if (name.substr(0, 2) == "*.") {
    entry.kind = EgressAllowEntry::Kind::kDomain;
    name.remove_prefix(2);
  }
  const std::string canonical = CanonicalHost(name);
  if (!IsHostName(canonical)) {
    return InvalidArgument(Bad(text,
                               "expected a host name (api.partner.example), a domain "
                               "(*.partner.example), an IP address or a CIDR range (10.0.0.0/8)"));
  }
  entry.name = entry.kind == EgressAllowEntry::Kind::kDomain ? "." + canonical : canonical;
  return entry;
}

EgressPolicy::EgressPolicy() : resolver_(std::make_shared<SystemHostResolver>()) {}

EgressPolicy::EgressPolicy(std::vector<EgressAllowEntry> allow,
                           std::shared_ptr<const HostResolver> resolver)
    : allow_(std::move(allow)), resolver_(std::move(resolver)) {
  if (!resolver_) resolver_ = std::make_shared<SystemHostResolver>();
}

Result<EgressPolicy> EgressPolicy::FromAllowList(const std::vector<std::string>& entries) {
  std::vector<EgressAllowEntry> allow;
  std::string errors;
  for (const std::string& text : entries) {
    auto entry = ParseEgressAllowEntry(text);
    if (!entry.ok()) {
      errors += (errors.empty() ? "" : "; ") + entry.status().message();
      continue;
    }
    allow.push_back(std::move(*entry));
  }
  if (!errors.empty()) return InvalidArgument(errors);
  return EgressPolicy(std::move(allow), nullptr);
}

void EgressPolicy::set_resolver(std::shared_ptr<const HostResolver> resolver) {
  resolver_ = resolver ? std::move(resolver) : std::make_shared<SystemHostResolver>();
}

bool EgressPolicy::HostAllowed(const std::string& lower_host) const {
  for (const EgressAllowEntry& entry : allow_) {
    if (entry.kind == EgressAllowEntry::Kind::kHost && entry.name == lower_host) return true;
    if (entry.kind == EgressAllowEntry::Kind::kDomain && lower_host.size() > entry.name.size() &&
        lower_host.compare(lower_host.size() - entry.name.size(), entry.name.size(), entry.name) ==
            0) {
      return true;
    }
  }
  return false;
}

bool EgressPolicy::AddressAllowed(const Poco::Net::IPAddress& address) const {
  const std::vector<std::uint8_t> bytes = AddressBytes(address);
  const std::vector<std::uint8_t> v4 = MappedV4(bytes);
  for (const EgressAllowEntry& entry : allow_) {
    if (entry.kind != EgressAllowEntry::Kind::kNetwork) continue;
    const std::vector<std::uint8_t> network = AddressBytes(entry.network);
    if (InNetwork(bytes, network, entry.prefix_bits)) return true;
    if (!v4.empty() && InNetwork(v4, network, entry.prefix_bits)) return true;
  }
  return false;
}

Result<std::vector<Poco::Net::IPAddress>> EgressPolicy::Resolve(const std::string& host) const {
  auto addresses = resolver_->Resolve(host);
  if (!addresses.ok()) return addresses.status();
  if (addresses->empty()) return NotFound("host '" + host + "' has no address");
  if (HostAllowed(CanonicalHost(host))) return addresses;
  for (const Poco::Net::IPAddress& address : *addresses) {
    const AddressClassification verdict = ClassifyAddress(address);
    if (verdict.is_public() || AddressAllowed(address)) continue;
    return PermissionDenied(
        "http.request may not connect to '" + host + "': it resolves to " + address.toString() +
        ", a " + std::string(AddressClassName(verdict.kind)) + " address (" + verdict.range +
        "); an operator can allow it with http_client.allow_hosts");
  }
  return addresses;
}

}  // namespace storeflow::runtime
