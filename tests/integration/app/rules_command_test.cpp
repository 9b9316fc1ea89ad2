// `storeflow rules eval` and `storeflow rules test`, run as a user runs them: the built
// binary in the repository root.

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

class RulesCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    tmp_ = fs::temp_directory_path() /
           ("storeflow-rules-" + std::to_string(::getpid()) + "-" + info->name());
    fs::create_directories(tmp_);
  }
  void TearDown() override { fs::remove_all(tmp_); }

  // Runs `shell_command` (a shell command line) in `cwd` (default: the repository root)
  // with `storeflow` on the PATH.
  Outcome Shell(const std::string& shell_command, const std::string& stdin_text = "",
                const std::string& cwd = STOREFLOW_SOURCE_DIR) {
    fs::path bin_dir = tmp_ / "bin";
    fs::create_directories(bin_dir);
    if (!fs::exists(bin_dir / "storeflow"))
      fs::create_symlink(STOREFLOW_BINARY, bin_dir / "storeflow");
    std::ofstream(tmp_ / "stdin") << stdin_text;
    std::string line = "cd " + Quote(cwd) + " && PATH=" + Quote(bin_dir.string()) +
                       ":\"$PATH\" && (" + shell_command + ") <" +
                       Quote((tmp_ / "stdin").string()) + " >" + Quote((tmp_ / "out").string()) +
                       " 2>" + Quote((tmp_ / "err").string());
    int status = std::system(line.c_str());
    Outcome r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(tmp_ / "out");
    r.err = ReadFile(tmp_ / "err");
    return r;
  }

  Outcome Storeflow(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    std::string line = "storeflow";
    for (const std::string& a : args) line += " " + Quote(a);
    return Shell(line, stdin_text);
  }

  fs::path tmp_;
};

// The line of `file` (relative to the repository root) holding `text`, 1-based.
int LineOf(const std::string& file, const std::string& text) {
  std::istringstream in(ReadFile(fs::path(STOREFLOW_SOURCE_DIR) / file));
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find(text) != std::string::npos) return n;
  }
  return -1;
}

TEST_F(RulesCommandTest, EvalPrintsTheResultAsJson) {
  Outcome r =
      Storeflow({"rules", "eval", "scripts/recommend.lua#recommend", "--input",
                 "tests/fixtures/rules/recommend_input.json", "--now", "2026-11-21T10:00:00Z"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  json out = json::parse(r.out);
  EXPECT_EQ(out, json::parse(R"({"categories": [{"productType": "hats", "score": 0.906, "count": 1},
                                               {"productType": "shoes", "score": 0.375, "count": 3}],
                                "top": "hats"})"));
  // Pretty by default: one key per line.
  EXPECT_NE(r.out.find("\n  \"categories\": [\n"), std::string::npos) << r.out;
}

TEST_F(RulesCommandTest, EvalReadsStdinAndPrintsCompact) {
  Outcome r =
      Storeflow({"rules", "eval", "scripts/recommend.lua#recommend", "--input", "-", "--compact"},
                R"({"events": [{"eventType": "purchase", "productType": "tents"}]})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, R"({"categories":[{"count":1,"productType":"tents","score":6.0}],"top":"tents"})"
                   "\n");
}

TEST_F(RulesCommandTest, EvalKeeps64BitIntegersExact) {
  // A rule that echoes its input through Lua: ids beyond 2^53 must survive.
  std::ofstream(tmp_ / "echo.lua") << "function echo(input) return input end\n";
  Outcome r = Storeflow(
      {"rules", "eval", (tmp_ / "echo.lua").string() + "#echo", "--input", "-", "--compact"},
      R"({"id": 9007199254740993, "min": -9223372036854775808})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"id\":9007199254740993,\"min\":-9223372036854775808}\n");
}

TEST_F(RulesCommandTest, EvalMissingFunctionFails) {
  Outcome r = Storeflow({"rules", "eval", "scripts/recommend.lua#recomend", "--input", "-"}, "{}");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("recomend"), std::string::npos) << r.err;
}

