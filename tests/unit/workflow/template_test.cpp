#include "workflow/template.h"

#include <gtest/gtest.h>

#include "script/sandbox.h"
#include "workflow/duration_value.h"
#include "workflow/loader.h"
#include "workflow/value_template.h"
#include "workflow_test_util.h"

namespace storeflow::workflow {
namespace {

using nlohmann::json;

Template Parse(std::string_view text) {
  Result<Template> t = Template::Parse(text, "f.yaml");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : Template{};
}

TEST(TemplateParseTest, SplitsLiteralsAndExpressions) {
  Template t = Parse("Hi ${{ event.name }}, you owe ${{event.total}}!");
  ASSERT_EQ(t.segments().size(), 5u);
  EXPECT_EQ(t.segments()[0].literal, "Hi ");
  ASSERT_TRUE(t.segments()[1].expression);
  EXPECT_EQ(t.segments()[1].expression->code, "event.name");
  EXPECT_EQ(t.segments()[1].expression->loc.ToString(), "f.yaml:1:4");
  EXPECT_EQ(t.segments()[1].expression->ChunkName(), "@f.yaml:1");
  EXPECT_EQ(t.segments()[2].literal, ", you owe ");
  EXPECT_EQ(t.segments()[3].expression->code, "event.total");
  EXPECT_EQ(t.segments()[4].literal, "!");
  EXPECT_FALSE(t.is_literal());
  EXPECT_EQ(t.whole_expression(), nullptr);
}

TEST(TemplateParseTest, DollarDollarEscapesAnOpening) {
  Template t = Parse("cost: $${{ not an expression }} ${{ 1 }}");
  ASSERT_EQ(t.segments().size(), 2u);
  EXPECT_EQ(t.segments()[0].literal, "cost: ${{ not an expression }} ");
  EXPECT_EQ(t.segments()[1].expression->code, "1");
  Template only = Parse("$${{ x }}");
  EXPECT_TRUE(only.is_literal());
  EXPECT_EQ(only.literal_text(), "${{ x }}");
  EXPECT_TRUE(Parse("plain text, a } and a {{").is_literal());
}

TEST(TemplateParseTest, Unterminated) {
  Result<Template> t = Template::Parse("ab ${{ event.x", "f.yaml");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "f.yaml:1:4: unterminated '${{' (no matching '}}')");
  Result<Template> brace = Template::Parse("${{ x }", "f.yaml");
  EXPECT_FALSE(brace.ok());
}

TEST(TemplateParseTest, EmptyExpression) {
  Result<Template> t = Template::Parse("a${{  }}", "f.yaml");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(), "f.yaml:1:2: empty expression in '${{ }}'");
}

TEST(TemplateParseTest, ClosingBracesInsideLuaStringsAndTables) {
  EXPECT_EQ(Parse("${{ {a = {1}} }}").segments()[0].expression->code, "{a = {1}}");
  EXPECT_EQ(Parse("${{ '}}' .. x }}").segments()[0].expression->code, "'}}' .. x");
  EXPECT_EQ(Parse("${{ [[}}]] }}").segments()[0].expression->code, "[[}}]]");
}

TEST(TemplateParseTest, WholeValueOnlyWithNothingAround) {
  EXPECT_NE(Parse("${{ x }}").whole_expression(), nullptr);
  EXPECT_NE(Parse("${{x}}").whole_expression(), nullptr);
  EXPECT_EQ(Parse(" ${{ x }}").whole_expression(), nullptr);
  EXPECT_EQ(Parse("${{ x }} ").whole_expression(), nullptr);
  EXPECT_EQ(Parse("${{ x }}${{ y }}").whole_expression(), nullptr);
  EXPECT_EQ(Parse("text").whole_expression(), nullptr);
}

TEST(TemplateParseTest, StepReferencesArePreParsed) {
  Template t = Parse("${{ steps.plan.output.delay }}");
  ASSERT_EQ(t.segments()[0].expression->step_refs.size(), 1u);
  EXPECT_EQ(t.segments()[0].expression->step_refs[0].step_id, "plan");
  EXPECT_EQ(t.segments()[0].expression->step_refs[0].loc.ToString(), "f.yaml:1:5");
}

// ---- rendering (through the Lua sandbox) ----

class TemplateRenderTest : public ::testing::Test {
 protected:
  json Eval(std::string_view text) {
    Result<json> v = Evaluate(Parse(text), sandbox_, context_);
    EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
    return v.ok() ? *v : json("<error>");
  }

  script::Sandbox sandbox_;
  json context_ = {
      {"event",
       {{"name", "Ada"},
        {"n", 5},
        {"items", {1, 2}},
        {"obj", {{"a", 1}}},
        {"flag", true},
        {"big", 9007199254740993LL}}},
      {"config", {{"wait", "4h"}, {"secs", 90}}},
  };
};

