// JSON <-> Lua through the engine's real paths (CallRule input/result,
// expression context/result, json.encode/decode).

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "script/sandbox.h"
#include "script_test_util.h"

namespace storeflow::script {
namespace {

using nlohmann::json;
using testing::Contains;
using testing::FastLimits;
using testing::ScriptDir;

constexpr const char* kBridgeScript = R"lua(
function echo(input) return input end
function types(input)
  local out = {}
  for k, v in pairs(input) do
    out[k] = v == json.null and "null" or (math.type(v) or type(v))
  end
  return out
end
function plus_one(input) return input.n + 1 end
function len(input) return #input end
function nth_is_null(input) return input[2] == json.null end
function ret(input) return RETURNS[input]() end
RETURNS = {
  empty = function() return {} end,
  empty_array = function() return json.array() end,
  marked = function() return json.array({1, 2}) end,
  mixed = function() return {items = {1, 2, x = 3}} end,
  sparse = function() return {list = {1, nil, 3}} end,
  bool_key = function() return {[true] = 1} end,
  float_key = function() return {nested = {[1.5] = 1}} end,
  cycle = function() local t = {a = {}} t.a.back = t return t end,
  nan = function() return {x = 0/0} end,
  inf = function() return {deep = {{y = math.huge}}} end,
  fn = function() return {handler = print} end,
  iterator = function() return {ok = true, bad = {1, 2, string.gmatch("a", "a")}} end,
  bad_utf8 = function() return {name = "\xff\xfe"} end,
  odd_key = function() return {["a b"] = {[""] = function() end}} end,
  deep = function() local t = {} for i = 1, 250 do t = {t} end return t end,
  ok_deep = function() local t = {} for i = 1, 199 do t = {t} end return t end,
  floats = function() return {one = 1.0, half = 0.5, int = 1, big = 2^53, neg0 = -0.0} end,
  null = function() return json.null end,
  nothing = function() end,
  array_with_string = function() local a = json.array({1}) a.x = 2 return a end,
  mixed_bad_value = function() return {x = {bad = print, [2] = 1, worse = print}} end,
  bad_value_late = function() return {x = {a = 1, b = 2, c = 3, d = {e = print}}} end,
}
)lua";

class JsonBridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("scripts/bridge.lua", kBridgeScript);
    sandbox_.set_script_root(dir_.root());
  }
  Result<json> Call(const char* fn, const json& input) {
    return sandbox_.CallRule("scripts/bridge.lua", fn, input);
  }
  json CallOk(const char* fn, const json& input) {
    auto r = Call(fn, input);
    EXPECT_TRUE(r.ok()) << fn << ": " << r.status().ToString();
    return r.ok() ? *r : json("<error>");
  }
  std::string ReturnError(const char* what) {
    auto r = Call("ret", what);
    EXPECT_FALSE(r.ok()) << what << " converted to " << (r.ok() ? r->dump() : "");
    if (r.ok()) return "";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    return r.status().message();
  }

  ScriptDir dir_;
  Sandbox sandbox_{FastLimits()};
};

TEST_F(JsonBridgeTest, Int64ValuesSurviveExactly) {
  const std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  const std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  json input = {{"min", kMin},
                {"max", kMax},
                {"above_2_53", (std::int64_t{1} << 53) + 1},
                {"shopify", 7241234567890123456},
                {"neg", -42},
                {"zero", 0}};
  json out = CallOk("echo", input);
  EXPECT_EQ(out, input);
  EXPECT_EQ(out["min"].get<std::int64_t>(), kMin);
  EXPECT_EQ(out["max"].get<std::int64_t>(), kMax);
  EXPECT_EQ(out["above_2_53"].get<std::int64_t>(), 9007199254740993);
  EXPECT_EQ(out["shopify"].get<std::int64_t>(), 7241234567890123456);
  EXPECT_EQ(out.dump(),
            R"({"above_2_53":9007199254740993,"max":9223372036854775807,)"
            R"("min":-9223372036854775808,"neg":-42,"shopify":7241234567890123456,"zero":0})");
  json t = CallOk("types", input);
  for (auto& [k, v] : t.items()) EXPECT_EQ(v, "integer") << k;
  // Arithmetic in Lua stays exact.
  EXPECT_EQ(CallOk("plus_one", {{"n", (std::int64_t{1} << 53) + 1}}).get<std::int64_t>(),
            9007199254740994);
  EXPECT_EQ(CallOk("plus_one", {{"n", 7241234567890123456}}).get<std::int64_t>(),
            7241234567890123457);
}

TEST_F(JsonBridgeTest, UnsignedAboveInt64IsRefusedNamingThePath) {
  json input = {{"order", {{"id", std::numeric_limits<std::uint64_t>::max()}}}};
  auto r = Call("echo", input);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status().message(),
                       "input: integer 18446744073709551615 is above the largest Lua integer "
                       "(9223372036854775807) at $.order.id"))
      << r.status().message();
  // INT64_MAX parsed from text arrives as unsigned in nlohmann: still fine.
  json max = json::parse("{\"id\": 9223372036854775807}");
  EXPECT_EQ(CallOk("echo", max), max);
}

