#include "script/rule_test_runner.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string_view>
#include <system_error>

#include "script/sandbox.h"

namespace storeflow::script {
namespace {

using nlohmann::json;

constexpr size_t kMaxShownChars = 300;
constexpr double kRelativeTolerance = 1e-9;

std::string Show(const json& value) {
  std::string s = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > kMaxShownChars) {
    s.resize(kMaxShownChars);
    s += "...";
  }
  return s;
}

std::string_view KindName(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return "a number";
    default: return "a value";
  }
}

// "null", or the kind and the value: "a string \"x\"".
std::string Describe(const json& v) {
  if (v.is_null()) return "null";
  return std::string(KindName(v)) + " " + Show(v);
}

bool IsPlainKey(std::string_view key) {
  if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

std::string ChildPath(const std::string& path, const std::string& key) {
  if (IsPlainKey(key)) return path + "." + key;
  return path + "[" + json(key).dump() + "]";
}

bool NumbersEqual(const json& a, const json& b) {
  if (!a.is_number_float() && !b.is_number_float()) return a == b;  // int64/uint64 exact
  double x = a.get<double>();
  double y = b.get<double>();
  if (x == y) return true;
  return std::fabs(x - y) <= kRelativeTolerance * std::max(std::fabs(x), std::fabs(y));
}

std::optional<std::string> Compare(const json& expected, const json& actual, bool subset,
                                   const std::string& path) {
  auto differ = [&]() -> std::string {
    return "at " + path + ": expected " + Show(expected) + ", got " + Show(actual);
  };
  if (expected.is_number() && actual.is_number()) {
    if (NumbersEqual(expected, actual)) return std::nullopt;
    return differ();
  }
  if (expected.type() != actual.type()) {
    return "at " + path + ": expected " + Describe(expected) + ", got " + Describe(actual);
  }
  if (expected.is_object()) {
    std::set<std::string> keys;
    for (const auto& [k, v] : expected.items()) keys.insert(k);
    if (!subset) {
      for (const auto& [k, v] : actual.items()) keys.insert(k);
    }
    for (const std::string& key : keys) {
      std::string child = ChildPath(path, key);
      auto e = expected.find(key);
      auto a = actual.find(key);
      if (a == actual.end()) return "at " + child + ": missing (expected " + Show(*e) + ")";
      if (e == expected.end()) return "at " + child + ": unexpected key (got " + Show(*a) + ")";
      if (auto d = Compare(*e, *a, subset, child)) return d;
    }
    return std::nullopt;
  }
  if (expected.is_array()) {
    size_t common = std::min(expected.size(), actual.size());
    for (size_t i = 0; i < common; ++i) {
      if (auto d = Compare(expected[i], actual[i], subset, path + "[" + std::to_string(i) + "]")) {
        return d;
      }
    }
    if (expected.size() != actual.size()) {
      std::string m = "at " + path + ": expected " + std::to_string(expected.size()) +
                      " elements, got " + std::to_string(actual.size());
      if (actual.size() > expected.size()) {
        m += " (first extra: " + Show(actual[expected.size()]) + ")";
      } else {
        m += " (first missing: " + Show(expected[actual.size()]) + ")";
      }
      return m;
    }
    return std::nullopt;
  }
  if (expected == actual) return std::nullopt;
  return differ();
}

std::int64_t RealNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsTestFileName(const std::string& name) {
  auto ends_with = [&](std::string_view suffix) {
    return name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".test.yaml") || ends_with(".test.yml");
}

}  // namespace

std::optional<std::string> CompareJson(const json& expected, const json& actual, bool subset) {
  return Compare(expected, actual, subset, "$");
}

std::vector<RuleCaseResult> RunRuleTestFile(Sandbox& sandbox, const RuleTestFile& file) {
  std::vector<RuleCaseResult> results;
  results.reserve(file.cases.size());
  for (const RuleTestCase& c : file.cases) {
    RuleCaseResult r;
    r.name = c.name;
    CallContext call{c.now_unix_ms.value_or(RealNowMs())};
    Result<json> out = sandbox.CallRule(file.script_path, file.function, c.input, call);
    if (c.kind == ExpectKind::kError) {
      if (out.ok()) {
        r.detail =
            "expected an error containing \"" + c.expect_error + "\", got the result " + Show(*out);
      } else if (out.status().message().find(c.expect_error) == std::string::npos) {
        r.detail = "expected an error containing \"" + c.expect_error + "\", got:\n" +
                   out.status().message();
      } else {
        r.passed = true;
      }
    } else if (!out.ok()) {
      r.detail = "the rule failed: " + out.status().message();
    } else if (auto diff = CompareJson(c.expect, *out, c.kind == ExpectKind::kSubset)) {
      r.detail = *diff + "\nresult: " + Show(*out);
    } else {
      r.passed = true;
    }
    results.push_back(std::move(r));
  }
  return results;
}

Result<std::vector<std::string>> FindRuleTestFiles(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) return NotFound("no such file or folder: " + path);
  std::vector<std::string> files;
  if (!fs::is_directory(st)) {
    files.push_back(fs::path(path).lexically_normal().generic_string());
    return files;
  }
  for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && IsTestFileName(it->path().filename().string())) {
      files.push_back(it->path().lexically_normal().generic_string());
    }
  }
  if (ec) return Unavailable("cannot list " + path + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace storeflow::script
