// LoadYamlDocuments: the documents yaml-cpp's LoadAll gives, and a clear error
// instead of LoadAll's endless loop on a ',' where a document should start
// (tests/fuzz/findings/workflow_loader-timeout-1.yaml).

#include "workflow/yaml_documents.h"

#include <sys/resource.h>

#include <cstdlib>
#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "workflow/loader.h"
#include "workflow_test_util.h"

namespace storeflow::workflow {
namespace {

using testing::ExpectOneError;

// Runs `load` in a child process held to 10 s of CPU time first. Without the check
// in LoadYamlDocuments, yaml-cpp's LoadAll never returns on these inputs and takes
// memory as it goes (about 1 GB in 20 s under ASan); with it a load takes
// milliseconds. The limit makes such a regression fail here instead of hanging
// the run; it is not a speed check.
void LoadWithCpuLimit(const std::function<void()>& load) {
  rlimit cpu{};
  cpu.rlim_cur = cpu.rlim_max = 10;
  setrlimit(RLIMIT_CPU, &cpu);
  load();
  std::_Exit(0);
}

void ExpectLoadReturns(const std::function<void()>& load) {
  EXPECT_EXIT(LoadWithCpuLimit(load), ::testing::ExitedWithCode(0), "");
}

TEST(YamlDocumentsTest, GivesEveryDocumentLikeLoadAll) {
  const std::string text = "---\n---\n...\n---\na: 1\n---\n- x\n";
  const auto documents = LoadYamlDocuments(text);
  ASSERT_EQ(documents.size(), 4u);
  EXPECT_TRUE(documents[0].IsNull());
  EXPECT_TRUE(documents[1].IsNull());
  EXPECT_EQ(documents[2]["a"].as<int>(), 1);
  EXPECT_EQ(documents[3][0].as<std::string>(), "x");
  EXPECT_EQ(documents[3].Mark().line, 6);
  EXPECT_TRUE(LoadYamlDocuments("").empty());
  EXPECT_EQ(LoadYamlDocuments("# only a comment\n").size(), 0u);
}

TEST(YamlDocumentsTest, CommaWhereADocumentStartsIsRefusedAtTheComma) {
  for (const char* text : {",", "a: 1\n...\n,\n", "- a\n...\n  , b\n", "!!str ,", "&x ,"}) {
    try {
      LoadYamlDocuments(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const YAML::ParserException& e) {
      const std::string s(text);
      EXPECT_EQ(static_cast<std::size_t>(e.mark.pos), s.find(',')) << s;
      EXPECT_EQ(e.msg,
                "a ',' outside [ ] or { } cannot start a value (quote a value that begins with "
                "a comma)")
          << s;
    }
  }
}

TEST(YamlDocumentsTest, CommasInsideValuesAndFlowCollectionsStillLoad) {
  const auto documents = LoadYamlDocuments("a: [1, , 2]\nb: x, y\nc: {k: v, l: w}\n");
  ASSERT_EQ(documents.size(), 1u);
  EXPECT_EQ(documents[0]["a"].size(), 3u);
  EXPECT_EQ(documents[0]["b"].as<std::string>(), "x, y");
  EXPECT_EQ(documents[0]["c"]["l"].as<std::string>(), "w");
}

TEST(YamlDocumentsTest, WorkflowWithACommaAfterItsEndIsOneSyntaxError) {
  ExpectLoadReturns([] { LoadWorkflowFromString("a: 1\n...\n,\n", "wf.yaml"); });
  if (HasFailure()) return;
  ExpectOneError("workflow: t\non: [{event: go}]\nsteps: [{id: a, uses: x.y}]\n...\n, more\n",
                 "wf.yaml:5:1", "YAML syntax: a ',' outside [ ] or { } cannot start a value");
}

// The fuzz finding itself: a comment line, then a line starting with ','.
TEST(YamlDocumentsTest, FuzzFindingLoadsWithOneSyntaxError) {
  const std::string path =
      std::string(STOREFLOW_SOURCE_DIR) + "/tests/fuzz/findings/workflow_loader-timeout-1.yaml";
  ExpectLoadReturns([&] { LoadWorkflow(path, testing::RepoOptions()); });
  if (HasFailure()) return;
  const LoadResult result = LoadWorkflow(path, testing::RepoOptions());
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.diagnostics().items().size(), 1u) << result.diagnostics().ToString();
  EXPECT_EQ(result.diagnostics().items()[0].ToString(),
            path +
                ":3:1: error: YAML syntax: a ',' outside [ ] or { } cannot start a value (quote a "
                "value that begins with a comma)");
}

}  // namespace
}  // namespace storeflow::workflow
