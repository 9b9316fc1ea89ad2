// Sandbox::EvaluateExpression and the syntax checks.

#include <gtest/gtest.h>

#include "script/sandbox.h"
#include "script_test_util.h"

namespace storeflow::script {
namespace {

using nlohmann::json;
using testing::Contains;
using testing::FastLimits;

class ExpressionTest : public ::testing::Test {
 protected:
  Result<json> Eval(const std::string& expr, const json& context = json::object(),
                    CallContext call = {}) {
    return sandbox_.EvaluateExpression(expr, context, "@workflows/cart.yaml:42", call);
  }
  json EvalOk(const std::string& expr, const json& context = json::object(),
              CallContext call = {}) {
    auto r = Eval(expr, context, call);
    EXPECT_TRUE(r.ok()) << expr << ": " << r.status().ToString();
    return r.ok() ? *r : json("<error>");
  }

  Sandbox sandbox_{FastLimits()};
};

TEST_F(ExpressionTest, ValuesKeepTheirTypes) {
  EXPECT_EQ(EvalOk("1 + 2"), 3);
  EXPECT_TRUE(EvalOk("1 + 2").is_number_integer());
  EXPECT_TRUE(EvalOk("3 / 1").is_number_float());
  EXPECT_EQ(EvalOk("1.5 * 2").dump(), "3.0");
  EXPECT_EQ(EvalOk("'a' .. 'b'"), "ab");
  EXPECT_TRUE(EvalOk("nil").is_null());
  EXPECT_EQ(EvalOk("true"), true);
  EXPECT_EQ(EvalOk("1 > 2"), false);
  EXPECT_EQ(EvalOk("{a = 1, b = {true, false}}"), json::parse(R"({"a":1,"b":[true,false]})"));
  EXPECT_EQ(EvalOk("{1, 2, 3}"), json::parse("[1,2,3]"));
  // Several values: only the first counts.
  EXPECT_EQ(EvalOk("(function() return 1, 2 end)()"), 1);
  EXPECT_EQ(EvalOk("1, 2"), 1);
}

TEST_F(ExpressionTest, ContextNamesAreGlobals) {
  json ctx = json::parse(R"({
    "event": {"total": 150.5, "id": 7241234567890123456, "lines": [{"sku": "A"}, {"sku": "B"}]},
    "steps": {"score": {"output": {"value": 7}}},
    "config": {"threshold": 100},
    "run": {"id": "r-1"}
  })");
  EXPECT_EQ(EvalOk("event.total > config.threshold", ctx), true);
  EXPECT_EQ(EvalOk("event.id", ctx).get<std::int64_t>(), 7241234567890123456);
  EXPECT_EQ(EvalOk("#event.lines", ctx), 2);
  EXPECT_EQ(EvalOk("event.lines[2].sku", ctx), "B");
  EXPECT_EQ(EvalOk("steps.score.output.value * 2", ctx), 14);
  EXPECT_EQ(EvalOk("run.id .. ':' .. event.lines[1].sku", ctx), "r-1:A");
  EXPECT_EQ(EvalOk("event.lines", ctx), ctx["event"]["lines"]);
  // The context is per call: nothing of it remains for the next one.
  EXPECT_TRUE(EvalOk("event").is_null());
  // A null context means no names.
  EXPECT_EQ(EvalOk("type(event)", nullptr), "nil");
}

TEST_F(ExpressionTest, ContextMustBeAnObject) {
  auto r = Eval("1", json::array());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ExpressionTest, ContextConversionErrorsNameTheKey) {
  json ctx = {{"event", {{"id", std::numeric_limits<std::uint64_t>::max()}}}};
  auto r = Eval("event.id", ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "at $.event.id")) << r.status().message();
}