TEST_F(RulesCommandTest, EvalMissingScriptFails) {
  Outcome r = Storeflow({"rules", "eval", "scripts/nope.lua#f", "--input", "-"}, "{}");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("scripts/nope.lua"), std::string::npos) << r.err;
}

TEST_F(RulesCommandTest, EvalRuntimeErrorHasTraceback) {
  Outcome r = Storeflow({"rules", "eval", "tests/fixtures/rules/broken.lua#ratio", "--input", "-"},
                        R"({"a": 1, "b": 0})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  const std::string file = "tests/fixtures/rules/broken.lua";
  EXPECT_NE(r.err.find(file + ":" + std::to_string(LineOf(file, "division by zero")) +
                       ": division by zero"),
            std::string::npos)
      << r.err;
  // The traceback names the caller's line too.
  EXPECT_NE(r.err.find(file + ":" + std::to_string(LineOf(file, "ratio = divide"))),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("traceback"), std::string::npos) << r.err;
}

TEST_F(RulesCommandTest, EvalShippedRuleErrorNamesScriptLine) {
  Outcome r = Storeflow({"rules", "eval", "scripts/email_timing.lua#next_email", "--input", "-"},
                        R"({"cart_value": "a lot", "items": 1})");
  EXPECT_EQ(r.exit_code, 1);
  const std::string file = "scripts/email_timing.lua";
  EXPECT_NE(r.err.find(file + ":" + std::to_string(LineOf(file, "cart_value must be a number")) +
                       ": cart_value must be a number, got string"),
            std::string::npos)
      << r.err;
}

TEST_F(RulesCommandTest, EvalBadJsonNamesThePosition) {
  Outcome r = Storeflow({"rules", "eval", "scripts/recommend.lua#recommend", "--input",
                         "tests/fixtures/rules/bad_input.json"});
  EXPECT_EQ(r.exit_code, 1);
  // The stray '}' after a trailing comma, line 3.
  EXPECT_NE(r.err.find("tests/fixtures/rules/bad_input.json:3:51: invalid JSON"), std::string::npos)
      << r.err;

  r = Storeflow({"rules", "eval", "scripts/recommend.lua#recommend", "--input", "-"},
                "{\"events\": [1,\n 2,,]}");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("<stdin>:2:4: invalid JSON"), std::string::npos) << r.err;
}

TEST_F(RulesCommandTest, EvalUsageErrors) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"rules"},
           {"rules", "eval"},
           {"rules", "eval", "scripts/recommend.lua", "--input", "-"},
           {"rules", "eval", "scripts/recommend.lua#recommend"},
           {"rules", "eval", "scripts/recommend.lua#recommend", "--input"},
           {"rules", "eval", "scripts/recommend.lua#recommend", "--input", "-", "--now", "today"},
           {"rules", "eval", "scripts/recommend.lua#recommend", "--input", "-", "--frobnicate"},
           {"rules", "frobnicate"},
       }) {
    Outcome r = Storeflow(args, "{}");
    EXPECT_EQ(r.exit_code, 2) << args.back() << "\n" << r.err;
    EXPECT_NE(r.err.find("usage: storeflow rules eval"), std::string::npos) << r.err;
  }
}

TEST_F(RulesCommandTest, TestRunsTheShippedRules) {
  Outcome r = Storeflow({"rules", "test"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS scripts/recommend.test.yaml: recency beats volume\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("PASS scripts/email_timing.test.yaml: the spring-forward night defers to "
                       "08:00 daylight time\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\n(\\d+) passed, 0 failed\n$"))) << r.out;
  EXPECT_GE(std::stoi(m[1]), 13 + 8);
}

