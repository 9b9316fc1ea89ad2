// `storeflow rules eval` and `storeflow rules test` (docs/lua-rules.md).

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/engine_config.h"
#include "common/result.h"
#include "script/rule_test_format.h"
#include "script/rule_test_runner.h"
#include "script/sandbox.h"

namespace storeflow::app {
namespace {

using nlohmann::json;

constexpr std::string_view kRulesUsage =
    "usage: storeflow rules eval SCRIPT.lua#FUNCTION --input FILE.json|- [--now ISO8601] "
    "[--compact]\n"
    "       storeflow rules test [PATH]   (a *.test.yaml file or a folder; default: scripts/)\n";

// The sandbox with the configured limits (config/storeflow.yaml, STOREFLOW_LUA_*).
Result<std::unique_ptr<script::Sandbox>> MakeSandbox() {
  Result<EngineConfig> config = LoadEngineConfig({});
  if (!config.ok()) return config.status();
  return std::make_unique<script::Sandbox>(config->lua);
}

int UsageError(std::ostream& err, std::string_view message) {
  err << "storeflow rules: " << message << "\n" << kRulesUsage;
  return 2;
}

std::int64_t RealNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// "LINE:COL" of the byte at `offset` (0-based) in `text`, both 1-based.
std::string LineColumn(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return std::to_string(line) + ":" + std::to_string(column);
}

// Reads and parses the input document; `name` is the file name or "-" for stdin.
Result<json> ReadInput(const std::string& name) {
  std::string text;
  std::string shown = name;
  if (name == "-") {
    shown = "<stdin>";
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(name, std::ios::binary);
    if (!in) return NotFound(name + ": cannot read the input file");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann counts the byte it stopped at from 1; point at that byte.
    std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] parse error at line 1, column 5: ".
    if (auto colon = what.find(": "); colon != std::string::npos) what = what.substr(colon + 2);
    return InvalidArgument(shown + ":" + LineColumn(text, offset) + ": invalid JSON: " + what);
  }
}

int RunEval(const Args& args, std::ostream& out, std::ostream& err) {
  std::optional<std::string> target;
  std::optional<std::string> input_name;
  std::optional<std::string> now_text;
  bool compact = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value_of = [&](std::string_view flag) -> std::optional<std::string> {
      std::string prefix = std::string(flag) + "=";
      if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
      if (a == flag && i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    if (a == "--input" || a.rfind("--input=", 0) == 0) {
      input_name = value_of("--input");
      if (!input_name) return UsageError(err, "--input needs a file name or -");
    } else if (a == "--now" || a.rfind("--now=", 0) == 0) {
      now_text = value_of("--now");
      if (!now_text) return UsageError(err, "--now needs an ISO-8601 timestamp");
    } else if (a == "--compact") {
      compact = true;
    } else if (a == "--pretty") {
      compact = false;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      return UsageError(err, "unknown option " + a);
    } else if (!target) {
      target = a;
    } else {
      return UsageError(err, "unexpected argument " + a);
    }
  }
  if (!target) return UsageError(err, "rules eval needs SCRIPT.lua#FUNCTION");
  std::size_t hash = target->rfind('#');
  if (hash == std::string::npos || hash == 0 || hash + 1 == target->size()) {
    return UsageError(err, "expected SCRIPT.lua#FUNCTION, got \"" + *target + "\"");
  }
  if (!input_name) return UsageError(err, "rules eval needs --input FILE.json (or - for stdin)");

  std::int64_t now_ms = RealNowMs();
  if (now_text) {
    Result<std::int64_t> parsed = script::ParseTimestampMs(*now_text);
    if (!parsed.ok()) return UsageError(err, "--now: " + parsed.status().message());
    now_ms = *parsed;
  }
  Result<json> input = ReadInput(*input_name);
  if (!input.ok()) {
    err << "storeflow rules eval: " << input.status().message() << "\n";
    return 1;
  }

  std::string script_path = target->substr(0, hash);
  std::string function = target->substr(hash + 1);
  Result<std::unique_ptr<script::Sandbox>> sandbox = MakeSandbox();
  if (!sandbox.ok()) {
    err << "storeflow rules eval: " << sandbox.status().message() << "\n";
    return 1;
  }
  Result<json> result = (*sandbox)->CallRule(script_path, function, *input, {now_ms});
  if (!result.ok()) {
    err << "storeflow rules eval: " << result.status().message() << "\n";
    return 1;
  }
  out << result->dump(compact ? -1 : 2, ' ', false, json::error_handler_t::replace) << "\n";
  return 0;
}

// Indents every line of a multi-line text.
std::string Indent(std::string_view text, std::string_view prefix) {
  std::string out(prefix);
  for (char c : text) {
    out += c;
    if (c == '\n') out += prefix;
  }
  return out;
}

int RunTest(const Args& args, std::ostream& out, std::ostream& err) {
  std::string path = "scripts/";
  if (args.size() > 1) return UsageError(err, "rules test takes at most one PATH");
  if (args.size() == 1) {
    if (!args[0].empty() && args[0][0] == '-') return UsageError(err, "unknown option " + args[0]);
    path = args[0];
  }
  Result<std::vector<std::string>> files = script::FindRuleTestFiles(path);
  if (!files.ok()) return UsageError(err, files.status().message());
  if (files->empty()) {
    err << "storeflow rules test: no *.test.yaml files under " << path << "\n";
    return 1;
  }

  Result<std::unique_ptr<script::Sandbox>> sandbox = MakeSandbox();
  if (!sandbox.ok()) {
    err << "storeflow rules test: " << sandbox.status().message() << "\n";
    return 1;
  }
  int passed = 0;
  int failed = 0;
  for (const std::string& file_path : *files) {
    Result<script::RuleTestFile> file = script::LoadRuleTestFile(file_path);
    if (!file.ok()) {
      // A file that cannot be read counts as one failure; its errors say where.
      out << "FAIL " << file_path << ": the test file is invalid\n";
      err << file.status().message() << "\n";
      ++failed;
      continue;
    }
    for (const script::RuleCaseResult& r : script::RunRuleTestFile(**sandbox, *file)) {
      out << (r.passed ? "PASS " : "FAIL ") << file_path << ": " << r.name << "\n";
      if (r.passed) {
        ++passed;
      } else {
        out << Indent(r.detail, "    ") << "\n";
        ++failed;
      }
    }
  }
  out << passed << " passed, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}

}  // namespace

int RunRulesCommand(const Args& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) return UsageError(err, "missing sub-command (eval or test)");
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "eval") return RunEval(rest, out, err);
  if (args[0] == "test") return RunTest(rest, out, err);
  if (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    out << kRulesUsage;
    return 0;
  }
  return UsageError(err, "unknown sub-command \"" + args[0] + "\" (expected eval or test)");
}

}  // namespace storeflow::app