TEST_F(JsonBridgeTest, FloatsStayFloatsAndIntegersStayIntegers) {
  json input = json::parse(R"({"one": 1.0, "half": 0.5, "int": 1, "exp": 1e300})");
  json t = CallOk("types", input);
  EXPECT_EQ(t["one"], "float");
  EXPECT_EQ(t["half"], "float");
  EXPECT_EQ(t["int"], "integer");
  json out = CallOk("echo", input);
  EXPECT_TRUE(out["one"].is_number_float());
  EXPECT_TRUE(out["int"].is_number_integer());
  EXPECT_EQ(out.dump(), R"({"exp":1e+300,"half":0.5,"int":1,"one":1.0})");
  json f = CallOk("ret", "floats");
  EXPECT_TRUE(f["one"].is_number_float());
  EXPECT_TRUE(f["big"].is_number_float());
  EXPECT_TRUE(f["int"].is_number_integer());
  EXPECT_EQ(f["big"].get<double>(), 9007199254740992.0);
}

TEST_F(JsonBridgeTest, NullIsASentinelThatKeepsArraysAndKeys) {
  json input = json::parse(R"([1, null, 3])");
  EXPECT_EQ(CallOk("len", input), 3);
  EXPECT_EQ(CallOk("nth_is_null", input), true);
  EXPECT_EQ(CallOk("echo", input), input);
  json obj = json::parse(R"({"a": null, "b": [null, null], "c": {"d": null}})");
  EXPECT_EQ(CallOk("echo", obj), obj);
  EXPECT_EQ(CallOk("types", obj)["a"], "null");
  EXPECT_TRUE(CallOk("ret", "null").is_null());
  EXPECT_TRUE(CallOk("ret", "nothing").is_null());
  EXPECT_TRUE(CallOk("echo", nullptr).is_null());
}

TEST_F(JsonBridgeTest, EmptyTables) {
  // Documented rule: an unmarked empty table is an object; json.array() or a
  // table decoded from a JSON array converts to [].
  EXPECT_EQ(CallOk("ret", "empty").dump(), "{}");
  EXPECT_EQ(CallOk("ret", "empty_array").dump(), "[]");
  EXPECT_EQ(CallOk("ret", "marked").dump(), "[1,2]");
  EXPECT_EQ(CallOk("echo", json::array()).dump(), "[]");
  EXPECT_EQ(CallOk("echo", json::object()).dump(), "{}");
  json nested = json::parse(R"({"a": [], "b": {}, "c": [[], {}]})");
  EXPECT_EQ(CallOk("echo", nested), nested);
}

TEST_F(JsonBridgeTest, NestedDocumentsRoundTrip) {
  json doc = json::parse(R"({
    "event": {"id": 7241234567890123456, "type": "cart.abandoned", "at": "2026-03-08T10:00:00Z",
              "lines": [{"sku": "A-1", "qty": 2, "price": 19.99, "tags": ["x", "y"]},
                        {"sku": "B-2", "qty": 1, "price": 5.0, "tags": []}],
              "customer": {"email": "a@example.com", "vip": false, "note": null,
                           "unicode": "grüße ✓ 🚀"}},
    "weird keys": {"": 1, "a.b": 2, "with \"quotes\"": 3}
  })");
  EXPECT_EQ(CallOk("echo", doc), doc);
}

TEST_F(JsonBridgeTest, UnconvertibleValuesNameTheirPath) {
  EXPECT_TRUE(Contains(ReturnError("mixed"),
                       "cannot convert to JSON at $.items: a table with both integer keys and "
                       "string keys (e.g. \"x\")"));
  EXPECT_TRUE(Contains(ReturnError("sparse"), "cannot convert to JSON at $.list: a sparse array"));
  EXPECT_TRUE(Contains(ReturnError("bool_key"),
                       "cannot convert to JSON at $: a table key that is a boolean"));
  EXPECT_TRUE(Contains(ReturnError("float_key"), "at $.nested: a table key that is the float 1.5"));
  EXPECT_TRUE(Contains(ReturnError("cycle"),
                       "cannot convert to JSON at $.a.back: a cycle (the table contains itself)"));
  EXPECT_TRUE(Contains(ReturnError("nan"), "at $.x: NaN is not a JSON number"));
  EXPECT_TRUE(Contains(ReturnError("inf"), "at $.deep[0].y: infinity is not a JSON number"));
  EXPECT_TRUE(Contains(ReturnError("fn"), "at $.handler: a function"));
  EXPECT_TRUE(Contains(ReturnError("iterator"), "at $.bad[2]: a function"));
  EXPECT_TRUE(Contains(ReturnError("bad_utf8"), "at $.name: a string that is not valid UTF-8"));
  EXPECT_TRUE(Contains(ReturnError("odd_key"), "at $[\"a b\"][\"\"]: a function"));
  EXPECT_TRUE(Contains(ReturnError("deep"), "nesting deeper than 200 levels"));
  EXPECT_TRUE(
      Contains(ReturnError("array_with_string"), "a table with both integer keys and string keys"));
  EXPECT_TRUE(Contains(ReturnError("mixed"), "scripts/bridge.lua: "));
  // A problem with a table's keys is reported before one with its values,
  // whichever the iteration meets first.
  EXPECT_TRUE(Contains(ReturnError("mixed_bad_value"),
                       "at $.x: a table with both integer keys and string keys"));
  EXPECT_TRUE(Contains(ReturnError("bad_value_late"), "at $.x.d.e: a function"));
  EXPECT_TRUE(Call("ret", "ok_deep").ok());
}