TEST_F(RulesCommandTest, TestReportsAFailingCaseWithItsDiff) {
  Outcome r = Storeflow({"rules", "test", "tests/fixtures/rules/failing.test.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out,
            "PASS tests/fixtures/rules/failing.test.yaml: hats win\n"
            "FAIL tests/fixtures/rules/failing.test.yaml: deliberately wrong\n"
            "    at $.categories[0].score: expected 2.5, got 1.0\n"
            "    result: {\"categories\":[{\"count\":1,\"productType\":\"hats\",\"score\":1.0}],"
            "\"top\":\"hats\"}\n"
            "1 passed, 1 failed\n");
}

TEST_F(RulesCommandTest, TestReportsAnInvalidFileWithPositions) {
  Outcome r = Storeflow({"rules", "test", "tests/fixtures/rules/invalid.test.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("FAIL tests/fixtures/rules/invalid.test.yaml: the test file is invalid\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("0 passed, 1 failed\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("tests/fixtures/rules/invalid.test.yaml:5:5: error: case \"no expectation\" "
                       "needs one of"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("tests/fixtures/rules/invalid.test.yaml:8:5: error: unknown key "
                       "\"expected\" in a case"),
            std::string::npos)
      << r.err;
}

TEST_F(RulesCommandTest, TestMissingPathIsAUsageError) {
  Outcome r = Storeflow({"rules", "test", "no/such/dir"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no/such/dir"), std::string::npos) << r.err;
}

// docs/lua-rules.md: the examples are tested. In a scratch folder holding a copy of the
// shipped scripts/, every block after an `<!-- example: PATH -->` line is written to PATH;
// then every ```console block is run there (lines starting with "$ ") and its output is
// compared with the lines that follow, and `storeflow rules test scripts/` must pass.
struct DocBlock {
  std::string info;   // the fence's info string: lua, yaml, console, ...
  std::string label;  // the PATH of a preceding <!-- example: PATH --> line, if any
  std::string text;
};

std::vector<DocBlock> DocBlocks(const std::string& markdown) {
  std::vector<DocBlock> blocks;
  std::istringstream in(markdown);
  std::string line;
  std::string label;
  const std::regex example(R"(^<!-- example: (\S+) -->\s*$)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, example)) {
      label = m[1];
      continue;
    }
    if (line.rfind("```", 0) == 0) {
      DocBlock b;
      b.info = line.substr(3);
      b.label = label;
      while (std::getline(in, line) && line.rfind("```", 0) != 0) b.text += line + "\n";
      blocks.push_back(std::move(b));
    }
    if (!line.empty()) label.clear();
  }
  return blocks;
}

TEST_F(RulesCommandTest, DocExamplesPass) {
  std::vector<DocBlock> blocks =
      DocBlocks(ReadFile(fs::path(STOREFLOW_SOURCE_DIR) / "docs/lua-rules.md"));
  fs::path dir = tmp_ / "docs-example";
  fs::create_directories(dir);
  fs::copy(fs::path(STOREFLOW_SOURCE_DIR) / "scripts", dir / "scripts",
           fs::copy_options::recursive);
  int written = 0;
  for (const DocBlock& b : blocks) {
    if (b.label.empty()) continue;
    fs::create_directories((dir / b.label).parent_path());
    std::ofstream(dir / b.label) << b.text;
    ++written;
  }
  EXPECT_GE(written, 2);

  int commands = 0;
  for (const DocBlock& b : blocks) {
    if (b.info != "console") continue;
    std::istringstream in(b.text);
    std::string line;
    std::string command;
    std::string expected;
    auto check = [&]() {
      if (command.empty()) return;
      ++commands;
      Outcome r = Shell(command, "", dir.string());
      // Tracebacks indent with a tab; the doc shows 8 spaces.
      std::string out = std::regex_replace(r.out, std::regex("\t"), "        ");
      EXPECT_EQ(out, expected) << "$ " << command << "\n" << r.err;
    };
    while (std::getline(in, line)) {
      if (line.rfind("$ ", 0) == 0) {
        check();
        command = line.substr(2);
        expected.clear();
      } else {
        expected += line + "\n";
      }
    }
    check();
  }
  EXPECT_GE(commands, 2);

  Outcome r = Shell("storeflow rules test scripts/", "", dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(" passed, 0 failed\n"), std::string::npos) << r.out;
}

}  // namespace
