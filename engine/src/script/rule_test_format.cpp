#include "script/rule_test_format.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "common/did_you_mean.h"

namespace storeflow::script {
namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 5> kFileKeys = {"description", "script", "function", "now",
                                                       "cases"};
constexpr std::array<std::string_view, 7> kCaseKeys = {
    "name", "description", "now", "input", "expect", "expect_subset", "expect_error"};

template <size_t N>
std::vector<std::string> KeyVector(const std::array<std::string_view, N>& keys) {
  return {keys.begin(), keys.end()};
}

template <size_t N>
bool Contains(const std::array<std::string_view, N>& keys, std::string_view key) {
  for (std::string_view k : keys) {
    if (k == key) return true;
  }
  return false;
}

// Collects "path:LINE:COL: error: message" lines.
class Errors {
 public:
  explicit Errors(std::string path) : path_(std::move(path)) {}

  void Add(const YAML::Mark& mark, std::string_view message) {
    // yaml-cpp marks are 0-based; a null mark (-1) means "unknown": point at the file start.
    int line = mark.line >= 0 ? mark.line + 1 : 1;
    int column = mark.column >= 0 ? mark.column + 1 : 1;
    Add(line, column, message);
  }
  void Add(int line, int column, std::string_view message) {
    std::ostringstream s;
    s << path_ << ":" << line << ":" << column << ": error: " << message;
    lines_.push_back(s.str());
  }
  bool empty() const { return lines_.empty(); }
  Status ToStatus() const {
    std::string all;
    for (const std::string& l : lines_) {
      if (!all.empty()) all += "\n";
      all += l;
    }
    return InvalidArgument(std::move(all));
  }

 private:
  std::string path_;
  std::vector<std::string> lines_;
};

bool IsOneOf(const std::string& s, std::initializer_list<std::string_view> options) {
  for (std::string_view o : options) {
    if (s == o) return true;
  }
  return false;
}

// YAML 1.2 core schema integers: decimal, 0x hex, 0o octal.
std::optional<json> ParseYamlInteger(const std::string& s) {
  std::string_view v = s;
  bool negative = false;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
    negative = v[0] == '-';
    v.remove_prefix(1);
  }
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'o')) {
    base = v[1] == 'x' ? 16 : 8;
    v.remove_prefix(2);
  }
  if (v.empty()) return std::nullopt;
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), magnitude, base);
  if (end != v.data() + v.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // Too large for 64 bits: keep it as a number, inexactly.
    double d = std::strtod(s.c_str(), nullptr);
    return json(d);
  }
  if (ec != std::errc()) return std::nullopt;
  if (!negative) {
    if (magnitude <= static_cast<std::uint64_t>(INT64_MAX)) {
      return json(static_cast<std::int64_t>(magnitude));
    }
    return json(magnitude);
  }
  if (magnitude <= static_cast<std::uint64_t>(INT64_MAX)) {
    return json(-static_cast<std::int64_t>(magnitude));
  }
  if (magnitude == static_cast<std::uint64_t>(INT64_MAX) + 1) return json(INT64_MIN);
  return json(-static_cast<double>(magnitude));
}

// YAML 1.2 core schema floats: 1.5, -2e3, .5, .inf, .nan.
std::optional<json> ParseYamlFloat(const std::string& s) {
  if (IsOneOf(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
                  ".nan", ".NaN", ".NAN"})) {
    // JSON has no infinities or NaN; nlohmann stores them but prints null. Refuse instead.
    return std::nullopt;
  }
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  bool digits = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, digits = true;
  }
  if (!digits) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    bool exp_digits = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, exp_digits = true;
    if (!exp_digits) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  errno = 0;
  double d = std::strtod(s.c_str(), nullptr);
  if (errno == ERANGE && std::isinf(d)) return std::nullopt;
  return json(d);
}

// Converts a YAML node to JSON with the YAML 1.2 core schema for plain scalars:
// null/~/empty, true/false, integers (64-bit exact), floats; quoted scalars are strings.
json YamlToJson(const YAML::Node& node, Errors& errors) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      const std::string& tag = node.Tag();
      if (tag == "!" || tag == "tag:yaml.org,2002:str") return s;  // quoted or !!str
      if (IsOneOf(s, {"~", "null", "Null", "NULL", ""})) return nullptr;
      if (IsOneOf(s, {"true", "True", "TRUE"})) return true;
      if (IsOneOf(s, {"false", "False", "FALSE"})) return false;
      if (auto i = ParseYamlInteger(s)) return *i;
      if (auto f = ParseYamlFloat(s)) return *f;
      return s;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const YAML::Node& item : node) out.push_back(YamlToJson(item, errors));
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          errors.Add(kv.first.Mark(), "object keys must be strings");
          continue;
        }
        const std::string& key = kv.first.Scalar();
        if (out.contains(key)) {
          errors.Add(kv.first.Mark(), "duplicate key \"" + key + "\"");
          continue;
        }
        out[key] = YamlToJson(kv.second, errors);
      }
      return out;
    }
  }
  return nullptr;
}

