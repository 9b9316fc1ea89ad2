#include "common/byte_size.h"

#include <gtest/gtest.h>

namespace storeflow {
namespace {

TEST(ByteSizeTest, ParsesPlainNumbersAndUnits) {
  EXPECT_EQ(*ParseByteSize("0"), 0u);
  EXPECT_EQ(*ParseByteSize("1048576"), 1048576u);
  EXPECT_EQ(*ParseByteSize("64MiB"), 64u << 20);
  EXPECT_EQ(*ParseByteSize("512KiB"), 512u << 10);
  EXPECT_EQ(*ParseByteSize("5MB"), 5'000'000u);
  EXPECT_EQ(*ParseByteSize("2 GiB"), 2ull << 30);
  EXPECT_EQ(*ParseByteSize("7B"), 7u);
}

TEST(ByteSizeTest, RefusesBadInputWithTheText) {
  auto r = ParseByteSize("64 mb");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown unit \"mb\""), std::string::npos);
  EXPECT_FALSE(ParseByteSize("").ok());
  EXPECT_FALSE(ParseByteSize("MiB").ok());
  EXPECT_FALSE(ParseByteSize("-1").ok());
  EXPECT_FALSE(ParseByteSize("99999999999999999999").ok());
  EXPECT_FALSE(ParseByteSize("17179869184GiB").ok());  // overflows uint64
}

TEST(ByteSizeTest, FormatRoundTrips) {
  EXPECT_EQ(FormatByteSize(64u << 20), "64MiB");
  EXPECT_EQ(FormatByteSize(5'000'000), "5MB");
  EXPECT_EQ(FormatByteSize(1500), "1500B");
  for (std::uint64_t v : {0ull, 1ull, 1024ull, 1000ull, 3ull << 30, 123457ull}) {
    EXPECT_EQ(*ParseByteSize(FormatByteSize(v)), v) << v;
  }
}

}  // namespace
}  // namespace storeflow
