// Unit tests of the shared storage core: key rules, base64, content types, UTF-8.
#include <gtest/gtest.h>

#include "base64.h"
#include "content_type.h"
#include "storage_key.h"
#include "storeflow/plugin.hpp"
#include "utf8.h"

namespace storeflow::plugins::storage {
namespace {

std::string KeyError(std::string_view key) {
  try {
    ValidateKey(key);
  } catch (const sdk::Error& e) {
    EXPECT_EQ(e.code(), "invalid_key");
    EXPECT_EQ(e.kind(), STOREFLOW_ERROR_PERMANENT);
    return e.what();
  }
  return "";
}

TEST(StorageKey, AcceptsOrdinaryKeys) {
  for (std::string_view key : {"a", "invoices/2026/1001.pdf", "x/.hidden", "a..b/c", "ünï/cödé.txt",
                               "with space/and-dash_underscore.txt"}) {
    EXPECT_EQ(KeyError(key), "") << key;
  }
}

TEST(StorageKey, RefusesEscapesNamingTheKey) {
  EXPECT_NE(KeyError("../etc/passwd").find("\"../etc/passwd\""), std::string::npos);
  EXPECT_NE(KeyError("../etc/passwd").find("'..'"), std::string::npos);
  EXPECT_NE(KeyError("a/../../b").find("'..'"), std::string::npos);
  EXPECT_NE(KeyError("a/..").find("'..'"), std::string::npos);
  EXPECT_NE(KeyError("/etc/passwd").find("absolute"), std::string::npos);
  EXPECT_NE(KeyError("a\\b").find("backslash"), std::string::npos);
  EXPECT_NE(KeyError(std::string_view("a\0b", 3)).find("NUL"), std::string::npos);
  EXPECT_NE(KeyError(std::string_view("a\0b", 3)).find("\"a\\0b\""), std::string::npos);
  EXPECT_NE(KeyError("a\nb").find("control"), std::string::npos);
  EXPECT_NE(KeyError("a//b").find("empty segment"), std::string::npos);
  EXPECT_NE(KeyError("a/").find("empty segment"), std::string::npos);
  EXPECT_NE(KeyError("./a").find("'.'"), std::string::npos);
  EXPECT_NE(KeyError(".storeflow-meta/x").find("reserved"), std::string::npos);
  EXPECT_NE(KeyError("a/.storeflow-tmp-1").find("reserved"), std::string::npos);
  EXPECT_NE(KeyError("\xff\xfe").find("UTF-8"), std::string::npos);
  EXPECT_NE(KeyError(std::string(1025, 'a')).find("1024"), std::string::npos);
  EXPECT_NE(KeyError("").find("empty"), std::string::npos);
}

TEST(StorageKey, PrefixRules) {
  EXPECT_NO_THROW(ValidatePrefix(""));
  EXPECT_NO_THROW(ValidatePrefix("inv"));
  EXPECT_NO_THROW(ValidatePrefix("invoices/"));
  EXPECT_NO_THROW(ValidatePrefix("invoices/20"));
  EXPECT_THROW(ValidatePrefix("../"), sdk::Error);
  EXPECT_THROW(ValidatePrefix(".."), sdk::Error);
  EXPECT_THROW(ValidatePrefix("/abs"), sdk::Error);
  EXPECT_THROW(ValidatePrefix("a\\"), sdk::Error);
}

TEST(Base64, RoundTripsAllLengths) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 7));
    auto decoded = Base64Decode(Base64Encode(bytes));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, bytes);
    auto wrapped = Base64Decode(Base64Encode(bytes, 76));
    ASSERT_TRUE(wrapped.has_value());
    EXPECT_EQ(*wrapped, bytes);
  }
  EXPECT_EQ(Base64Encode("Man"), "TWFu");
  EXPECT_EQ(Base64Encode("Ma"), "TWE=");
  EXPECT_EQ(Base64Encode("M"), "TQ==");
}

TEST(Base64, WrapsLinesAt76) {
  std::string encoded = Base64Encode(std::string(200, 'x'), 76);
  EXPECT_EQ(encoded.find("\r\n"), 76u);
  for (std::size_t start = 0; start < encoded.size();) {
    std::size_t end = encoded.find("\r\n", start);
    if (end == std::string::npos) end = encoded.size();
    EXPECT_LE(end - start, 76u);
    start = end + 2;
  }
}

TEST(Base64, RefusesGarbage) {
  EXPECT_FALSE(Base64Decode("ab$d").has_value());
  EXPECT_FALSE(Base64Decode("a").has_value());
  EXPECT_FALSE(Base64Decode("TQ==TQ==").has_value());
  EXPECT_TRUE(Base64Decode("TQ").has_value());  // padding optional
  EXPECT_EQ(*Base64Decode("TW\r\nFu"), "Man");
}

TEST(ContentType, ValidatesHeaderSafeTypes) {
  EXPECT_TRUE(IsValidContentType("text/plain"));
  EXPECT_TRUE(IsValidContentType("text/plain; charset=utf-8"));
  EXPECT_TRUE(IsValidContentType("application/vnd.ms-excel"));
  EXPECT_TRUE(IsValidContentType("multipart/x; boundary=\"a b\""));
  EXPECT_FALSE(IsValidContentType("text"));
  EXPECT_FALSE(IsValidContentType("text/plain\r\nBcc: x@y"));
  EXPECT_FALSE(IsValidContentType("text/"));
  EXPECT_FALSE(IsValidContentType("téxt/plain"));
  EXPECT_EQ(GuessContentType("a/b/report.PDF"), "application/pdf");
  EXPECT_EQ(GuessContentType("noext"), "application/octet-stream");
}

TEST(Utf8, Validates) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

}  // namespace
}  // namespace storeflow::plugins::storage