// Reads `now:` (an ISO-8601 string) at `node`.
std::optional<std::int64_t> ReadNow(const YAML::Node& node, Errors& errors) {
  if (!node.IsScalar()) {
    errors.Add(node.Mark(), "`now` must be an ISO-8601 timestamp such as \"2026-11-21T10:00:00Z\"");
    return std::nullopt;
  }
  Result<std::int64_t> ms = ParseTimestampMs(node.Scalar());
  if (!ms.ok()) {
    errors.Add(node.Mark(), ms.status().message());
    return std::nullopt;
  }
  return *ms;
}

// The default rule of "dir/name.test.yaml" is "name.lua".
std::string DefaultScriptName(const std::string& path) {
  std::string file = std::filesystem::path(path).filename().string();
  for (std::string_view suffix : {".test.yaml", ".test.yml"}) {
    if (file.size() > suffix.size() &&
        file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return file.substr(0, file.size() - suffix.size()) + ".lua";
    }
  }
  return {};
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

void ParseCase(const YAML::Node& node, const std::optional<std::int64_t>& file_now,
               std::set<std::string>& names, Errors& errors, std::vector<RuleTestCase>& out) {
  RuleTestCase c;
  c.line = node.Mark().line + 1;
  c.column = node.Mark().column + 1;
  c.now_unix_ms = file_now;
  if (!node.IsMap()) {
    errors.Add(node.Mark(), "a case must be a mapping with name, input and expect");
    return;
  }
  int expectations = 0;
  bool have_name = false;
  for (const auto& kv : node) {
    std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
    const YAML::Node& value = kv.second;
    if (!Contains(kCaseKeys, key)) {
      errors.Add(kv.first.Mark(), "unknown key \"" + key + "\" in a case" +
                                      ValidChoicesHint(key, KeyVector(kCaseKeys)));
      continue;
    }
    if (key == "name") {
      if (!value.IsScalar() || value.Scalar().empty()) {
        errors.Add(value.Mark(), "`name` must be a non-empty string");
        continue;
      }
      have_name = true;
      c.name = value.Scalar();
      if (!names.insert(c.name).second) {
        errors.Add(value.Mark(), "duplicate case name \"" + c.name + "\"");
      }
    } else if (key == "now") {
      if (auto ms = ReadNow(value, errors)) c.now_unix_ms = ms;
    } else if (key == "input") {
      c.input = YamlToJson(value, errors);
    } else if (key == "expect" || key == "expect_subset") {
      ++expectations;
      c.kind = key == "expect" ? ExpectKind::kExact : ExpectKind::kSubset;
      c.expect = YamlToJson(value, errors);
    } else if (key == "expect_error") {
      ++expectations;
      c.kind = ExpectKind::kError;
      if (!value.IsScalar() || value.Scalar().empty()) {
        errors.Add(value.Mark(), "`expect_error` must be a non-empty fragment of the message");
        continue;
      }
      c.expect_error = value.Scalar();
    }
  }
  if (!have_name) errors.Add(node.Mark(), "a case needs a `name`");
  if (expectations == 0) {
    errors.Add(node.Mark(),
               "case \"" + c.name + "\" needs one of `expect`, `expect_subset` or `expect_error`");
  } else if (expectations > 1) {
    errors.Add(node.Mark(), "case \"" + c.name +
                                "\" has more than one of `expect`, `expect_subset`, "
                                "`expect_error`; keep one");
  }
  out.push_back(std::move(c));
}

bool ParseDigits(std::string_view s, size_t& pos, size_t count, int& out) {
  if (pos + count > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < count; ++i) {
    char ch = s[pos + i];
    if (ch < '0' || ch > '9') return false;
    v = v * 10 + (ch - '0');
  }
  pos += count;
  out = v;
  return true;
}

std::int64_t DaysFromCivilUtc(int y, int m, int d) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = static_cast<int>(y - era * 400);
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

Result<std::int64_t> ParseTimestampMs(std::string_view text) {
  auto fail = [&](std::string_view why) -> Status {
    std::string m = "invalid timestamp \"";
    m += text;
    m += "\": ";
    m += why;
    m += " (expected ISO-8601 such as 2026-11-21T10:00:00Z or 2026-11-21T11:00:00+01:00)";
    return InvalidArgument(std::move(m));
  };
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ParseDigits(text, pos, 4, year) || pos >= text.size() || text[pos++] != '-' ||
      !ParseDigits(text, pos, 2, month) || pos >= text.size() || text[pos++] != '-' ||
      !ParseDigits(text, pos, 2, day)) {
    return fail("the date must read YYYY-MM-DD");
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return fail("no such date");
  }
  std::int64_t millis = 0;
  std::int64_t offset_seconds = 0;
  if (pos < text.size()) {
    char sep = text[pos++];
    if (sep != 'T' && sep != 't' && sep != ' ') return fail("expected 'T' after the date");
    if (!ParseDigits(text, pos, 2, hour) || pos >= text.size() || text[pos++] != ':' ||
        !ParseDigits(text, pos, 2, minute)) {
      return fail("the time must read HH:MM[:SS]");
    }
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ParseDigits(text, pos, 2, second)) return fail("the seconds must be two digits");
      if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        int digits = 0;
        std::int64_t scale = 100;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          millis += (text[pos] - '0') * scale;  // digits beyond milliseconds are dropped
          scale /= 10;
          ++pos;
          ++digits;
        }
        if (digits == 0) return fail("expected digits after the decimal point");
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return fail("no such time of day");
    if (pos >= text.size()) return fail("a zone designator (Z or +HH:MM) is required");
    char z = text[pos++];
    if (z == 'Z' || z == 'z') {
      offset_seconds = 0;
    } else if (z == '+' || z == '-') {
      int oh = 0, om = 0;
      if (!ParseDigits(text, pos, 2, oh)) return fail("the offset must read +HH:MM");
      if (pos < text.size() && text[pos] == ':') ++pos;
      if (!ParseDigits(text, pos, 2, om)) return fail("the offset must read +HH:MM");
      if (oh > 23 || om > 59) return fail("no such offset");
      offset_seconds = static_cast<std::int64_t>(oh * 3600 + om * 60) * (z == '-' ? -1 : 1);
    } else {
      return fail("a zone designator (Z or +HH:MM) is required");
    }
    if (pos != text.size()) return fail("unexpected text after the timestamp");
  }
  std::int64_t seconds = DaysFromCivilUtc(year, month, day) * 86400 +
                         static_cast<std::int64_t>(hour * 3600 + minute * 60 + second) -
                         offset_seconds;
  return seconds * 1000 + millis;
}