TEST_F(TemplateRenderTest, WholeValueKeepsTheType) {
  EXPECT_EQ(Eval("${{ event.items }}"), json({1, 2}));
  EXPECT_EQ(Eval("${{ event.obj }}"), json({{"a", 1}}));
  EXPECT_EQ(Eval("${{ event.n }}"), json(5));
  EXPECT_TRUE(Eval("${{ event.n }}").is_number_integer());
  EXPECT_EQ(Eval("${{ event.n / 2 }}"), json(2.5));
  EXPECT_EQ(Eval("${{ event.flag }}"), json(true));
  EXPECT_TRUE(Eval("${{ event.missing }}").is_null());
  EXPECT_EQ(Eval("${{ event.big }}"), json(9007199254740993LL));
}

TEST_F(TemplateRenderTest, InterpolationMakesAString) {
  EXPECT_EQ(Eval("Hi ${{ event.name }}!"), json("Hi Ada!"));
  EXPECT_EQ(Eval("n=${{ event.n }}"), json("n=5"));
  EXPECT_EQ(Eval("x=${{ event.missing }}."), json("x=."));     // nil -> ""
  EXPECT_EQ(Eval("o=${{ event.obj }}"), json("o={\"a\":1}"));  // tables -> JSON
  EXPECT_EQ(Eval("l=${{ event.items }}"), json("l=[1,2]"));
  EXPECT_EQ(Eval("f=${{ 1.5 }} g=${{ 2.0 }} i=${{ 7 // 2 }}"), json("f=1.5 g=2.0 i=3"));
  EXPECT_EQ(Eval("b=${{ event.flag }}"), json("b=true"));
  EXPECT_EQ(Eval("${{ event.n }}${{ event.n }}"), json("55"));
  EXPECT_EQ(Eval("no expressions"), json("no expressions"));
  EXPECT_EQ(Eval("$${{ kept }}"), json("${{ kept }}"));
}

TEST_F(TemplateRenderTest, RenderStringAlwaysGivesText) {
  Result<std::string> s = RenderString(Parse("${{ event.items }}"), sandbox_, context_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, "[1,2]");
}

TEST_F(TemplateRenderTest, ErrorsNameThePositionAndChunk) {
  Result<json> v = Evaluate(Parse("x ${{ error('boom') }}"), sandbox_, context_);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("f.yaml:1:3"), std::string::npos) << v.status().message();
  EXPECT_NE(v.status().message().find("boom"), std::string::npos) << v.status().message();
  Result<json> index = Evaluate(Parse("${{ event.none.deeper }}"), sandbox_, context_);
  ASSERT_FALSE(index.ok());
  EXPECT_NE(index.status().message().find("f.yaml:1"), std::string::npos);
}

TEST_F(TemplateRenderTest, ValueTreesFromAWorkflow) {
  LoadResult r = LoadWorkflowFromString(R"yaml(workflow: t
on: [{event: go}]
steps:
  - id: a
    uses: x.y
    with:
      whole: "${{ event.items }}"
      list: [1, "${{ event.n }}", plain]
      nested: { text: "hello ${{ event.name }}", n: 7, yes: true, none: ~, f: 1.25 }
      escaped: "$${{ raw }}"
      quoted_number: "42"
)yaml",
                                        "wf.yaml", testing::RepoOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& uses = std::get<UsesStep>(r.workflow()->steps[0].kind);
  Result<json> out = Render(uses.with, sandbox_, context_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, json::parse(R"({
    "whole": [1, 2],
    "list": [1, 5, "plain"],
    "nested": {"text": "hello Ada", "n": 7, "yes": true, "none": null, "f": 1.25},
    "escaped": "${{ raw }}",
    "quoted_number": "42"
  })"));
}

TEST_F(TemplateRenderTest, DurationsResolveAtRunTime) {
  DurationValue from_config{Parse("${{ config.wait }}"), {"f.yaml", 1, 1}};
  Result<Duration> d = Resolve(from_config, sandbox_, context_);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(*d, std::chrono::hours(4));
  DurationValue seconds{Parse("${{ config.secs }}"), {"f.yaml", 1, 1}};
  EXPECT_EQ(*Resolve(seconds, sandbox_, context_), std::chrono::seconds(90));
  DurationValue bad{Parse("${{ event.name }}"), {"f.yaml", 3, 9}};
  Result<Duration> err = Resolve(bad, sandbox_, context_);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().message().rfind("f.yaml:3:9: invalid duration \"Ada\"", 0), 0u)
      << err.status().message();
  DurationValue literal{Duration(1500), {}};
  EXPECT_EQ(*Resolve(literal, sandbox_, context_), Duration(1500));
}

}  // namespace
}  // namespace storeflow::workflow
