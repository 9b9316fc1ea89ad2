// The examples of docs/workflow-dsl.md are real: every ```yaml block that starts with
// `workflow:` must validate, and the broken example must give the errors shown.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "workflow/loader.h"
#include "workflow_test_util.h"

namespace storeflow::workflow {
namespace {

struct Block {
  std::string lang;
  std::string text;
  int line;  // of the opening fence
};

std::vector<Block> ReadBlocks() {
  std::ifstream in(std::string(STOREFLOW_SOURCE_DIR) + "/docs/workflow-dsl.md");
  EXPECT_TRUE(in) << "docs/workflow-dsl.md missing";
  std::vector<Block> blocks;
  std::string line;
  int n = 0;
  bool inside = false;
  Block current;
  while (std::getline(in, line)) {
    ++n;
    if (!inside && line.rfind("```", 0) == 0) {
      inside = true;
      current = {line.substr(3), "", n};
    } else if (inside && line.rfind("```", 0) == 0) {
      inside = false;
      blocks.push_back(current);
    } else if (inside) {
      current.text += line + "\n";
    }
  }
  return blocks;
}

TEST(DocsExamplesTest, EveryFullWorkflowExampleValidates) {
  int checked = 0;
  for (const Block& b : ReadBlocks()) {
    if (b.lang != "yaml" || b.text.rfind("workflow:", 0) != 0) continue;
    std::string name = "docs/workflow-dsl.md:" + std::to_string(b.line);
    LoadResult r = LoadWorkflowFromString(b.text, name, testing::RepoOptions());
    EXPECT_TRUE(r.ok()) << "the example at " << name << " does not validate:\n"
                        << r.diagnostics().ToString();
    ++checked;
  }
  EXPECT_GE(checked, 6);
}

// Each shown line, split at "...", must appear piece by piece in the real line.
bool Matches(const std::string& shown, const std::string& real) {
  std::size_t from = 0;
  std::size_t start = 0;
  while (true) {
    std::size_t dots = shown.find("...", start);
    std::string piece = shown.substr(start, dots == std::string::npos ? dots : dots - start);
    std::size_t at = real.find(piece, from);
    if (at == std::string::npos || (start == 0 && at != 0)) return false;
    from = at + piece.size();
    if (dots == std::string::npos) return from == real.size() || piece.empty();
    start = dots + 3;
  }
}

TEST(DocsExamplesTest, TheBrokenExampleGivesTheErrorsShown) {
  std::vector<Block> blocks = ReadBlocks();
  for (std::size_t i = 0; i + 1 < blocks.size(); ++i) {
    if (blocks[i].text.rfind("# broken on purpose", 0) != 0) continue;
    LoadResult r = LoadWorkflowFromString(blocks[i].text, "broken.yaml", testing::RepoOptions());
    ASSERT_FALSE(r.ok());
    std::vector<std::string> shown;
    std::istringstream lines(blocks[i + 1].text);
    for (std::string l; std::getline(lines, l);) shown.push_back(l);
    const auto& real = r.diagnostics().items();
    ASSERT_EQ(shown.size(), real.size()) << r.diagnostics().ToString();
    for (std::size_t k = 0; k < shown.size(); ++k) {
      EXPECT_TRUE(Matches(shown[k], real[k].ToString()))
          << "docs show:\n  " << shown[k] << "\nreal:\n  " << real[k].ToString();
    }
    return;
  }
  FAIL() << "no '# broken on purpose' example in docs/workflow-dsl.md";
}

}  // namespace
}  // namespace storeflow::workflow
