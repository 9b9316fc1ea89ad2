#include "workflow/expression.h"

#include <gtest/gtest.h>

namespace storeflow::workflow {
namespace {

std::vector<std::string> Refs(std::string_view code) {
  std::vector<std::string> out;
  for (const auto& r : ScanExpression(code).step_refs) out.push_back(r.step_id);
  return out;
}

TEST(ExpressionScanTest, FindsDotAndBracketReferences) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Refs("steps.a.output and steps['b-c'].x or steps[\"d\"]"), (V{"a", "b-c", "d"}));
  EXPECT_EQ(Refs("steps . spaced.output"), (V{"spaced"}));
  EXPECT_EQ(Refs("f(steps.x)"), (V{"x"}));
  EXPECT_EQ(Refs("{steps.x, steps.y}"), (V{"x", "y"}));
}

TEST(ExpressionScanTest, IgnoresStringsCommentsFieldsAndDynamicKeys) {
  EXPECT_TRUE(Refs("'steps.x' .. \"steps.y\" .. [[steps.z]] .. [==[steps.w]==]").empty());
  EXPECT_TRUE(Refs("1 -- steps.x").empty());
  EXPECT_TRUE(Refs("1 --[[ steps.x ]] + 2").empty());
  EXPECT_TRUE(Refs("event.steps.x").empty());
  EXPECT_TRUE(Refs("obj:steps()").empty());
  EXPECT_TRUE(Refs("steps[name]").empty());
  EXPECT_TRUE(Refs("steps").empty());
  EXPECT_TRUE(Refs("steps..x").empty());
  EXPECT_TRUE(Refs("mysteps.x").empty());
}

TEST(ExpressionScanTest, OffsetsAndSecrets) {
  ExpressionScan scan = ScanExpression("a and steps.b and secrets.KEY");
  ASSERT_EQ(scan.step_refs.size(), 1u);
  EXPECT_EQ(scan.step_refs[0].offset, 6u);
  ASSERT_TRUE(scan.secrets_offset);
  EXPECT_EQ(*scan.secrets_offset, 18u);
  EXPECT_FALSE(ScanExpression("event.secrets").secrets_offset);
  EXPECT_FALSE(ScanExpression("'secrets'").secrets_offset);
}

TEST(ExpressionTest, LocationsOfLines) {
  Expression e = MakeExpression("a +\nb", {"f", 3, 7}, [](std::size_t offset) {
    return offset < 4 ? SourceLocation{"f", 3, 7 + static_cast<int>(offset)}
                      : SourceLocation{"f", 4, 9 + static_cast<int>(offset - 4)};
  });
  EXPECT_EQ(e.ChunkName(), "@f:3");
  EXPECT_EQ(e.LocationOfLine(1).ToString(), "f:3:7");
  EXPECT_EQ(e.LocationOfLine(2).ToString(), "f:4:9");
  EXPECT_EQ(e.LocationOfLine(3).ToString(), "f:3:7");  // past the code: the expression itself
}

}  // namespace
}  // namespace storeflow::workflow
