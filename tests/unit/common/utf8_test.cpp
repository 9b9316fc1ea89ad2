#include "common/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace storeflow {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(
      IsValidUtf8("b\xc3\xbc"
                  "cher \xe2\x82\xac \xf0\x9f\x98\x80"));  // ü, €, U+1F600
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));        // NUL is well-formed
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));            // U+10FFFF
}

TEST(Utf8Test, RefusesMalformedText) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\x80"));              // a lone continuation byte
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82x"));         // a bad continuation
}

}  // namespace
}  // namespace storeflow
