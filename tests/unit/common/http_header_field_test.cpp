#include "common/http_header_field.h"

#include <gtest/gtest.h>

#include <string>

namespace storeflow {
namespace {

TEST(HttpHeaderFieldTest, OrdinaryFieldsPass) {
  EXPECT_TRUE(CheckHeaderField("X-Token", "abc 123\tdef").ok());
  EXPECT_TRUE(CheckHeaderField("Content-Type", "application/json; charset=utf-8").ok());
  EXPECT_TRUE(CheckHeaderField("x!#$%&'*+-.^_`|~", "").ok());
  EXPECT_TRUE(CheckHeaderField("X-Utf8", "caf\xc3\xa9").ok());
}

TEST(HttpHeaderFieldTest, LineBreaksAndControlsInValuesAreRefusedNamingTheHeader) {
  Status cr = CheckHeaderField("X-Note", "a\r\nSet-Cookie: session=evil");
  ASSERT_FALSE(cr.ok());
  EXPECT_EQ(cr.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cr.message(), "the value of header 'X-Note' contains a carriage return (CR)");
  EXPECT_EQ(CheckHeaderField("X-Note", "a\nb").message(),
            "the value of header 'X-Note' contains a line feed (LF)");
  EXPECT_EQ(CheckHeaderField("X-Note", std::string("a\0b", 3)).message(),
            "the value of header 'X-Note' contains a NUL character");
  EXPECT_FALSE(CheckHeaderField("X-Note", "a\x7f").ok());
  EXPECT_FALSE(CheckHeaderField("X-Note", "a\x1b[0m").ok());
}

TEST(HttpHeaderFieldTest, BadNamesAreRefusedAndShownEscaped) {
  EXPECT_EQ(CheckHeaderField("X-A\r\nX-B", "v").message(),
            "header name 'X-A\\r\\nX-B' contains a carriage return (CR)");
  EXPECT_EQ(CheckHeaderField("", "v").message(), "a header name is empty");
  EXPECT_FALSE(CheckHeaderField("X A", "v").ok());
  EXPECT_FALSE(CheckHeaderField("X:A", "v").ok());
  EXPECT_FALSE(CheckHeaderField("X-\xc3\xa9", "v").ok());
  EXPECT_FALSE(CheckHeaderField(std::string("X\0", 2), "v").ok());
}

TEST(HttpHeaderFieldTest, TheValueIsNeverQuoted) {
  Status s = CheckHeaderField("Authorization", "Bearer s3cret\r\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace storeflow
