#include "common/json_nesting.h"

#include <gtest/gtest.h>

#include <string>

namespace storeflow {
namespace {

constexpr auto npos = std::string_view::npos;

std::string Nested(int depth, char open = '[', char close = ']') {
  return std::string(static_cast<std::size_t>(depth), open) +
         std::string(static_cast<std::size_t>(depth), close);
}

TEST(JsonNestingTest, TheLimitItselfPassesAndOneMoreIsFoundAtItsBracket) {
  EXPECT_EQ(FindJsonNestingOverflow(Nested(kMaxJsonNesting)), npos);
  EXPECT_EQ(FindJsonNestingOverflow(Nested(kMaxJsonNesting + 1)),
            static_cast<std::size_t>(kMaxJsonNesting));
  EXPECT_EQ(FindJsonNestingOverflow(Nested(500'000)), static_cast<std::size_t>(kMaxJsonNesting));
  EXPECT_EQ(FindJsonNestingOverflow(Nested(3, '{', '}'), 2), 2u);
}

TEST(JsonNestingTest, ObjectsAndArraysCountTogetherAndClosingLowersTheDepth) {
  EXPECT_EQ(FindJsonNestingOverflow(R"({"a": [{"b": [1]}]})", 4), npos);
  EXPECT_EQ(FindJsonNestingOverflow(R"({"a": [{"b": [1]}]})", 3), 13u);
  // Siblings do not add up: [[1],[2],[3]] is 2 deep.
  EXPECT_EQ(FindJsonNestingOverflow("[[1],[2],[3]]", 2), npos);
}

TEST(JsonNestingTest, BracketsInsideStringsDoNotCount) {
  const std::string text = "[\"" + std::string(1000, '[') + "\", \"\\\"[[[\", \"\\\\\", [1]]";
  EXPECT_EQ(FindJsonNestingOverflow(text, 2), npos);
  EXPECT_EQ(FindJsonNestingOverflow(text, 1), text.rfind("[1]"));
  // An unterminated string ends the scan: nothing after it can nest.
  EXPECT_EQ(FindJsonNestingOverflow("[\"" + std::string(1000, '['), 1), npos);
}

TEST(JsonNestingTest, InvalidTextIsJudgedOnlyByDepth) {
  EXPECT_EQ(FindJsonNestingOverflow("]]]]][[", 2), npos);
  EXPECT_EQ(FindJsonNestingOverflow("", 1), npos);
  EXPECT_EQ(std::string(JsonNestingMessage()), "nesting deeper than 128 levels");
}

}  // namespace
}  // namespace storeflow
