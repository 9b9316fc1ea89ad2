// Every form of REST `Link` header Shopify's pagination documents.
#include <gtest/gtest.h>

#include "link_header.h"

namespace storeflow::plugins::shopify {
namespace {

constexpr const char* kBase = "https://x.myshopify.com/admin/api/2025-07/products.json";

TEST(LinkHeader, NextOnly) {
  PageLinks l = ParseLinkHeader(std::string("<") + kBase +
                                "?limit=50&page_info=eyJsYXN0X2lkIjo0fQ>; rel=\"next\"");
  ASSERT_TRUE(l.next_page_info);
  EXPECT_EQ(*l.next_page_info, "eyJsYXN0X2lkIjo0fQ");
  EXPECT_EQ(*l.next_url, std::string(kBase) + "?limit=50&page_info=eyJsYXN0X2lkIjo0fQ");
  EXPECT_FALSE(l.previous_page_info);
  EXPECT_FALSE(l.previous_url);
}

TEST(LinkHeader, PreviousAndNext) {
  PageLinks l = ParseLinkHeader(std::string("<") + kBase +
                                "?page_info=prevcursor&limit=3>; rel=\"previous\", <" + kBase +
                                "?page_info=nextcursor&limit=3>; rel=\"next\"");
  ASSERT_TRUE(l.next_page_info && l.previous_page_info);
  EXPECT_EQ(*l.next_page_info, "nextcursor");
  EXPECT_EQ(*l.previous_page_info, "prevcursor");
}

TEST(LinkHeader, PreviousOnlyOnTheLastPage) {
  PageLinks l =
      ParseLinkHeader(std::string("<") + kBase + "?limit=3&page_info=abc>; rel=\"previous\"");
  EXPECT_FALSE(l.next_page_info);
  EXPECT_FALSE(l.next_url);
  ASSERT_TRUE(l.previous_page_info);
  EXPECT_EQ(*l.previous_page_info, "abc");
}

TEST(LinkHeader, NoneOrEmptyOrGarbage) {
  for (const char* header : {"", "   ", "garbage", "<unterminated; rel=\"next\"",
                             "<https://x/a.json?page_info=a>; rel=\"self\""}) {
    PageLinks l = ParseLinkHeader(header);
    EXPECT_FALSE(l.next_page_info) << header;
    EXPECT_FALSE(l.previous_page_info) << header;
  }
}

TEST(LinkHeader, ExtraParametersAndCommasInsideTheUrl) {
  // `fields=id,title` puts commas inside the angle brackets; other parameters
  // come before and after page_info; percent-encoding is decoded.
  PageLinks l =
      ParseLinkHeader(std::string("<") + kBase +
                      "?fields=id,title,handle&limit=250&page_info=a%2Bb%3D&status=x>; "
                      "rel=\"previous\", <" +
                      kBase + "?limit=250&fields=id,title&page_info=n%3D%3D>; rel=\"next\"");
  ASSERT_TRUE(l.next_page_info && l.previous_page_info);
  EXPECT_EQ(*l.previous_page_info, "a+b=");
  EXPECT_EQ(*l.next_page_info, "n==");
  EXPECT_NE(l.next_url->find("fields=id,title"), std::string::npos);
}

TEST(LinkHeader, WhitespaceCaseAndUnquotedRel) {
  PageLinks l =
      ParseLinkHeader(std::string("  < ") + kBase + "?page_info=p >  ;  REL = previous  ,\t<" +
                      kBase + "?page_info=n>;rel=next  ");
  ASSERT_TRUE(l.next_page_info && l.previous_page_info);
  EXPECT_EQ(*l.next_page_info, "n");
  EXPECT_EQ(*l.previous_page_info, "p");
  // Extra link parameters and several relations in one rel.
  PageLinks m = ParseLinkHeader(std::string("<") + kBase +
                                "?page_info=z>; title=\"page, two\"; rel=\"next last\"");
  ASSERT_TRUE(m.next_page_info);
  EXPECT_EQ(*m.next_page_info, "z");
}

TEST(LinkHeader, QueryParameter) {
  EXPECT_EQ(QueryParameter("https://h/p?a=1&page_info=x%20y", "page_info"), "x y");
  EXPECT_EQ(QueryParameter("https://h/p?a=1&flag", "flag"), "");
  EXPECT_FALSE(QueryParameter("https://h/p?a=1", "page_info"));
  EXPECT_FALSE(QueryParameter("https://h/p", "a"));
  EXPECT_EQ(QueryParameter("https://h/p?a=1#frag", "a"), "1");
  EXPECT_EQ(QueryParameter("https://h/p?a=%zz", "a"), "%zz");  // bad escape kept as is
}

}  // namespace
}  // namespace storeflow::plugins::shopify