Result<RuleTestFile> ParseRuleTestFile(std::string_view text, const std::string& path) {
  Errors errors(path);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    errors.Add(e.mark, e.msg);
    return errors.ToStatus();
  }

  RuleTestFile file;
  file.path = path;
  if (!root.IsMap()) {
    errors.Add(root.Mark(), "a rule test file is a mapping with `function` and `cases`");
    return errors.ToStatus();
  }
  try {
    std::string script = DefaultScriptName(path);
    YAML::Mark script_mark;
    script_mark.line = 0;
    script_mark.column = 0;
    std::optional<std::int64_t> file_now;
    YAML::Node cases;
    bool have_function = false;
    for (const auto& kv : root) {
      std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
      const YAML::Node& value = kv.second;
      if (!Contains(kFileKeys, key)) {
        errors.Add(kv.first.Mark(),
                   "unknown key \"" + key + "\"" + ValidChoicesHint(key, KeyVector(kFileKeys)));
        continue;
      }
      if (key == "script") {
        if (!value.IsScalar() || value.Scalar().empty()) {
          errors.Add(value.Mark(), "`script` must name a .lua file next to this file");
          continue;
        }
        script = value.Scalar();
        script_mark = value.Mark();
      } else if (key == "function") {
        if (!value.IsScalar() || !IsIdentifier(value.Scalar())) {
          errors.Add(value.Mark(), "`function` must be the name of a Lua function");
          continue;
        }
        have_function = true;
        file.function = value.Scalar();
      } else if (key == "now") {
        file_now = ReadNow(value, errors);
      } else if (key == "cases") {
        cases = value;
      }
    }
    if (!have_function) errors.Add(root.Mark(), "missing `function` (the rule function to call)");
    if (script.empty()) {
      errors.Add(root.Mark(), "missing `script` (the file name does not end in .test.yaml)");
    } else {
      std::filesystem::path p = std::filesystem::path(path).parent_path() / script;
      file.script_path = p.lexically_normal().generic_string();
      std::error_code ec;
      if (!std::filesystem::is_regular_file(file.script_path, ec)) {
        errors.Add(script_mark, "the rule script " + file.script_path + " does not exist");
      }
    }
    if (!cases.IsDefined() || cases.IsNull()) {
      errors.Add(root.Mark(), "missing `cases` (a list of test cases)");
    } else if (!cases.IsSequence()) {
      errors.Add(cases.Mark(), "`cases` must be a list");
    } else {
      std::set<std::string> names;
      for (const YAML::Node& c : cases) ParseCase(c, file_now, names, errors, file.cases);
    }
  } catch (const YAML::Exception& e) {
    errors.Add(e.mark, e.msg);
  }
  if (!errors.empty()) return errors.ToStatus();
  return file;
}

Result<RuleTestFile> LoadRuleTestFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot read the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return ParseRuleTestFile(buffer.str(), path);
}

}  // namespace storeflow::script
