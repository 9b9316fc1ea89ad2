#include "common/did_you_mean.h"

#include <gtest/gtest.h>

namespace storeflow {
namespace {

TEST(DidYouMeanTest, EditDistance) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("steps", "step"), 1u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("stpes", "steps"), 1u);  // a transposition is one edit
}

TEST(DidYouMeanTest, SuggestsOnlyCloseCandidates) {
  std::vector<std::string> keys = {"time_limit", "memory_limit", "instruction_limit"};
  EXPECT_EQ(ClosestMatch("time_limt", keys), "time_limit");
  EXPECT_EQ(ClosestMatch("memroy_limit", keys), "memory_limit");
  EXPECT_FALSE(ClosestMatch("colour", keys).has_value());
}

TEST(DidYouMeanTest, HintListsSortedChoicesAndSuggestion) {
  EXPECT_EQ(ValidChoicesHint("stpes", {"workflow", "steps", "on"}),
            " (valid keys: on, steps, workflow); did you mean 'steps'?");
  EXPECT_EQ(ValidChoicesHint("zzz", {"b", "a"}, "valid kinds"), " (valid kinds: a, b)");
}

}  // namespace
}  // namespace storeflow