// Short strings (keys and values) go through a cache of Lua strings that
// identifies them by length and a few words: strings that differ in one byte,
// at any position and length, must all come back as they went in.
TEST_F(JsonBridgeTest, ShortStringsThatDifferInOneByteStayDistinct) {
  json values = json::array();
  json keys = json::object();
  for (std::size_t n = 0; n <= 40; ++n) {
    std::string base(n, 'a');
    values.push_back(base);
    keys[base] = static_cast<std::int64_t>(n);
    for (std::size_t p = 0; p < n; ++p) {
      std::string s = base;
      s[p] = 'b';
      values.push_back(s);
      keys[s] = static_cast<std::int64_t>(n * 100 + p);
    }
  }
  json doc = {{"values", values}, {"keys", keys}};
  for (int round = 0; round < 2; ++round) EXPECT_EQ(CallOk("echo", doc), doc);
}

TEST_F(JsonBridgeTest, DeepInputIsRefused) {
  json deep = json::array();
  for (int i = 0; i < 250; ++i) deep = json::array({deep});
  auto r = Call("echo", deep);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "input: nesting deeper than 200 levels at $[0][0]"))
      << r.status().message();
  json ok = json::array();
  for (int i = 0; i < 150; ++i) ok = json::array({ok});
  EXPECT_EQ(CallOk("echo", ok), ok);
}

class JsonHelperTest : public ::testing::Test {
 protected:
  json EvalOk(const std::string& expr) {
    auto r = sandbox_.EvaluateExpression(expr, json::object(), "@t");
    EXPECT_TRUE(r.ok()) << expr << ": " << r.status().ToString();
    return r.ok() ? *r : json("<error>");
  }
  Sandbox sandbox_{FastLimits()};
};

TEST_F(JsonHelperTest, EncodeAndDecode) {
  EXPECT_EQ(EvalOk("json.encode({b = {1, 2}, a = 1, c = 1.0, d = json.null, e = 'x'})"),
            R"({"a":1,"b":[1,2],"c":1.0,"d":null,"e":"x"})");
  EXPECT_EQ(EvalOk("json.encode({})"), "{}");
  EXPECT_EQ(EvalOk("json.encode(json.array())"), "[]");
  EXPECT_EQ(EvalOk("json.encode(json.null)"), "null");
  EXPECT_EQ(EvalOk("json.encode(7241234567890123456)"), "7241234567890123456");
  EXPECT_EQ(EvalOk("json.decode('[7241234567890123456]')[1] == 7241234567890123456"), true);
  EXPECT_EQ(EvalOk("math.type(json.decode('[9223372036854775807]')[1])"), "integer");
  EXPECT_EQ(EvalOk("math.type(json.decode('1.0'))"), "float");
  EXPECT_EQ(EvalOk("json.decode('null') == json.null"), true);
  EXPECT_EQ(EvalOk("#json.decode('[1, null, 3]')"), 3);
  EXPECT_EQ(EvalOk("json.encode(json.decode('{\"a\": [], \"b\": {}}'))"), R"({"a":[],"b":{}})");
  EXPECT_EQ(EvalOk("tostring(json.null)"), "null");
  EXPECT_EQ(EvalOk("getmetatable(json.array())"), "json.array");
}

TEST_F(JsonHelperTest, ErrorsAreReadable) {
  auto bad = sandbox_.EvaluateExpression("json.decode('{\"a\": nul}')", json::object(),
                                         "@workflows/x.yaml:3");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status().message(), "workflows/x.yaml:3:1: json.decode: parse error"))
      << bad.status().message();
  auto fn = sandbox_.EvaluateExpression("json.encode({f = print})", json::object(), "@t");
  ASSERT_FALSE(fn.ok());
  EXPECT_TRUE(
      Contains(fn.status().message(), "json.encode: cannot convert to JSON at $.f: a function"))
      << fn.status().message();
  auto big =
      sandbox_.EvaluateExpression("json.decode('[18446744073709551615]')", json::object(), "@t");
  ASSERT_FALSE(big.ok());
  EXPECT_TRUE(Contains(big.status().message(), "json.decode: integer 18446744073709551615"))
      << big.status().message();
  EXPECT_TRUE(Contains(big.status().message(), "at $[0]")) << big.status().message();
  // Errors can be caught in Lua like any other.
  EXPECT_EQ(EvalOk("pcall(json.decode, 'x')"), false);
  EXPECT_FALSE(EvalOk("pcall(json.array, setmetatable({}, {}))").get<bool>());
}

}  // namespace
}  // namespace storeflow::script
