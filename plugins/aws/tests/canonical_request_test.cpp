// The canonical-request pieces on what the official vectors do not cover: S3's single
// encoding, '%' in paths, odd query pieces, and input that must be refused.

#include "canonical_request.h"

#include <gtest/gtest.h>

#include "uri_encoding.h"

namespace storeflow::plugins::aws {
namespace {

TEST(UriEncode, KeepsUnreservedAndEncodesEverythingElseUpperCase) {
  EXPECT_EQ(UriEncode("aZ09-._~", false), "aZ09-._~");
  EXPECT_EQ(UriEncode("a b+c/d=e&\xE1\x88\xB4", false), "a%20b%2Bc%2Fd%3De%26%E1%88%B4");
  EXPECT_EQ(UriEncode("/a b/", true), "/a%20b/");
}

TEST(PercentDecode, DecodesEscapesAndKeepsPlus) {
  Result<std::string> decoded = PercentDecode("a%20b+c%2f", "x");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, "a b+c/");
}

TEST(PercentDecode, RefusesATruncatedOrNonHexEscape) {
  for (const char* bad : {"a%", "a%2", "a%zz", "%g0"}) {
    Result<std::string> decoded = PercentDecode(bad, "query parameter 1 value");
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(decoded.status().message().find("query parameter 1 value: '%' at offset"),
              std::string::npos)
        << decoded.status().message();
  }
}

TEST(NormalizePath, RemovesDotAndEmptySegmentsKeepingATrailingSlash) {
  EXPECT_EQ(NormalizePath(""), "/");
  EXPECT_EQ(NormalizePath("/"), "/");
  EXPECT_EQ(NormalizePath("/.."), "/");
  EXPECT_EQ(NormalizePath("/a/b/../c/./d"), "/a/c/d");
  EXPECT_EQ(NormalizePath("/a/b/.."), "/a/");
  EXPECT_EQ(NormalizePath("/a//b//"), "/a/b/");
  EXPECT_EQ(NormalizePath("/a/./"), "/a/");
  EXPECT_EQ(NormalizePath("/a/.../b"), "/a/.../b");  // "..." is a name
}

TEST(CanonicalUri, S3EncodesOnceAndKeepsThePathAsIs) {
  // S3: no normalisation, no double encoding; "$" and "%24" sign the same.
  for (const char* path : {"/test$file.text", "/test%24file.text"}) {
    Result<std::string> uri = CanonicalUri(path, false, false);
    ASSERT_TRUE(uri.ok());
    EXPECT_EQ(*uri, "/test%24file.text");
  }
  Result<std::string> key = CanonicalUri("/my-object//example//photo.user", false, false);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(*key, "/my-object//example//photo.user");
  Result<std::string> plus = CanonicalUri("/a+b/c d", false, false);
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(*plus, "/a%2Bb/c%20d");
}

TEST(CanonicalUri, DoubleEncodingEncodesThePercentSign) {
  Result<std::string> uri = CanonicalUri("/a%20b/../c", true, true);
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(*uri, "/c");
  uri = CanonicalUri("/a%20b", true, true);
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(*uri, "/a%2520b");
  uri = CanonicalUri("", true, true);
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(*uri, "/");
}

TEST(CanonicalUri, RefusesPathsThatCannotBeARequestPath) {
  struct Bad {
    const char* path;
    bool double_encode;
    const char* says;
  };
  for (const Bad& bad :
       {Bad{"relative/x", true, "must start with '/'"},
        Bad{"/a?b=1", true, "the query goes in `query`"}, Bad{"/a#frag", true, "contains '#'"},
        Bad{"/a\r\nHost: evil", true, "control character at offset 2"},
        Bad{"/bad%zz", false, "request path: '%' at offset 4"}}) {
    Result<std::string> uri = CanonicalUri(bad.path, true, bad.double_encode);
    ASSERT_FALSE(uri.ok()) << bad.path;
    EXPECT_NE(uri.status().message().find(bad.says), std::string::npos) << uri.status().message();
  }
}

TEST(ParseQuery, SplitsDecodesAndKeepsOrder) {
  Result<std::vector<QueryParam>> params = ParseQuery("b=2&&a&c=x=y&=v&d=%20+");
  ASSERT_TRUE(params.ok());
  ASSERT_EQ(params->size(), 5u);
  EXPECT_EQ((*params)[0].name, "b");
  EXPECT_EQ((*params)[1].name, "a");
  EXPECT_EQ((*params)[1].value, "");
  EXPECT_EQ((*params)[2].value, "x=y");
  EXPECT_EQ((*params)[3].name, "");
  EXPECT_EQ((*params)[4].value, " +");
  EXPECT_EQ(CanonicalQuery(*params), "=v&a=&b=2&c=x%3Dy&d=%20%2B");
}

TEST(ParseQuery, NamesTheParameterWithABadEscape) {
  Result<std::vector<QueryParam>> params = ParseQuery("ok=1&prefix=50%");
  ASSERT_FALSE(params.ok());
  EXPECT_NE(params.status().message().find("query parameter 2 (`prefix=50%`) value"),
            std::string::npos)
      << params.status().message();
  params = ParseQuery("a=1\n");
  ASSERT_FALSE(params.ok());
  EXPECT_NE(params.status().message().find("control character"), std::string::npos);
}

TEST(CanonicalQuery, SortsByEncodedNameThenValue) {
  EXPECT_EQ(CanonicalQuery({{"b", "1"}, {"a", "2"}, {"a", "10"}, {"A", "z"}}), "A=z&a=10&a=2&b=1");
  EXPECT_EQ(CanonicalQuery({}), "");
}

TEST(CanonicalizeHeaders, LowerCasesSortsTrimsCollapsesAndJoinsRepeats) {
  Result<CanonicalHeaders> headers = CanonicalizeHeaders({{"X-B", "  two   words\t "},
                                                          {"host", "h"},
                                                          {"X-A", "first\n  folded"},
                                                          {"x-b", "again"},
                                                          {"X-Empty", ""}});
  ASSERT_TRUE(headers.ok());
  EXPECT_EQ(headers->block, "host:h\nx-a:first folded\nx-b:two words,again\nx-empty:\n");
  EXPECT_EQ(headers->signed_headers, "host;x-a;x-b;x-empty");
}

TEST(CheckHeader, RefusesBadNamesAndLineBreaksThatAreNotFolds) {
  EXPECT_TRUE(CheckHeader({"X-Ok", "a\tb\r\n c\n\td"}).ok());
  struct Bad {
    HttpHeader header;
    const char* says;
  };
  for (const Bad& bad :
       {Bad{{"", "v"}, "empty name"}, Bad{{"Bad Name", "v"}, "header name `Bad Name`"},
        Bad{{"X-Smuggle", "a\r\nX-Injected: 1"}, "line break not followed by a space or tab"},
        Bad{{"X-Trailing", "a\n"}, "line break"},
        Bad{{"X-Nul", std::string("a\0b", 3)}, "control character at offset 1"}}) {
    Status status = CheckHeader(bad.header);
    ASSERT_FALSE(status.ok()) << bad.header.name;
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find(bad.says), std::string::npos) << status.message();
  }
}

}  // namespace
}  // namespace storeflow::plugins::aws
