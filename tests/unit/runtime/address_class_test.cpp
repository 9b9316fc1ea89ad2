// The address classifier and the numeric host parser, on addresses as data:
// nothing here opens a socket or looks a name up.

#include <gtest/gtest.h>

#include <Poco/Net/IPAddress.h>

#include <string>

#include "runtime/address_class.h"
#include "runtime/host_resolver.h"

namespace storeflow::runtime {
namespace {

AddressClass ClassOf(const std::string& text) {
  return ClassifyAddress(Poco::Net::IPAddress::parse(text)).kind;
}

TEST(AddressClassTest, IPv4SpecialRanges) {
  EXPECT_EQ(ClassOf("169.254.169.254"), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassOf("169.254.0.1"), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassOf("127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(ClassOf("127.255.255.254"), AddressClass::kLoopback);
  EXPECT_EQ(ClassOf("10.0.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(ClassOf("172.16.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(ClassOf("172.31.255.255"), AddressClass::kPrivate);
  EXPECT_EQ(ClassOf("192.168.1.1"), AddressClass::kPrivate);
  EXPECT_EQ(ClassOf("100.64.0.1"), AddressClass::kSharedNat);
  EXPECT_EQ(ClassOf("100.127.255.255"), AddressClass::kSharedNat);
  EXPECT_EQ(ClassOf("0.0.0.0"), AddressClass::kUnspecified);
  EXPECT_EQ(ClassOf("0.1.2.3"), AddressClass::kUnspecified);
  EXPECT_EQ(ClassOf("224.0.0.1"), AddressClass::kMulticast);
  EXPECT_EQ(ClassOf("239.255.255.250"), AddressClass::kMulticast);
  EXPECT_EQ(ClassOf("255.255.255.255"), AddressClass::kBroadcast);
  EXPECT_EQ(ClassOf("240.0.0.1"), AddressClass::kReserved);
  EXPECT_EQ(ClassOf("192.0.2.10"), AddressClass::kReserved);
  EXPECT_EQ(ClassOf("198.18.0.1"), AddressClass::kReserved);
  EXPECT_EQ(ClassOf("203.0.113.7"), AddressClass::kReserved);
}

TEST(AddressClassTest, IPv4RangeEdgesArePublic) {
  EXPECT_EQ(ClassOf("93.184.216.34"), AddressClass::kPublic);
  EXPECT_EQ(ClassOf("8.8.8.8"), AddressClass::kPublic);
  EXPECT_EQ(ClassOf("172.15.255.255"), AddressClass::kPublic);
  EXPECT_EQ(ClassOf("172.32.0.0"), AddressClass::kPublic);
  EXPECT_EQ(ClassOf("100.63.255.255"), AddressClass::kPublic);
  EXPECT_EQ(ClassOf("100.128.0.0"), AddressClass::kPublic);
  EXPECT_EQ(ClassOf("169.253.255.255"), AddressClass::kPublic);
  EXPECT_EQ(ClassOf("11.0.0.0"), AddressClass::kPublic);
  EXPECT_EQ(ClassOf("223.255.255.255"), AddressClass::kPublic);
}

TEST(AddressClassTest, IPv6SpecialRanges) {
  EXPECT_EQ(ClassOf("::1"), AddressClass::kLoopback);
  EXPECT_EQ(ClassOf("::"), AddressClass::kUnspecified);
  EXPECT_EQ(ClassOf("fd00::1"), AddressClass::kUniqueLocal);
  EXPECT_EQ(ClassOf("fc00::1"), AddressClass::kUniqueLocal);
  EXPECT_EQ(ClassOf("fe80::1"), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassOf("febf::1"), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassOf("fec0::1"), AddressClass::kPrivate);
  EXPECT_EQ(ClassOf("ff02::1"), AddressClass::kMulticast);
  EXPECT_EQ(ClassOf("2001:db8::1"), AddressClass::kReserved);
  EXPECT_EQ(ClassOf("2001::1"), AddressClass::kReserved);  // Teredo
  EXPECT_EQ(ClassOf("100::1"), AddressClass::kReserved);
  EXPECT_EQ(ClassOf("64:ff9b:1::1"), AddressClass::kReserved);
  EXPECT_EQ(ClassOf("4000::1"), AddressClass::kReserved);  // outside 2000::/3
  EXPECT_EQ(ClassOf("2606:4700::1"), AddressClass::kPublic);
  EXPECT_EQ(ClassOf("2a00:1450:4001::1"), AddressClass::kPublic);
}

TEST(AddressClassTest, IPv6FormsCarryingIPv4AreClassifiedByTheIPv4Address) {
  // IPv4-mapped: the kernel connects to the IPv4 address itself.
  EXPECT_EQ(ClassOf("::ffff:127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(ClassOf("::ffff:169.254.169.254"), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassOf("::ffff:a9fe:a9fe"), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassOf("::ffff:10.0.0.1"), AddressClass::kPrivate);
  EXPECT_EQ(ClassOf("::ffff:93.184.216.34"), AddressClass::kPublic);
  // NAT64 and 6to4.
  EXPECT_EQ(ClassOf("64:ff9b::127.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(ClassOf("64:ff9b::a9fe:a9fe"), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassOf("64:ff9b::93.184.216.34"), AddressClass::kPublic);
  EXPECT_EQ(ClassOf("2002:a9fe:a9fe::1"), AddressClass::kLinkLocal);
  EXPECT_EQ(ClassOf("2002:0a00:0001::"), AddressClass::kPrivate);
  EXPECT_EQ(ClassOf("2002:5db8:d822::1"), AddressClass::kPublic);
  // IPv4-compatible (deprecated): never public.
  EXPECT_EQ(ClassOf("::127.0.0.1"), AddressClass::kReserved);
  EXPECT_EQ(ClassOf("::93.184.216.34"), AddressClass::kReserved);

  const AddressClassification mapped =
      ClassifyAddress(Poco::Net::IPAddress::parse("::ffff:169.254.169.254"));
  EXPECT_EQ(mapped.range, "169.254.0.0/16 inside IPv4-mapped ::ffff:0:0/96");
  EXPECT_EQ(AddressClassName(mapped.kind), "link-local");
}

// What the socket layer makes of a numeric host, classified on the binary result.
AddressClass NumericClass(const std::string& host) {
  auto parsed = ParseNumericHost(host);
  EXPECT_TRUE(parsed.has_value()) << host;
  return parsed ? ClassifyAddress(*parsed).kind : AddressClass::kPublic;
}

TEST(AddressClassTest, DecimalOctalHexAndShortIPv4FormsAreSeenThrough) {
  EXPECT_EQ(ParseNumericHost("2130706433")->toString(), "127.0.0.1");
  EXPECT_EQ(NumericClass("2130706433"), AddressClass::kLoopback);
  EXPECT_EQ(NumericClass("017700000001"), AddressClass::kLoopback);
  EXPECT_EQ(NumericClass("0x7f.1"), AddressClass::kLoopback);
  EXPECT_EQ(NumericClass("0x7f000001"), AddressClass::kLoopback);
  EXPECT_EQ(NumericClass("127.1"), AddressClass::kLoopback);
  EXPECT_EQ(NumericClass("0177.0.0.1"), AddressClass::kLoopback);
  EXPECT_EQ(ParseNumericHost("2852039166")->toString(), "169.254.169.254");
  EXPECT_EQ(NumericClass("2852039166"), AddressClass::kLinkLocal);
  EXPECT_EQ(NumericClass("0xa9.0xfe.0xa9.0xfe"), AddressClass::kLinkLocal);
  EXPECT_EQ(NumericClass("0251.0376.0251.0376"), AddressClass::kLinkLocal);
  EXPECT_EQ(NumericClass("10.1"), AddressClass::kPrivate);
  EXPECT_EQ(NumericClass("0"), AddressClass::kUnspecified);
  EXPECT_EQ(NumericClass("[::1]"), AddressClass::kLoopback);
  EXPECT_EQ(NumericClass("[::ffff:7f00:1]"), AddressClass::kLoopback);
  EXPECT_EQ(NumericClass("fe80::1%lo"), AddressClass::kLinkLocal);
  EXPECT_EQ(NumericClass("93.184.216.34"), AddressClass::kPublic);
}

TEST(AddressClassTest, NamesAreNotNumeric) {
  EXPECT_FALSE(ParseNumericHost("example.com"));
  EXPECT_FALSE(ParseNumericHost("localhost"));
  EXPECT_FALSE(ParseNumericHost("127.0.0.1.nip.io"));
  EXPECT_FALSE(ParseNumericHost(""));
  EXPECT_FALSE(ParseNumericHost("[]"));
}

}  // namespace
}  // namespace storeflow::runtime