TEST_F(ExpressionTest, RuntimeErrorsNameTheWorkflowLine) {
  auto r = Eval("event.customer.email", json{{"event", json::object()}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  std::string m = r.status().message();
  EXPECT_EQ(m.rfind("workflows/cart.yaml:42:1: attempt to index a nil value (field 'customer')", 0),
            0u)
      << m;
  EXPECT_TRUE(Contains(m, "stack traceback:")) << m;
  EXPECT_TRUE(Contains(m, "workflows/cart.yaml:42:1: in ")) << m;
  EXPECT_FALSE(Contains(m, "[C]: in ?")) << m;
}

TEST_F(ExpressionTest, UnconvertibleResult) {
  auto r = Eval("print");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "workflows/cart.yaml:42: cannot convert to JSON at $: a function");
}

TEST_F(ExpressionTest, SyntaxErrors) {
  auto r = Eval("1 +");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(), "workflows/cart.yaml:42:")) << r.status().message();
  // Statements are not expressions; neither is an attempt to close the parenthesis.
  EXPECT_FALSE(Eval("x = 1").ok());
  EXPECT_FALSE(Eval("1) os.exit(").ok());
  EXPECT_FALSE(Eval("1; x = 2").ok());
  EXPECT_FALSE(Eval("1 end function f()").ok());
  auto blank = Eval("  \n ");
  ASSERT_FALSE(blank.ok());
  EXPECT_EQ(blank.status().message(), "workflows/cart.yaml:42:1: empty expression");
  EXPECT_FALSE(CheckExpressionSyntax("", "@w:1").ok());
  // Multi-line expressions keep their line numbers.
  auto second = Eval("1 +\n undefined_var.x");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message().rfind("workflows/cart.yaml:42:2: attempt to index", 0), 0u)
      << second.status().message();
  // A trailing comment is fine.
  EXPECT_EQ(EvalOk("40 + 2 -- the answer"), 42);

  Status s = CheckExpressionSyntax("event.total >", "@workflows/cart.yaml:42");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(s.message(), "workflows/cart.yaml:42:")) << s.message();
  EXPECT_TRUE(CheckExpressionSyntax("event.total > 100 and steps.x ~= nil", "@w:1").ok());
  EXPECT_TRUE(CheckExpressionSyntax("now() -- comment", "@w:1").ok());

  Status chunk = CheckChunkSyntax("local x = \nfunction f() end", "@scripts/x.lua");
  EXPECT_EQ(chunk.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(chunk.message().rfind("scripts/x.lua:2:", 0), 0u) << chunk.message();
  EXPECT_TRUE(CheckChunkSyntax("return 1", "@scripts/x.lua").ok());
}

TEST_F(ExpressionTest, NowIsTheEngineClock) {
  EXPECT_EQ(EvalOk("now()", json::object(), {1772953200000}), 1772953200);
  EXPECT_TRUE(EvalOk("now()", json::object(), {1772953200000}).is_number_integer());
  EXPECT_EQ(EvalOk("now()", json::object(), {1772953200250}), 1772953200.25);
  EXPECT_EQ(EvalOk("time.now() == now()", json::object(), {1772953200250}), true);
  EXPECT_EQ(EvalOk("time.format(now())", json::object(), {1772953200250}),
            "2026-03-08T07:00:00.250Z");
}

TEST_F(ExpressionTest, CompiledExpressionsAreCachedAndBounded) {
  for (int i = 0; i < 3; ++i) EXPECT_EQ(EvalOk("event.n * 2", json{{"event", {{"n", i}}}}), 2 * i);
  // The same text from another chunk name compiles separately (its errors name it).
  auto other = sandbox_.EvaluateExpression("nil + 1", json::object(), "@workflows/other.yaml:7");
  ASSERT_FALSE(other.ok());
  EXPECT_TRUE(Contains(other.status().message(), "workflows/other.yaml:7:1:"));
  // Many distinct expressions: the cache evicts, memory stays bounded.
  std::size_t before = sandbox_.memory_in_use();
  for (int i = 0; i < 6000; ++i) EvalOk("1 + " + std::to_string(i));
  EXPECT_LT(sandbox_.memory_in_use(), before + (8u << 20));
  EXPECT_EQ(EvalOk("1 + 5999"), 6000);
  EXPECT_EQ(EvalOk("1 + 0"), 1);
  sandbox_.ClearCaches();
  EXPECT_EQ(EvalOk("1 + 0"), 1);
}

TEST_F(ExpressionTest, LogSinkReceivesLines) {
  struct Line {
    LogLevel level;
    std::string source, message;
  };
  std::vector<Line> lines;
  sandbox_.set_log_sink([&](LogLevel level, std::string_view source, std::string_view message) {
    lines.push_back({level, std::string(source), std::string(message)});
  });
  EvalOk("(function() log.info('hello', 1, true) log.warn({}) log.error('bad') end)()");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].level, LogLevel::kInfo);
  EXPECT_EQ(lines[0].source, "workflows/cart.yaml:42:1");
  EXPECT_EQ(lines[0].message, "hello 1 true");
  EXPECT_EQ(lines[1].level, LogLevel::kWarn);
  EXPECT_TRUE(Contains(lines[1].message, "table: ")) << lines[1].message;
  EXPECT_EQ(lines[2].level, LogLevel::kError);
  EXPECT_EQ(LogLevelName(LogLevel::kWarn), "warn");

  // At most log_lines_per_call lines per call, then one notice.
  lines.clear();
  EvalOk("(function() for i = 1, 1000 do log.info(i) end end)()");
  ASSERT_EQ(lines.size(), 101u);
  EXPECT_TRUE(Contains(lines.back().message, "log limit")) << lines.back().message;
  lines.clear();
  EvalOk("log.info('next call')");
  EXPECT_EQ(lines.size(), 1u);

  // A sink that throws cannot break the call.
  sandbox_.set_log_sink(
      [](LogLevel, std::string_view, std::string_view) { throw std::runtime_error("sink down"); });
  EXPECT_EQ(EvalOk("(function() log.info('x') return 1 end)()"), 1);
}

}  // namespace
}  // namespace storeflow::script
