// `storeflow validate` as a user runs it: the real binary, exit codes and output.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `storeflow ARGS` in the repository root.
CliRun Storeflow(const std::string& args) {
  // One stderr file per call: ctest runs these tests in parallel processes.
  std::string err_file = ::testing::TempDir() + "validate_cli_stderr_XXXXXX";
  int fd = mkstemp(err_file.data());
  if (fd >= 0) close(fd);
  std::string command =
      "cd '" STOREFLOW_SOURCE_DIR "' && '" STOREFLOW_BINARY "' " + args + " 2>'" + err_file + "'";
  CliRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buf[4096];
  std::size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) run.out.append(buf, n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  std::stringstream ss;
  ss << in.rdbuf();
  run.err = ss.str();
  std::remove(err_file.c_str());
  return run;
}

TEST(ValidateCliTest, ShippedWorkflowsByDefault) {
  CliRun r = Storeflow("validate");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(
      r.out.find(
          "workflows/abandoned-cart.yaml: ok \u2014 workflow abandoned-cart v4, 2 triggers, "),
      std::string::npos)
      << r.out;
  EXPECT_NE(
      r.out.find("workflows/shop-orders.yaml: ok \u2014 workflow shop-orders v1, 1 trigger, "),
      std::string::npos)
      << r.out;
}

TEST(ValidateCliTest, GoodFolderRecursesAndSkipsSchemas) {
  CliRun r = Storeflow("validate tests/fixtures/workflows/good");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(
      r.out,
      "tests/fixtures/workflows/good/minimal.yaml: ok \u2014 workflow minimal v1, 1 trigger, 1 "
      "step\n"
      "tests/fixtures/workflows/good/nested/every-kind.yaml: ok \u2014 workflow every-kind v2, "
      "6 triggers, 9 steps\n");
  EXPECT_EQ(r.err, "");
}

TEST(ValidateCliTest, BrokenFilePrintsEveryErrorAndExits1) {
  CliRun r = Storeflow("validate tests/fixtures/workflows/broken/five-errors.yaml");
  EXPECT_EQ(r.exit_code, 1);
  const std::string f = "tests/fixtures/workflows/broken/five-errors.yaml";
  std::istringstream lines(r.out);
  std::vector<std::string> got;
  for (std::string line; std::getline(lines, line);) got.push_back(line);
  ASSERT_EQ(got.size(), 5u) << r.out;
  EXPECT_EQ(
      got[0].rfind(f + ":3:1: error: unknown key 'stpes_typo' in the workflow (valid keys: ", 0),
      0u);
  EXPECT_EQ(got[1].rfind(f + ":6:12: error: 'sleep': invalid duration \"5x\"", 0), 0u);
  EXPECT_EQ(got[2],
            f + ":9:21: error: steps.c in step 'b' refers to step 'c', which runs later; only "
                "earlier steps have output");
  EXPECT_EQ(got[3].rfind(f + ":10:11: error: 'then' of step 'b' jumps to 'nowhere'", 0), 0u);
  EXPECT_EQ(got[4].rfind(f + ":12:9: error: Lua syntax error in expression `event.(`", 0), 0u);
  EXPECT_EQ(r.err, "storeflow validate: 5 errors in 1 of 1 file\n");
}

TEST(ValidateCliTest, MixedPathsReportBothAndFail) {
  CliRun r = Storeflow(
      "validate tests/fixtures/workflows/good/minimal.yaml "
      "tests/fixtures/workflows/broken/no-http.yaml "
      "tests/fixtures/workflows/broken/yaml-syntax.yaml");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("good/minimal.yaml: ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tests/fixtures/workflows/broken/no-http.yaml:6:5: error: 'respond' in step "
                       "'answer' answers the caller of an 'http' trigger"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("tests/fixtures/workflows/broken/yaml-syntax.yaml:3:1: error: YAML syntax:"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.err, "storeflow validate: 2 errors in 2 of 3 files\n");
}

TEST(ValidateCliTest, RootOptionResolvesRulePaths) {
  CliRun without = Storeflow("validate tests/fixtures/workflows/rooted/flow.yaml");
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_NE(without.out.find("flow.yaml:6:11: error: rule script 'scripts/hello.lua' not found"),
            std::string::npos)
      << without.out;
  CliRun with = Storeflow(
      "validate --root tests/fixtures/workflows/rooted tests/fixtures/workflows/rooted/flow.yaml");
  EXPECT_EQ(with.exit_code, 0) << with.out << with.err;
  CliRun equals =
      Storeflow("validate --root=tests/fixtures/workflows/rooted tests/fixtures/workflows/rooted");
  EXPECT_EQ(equals.exit_code, 0) << equals.out << equals.err;
}

TEST(ValidateCliTest, MissingPathIsAUsageError) {
  CliRun r = Storeflow("validate no/such/file.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "storeflow validate: no/such/file.yaml: no such file or folder\n");
  EXPECT_EQ(r.out, "");
}

TEST(ValidateCliTest, BadOptionsAreUsageErrors) {
  EXPECT_EQ(Storeflow("validate --frobnicate").exit_code, 2);
  EXPECT_EQ(Storeflow("validate --root").exit_code, 2);
  EXPECT_EQ(Storeflow("validate --root no/such/dir").exit_code, 2);
  CliRun help = Storeflow("validate --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: storeflow validate"), std::string::npos);
}

}  // namespace
