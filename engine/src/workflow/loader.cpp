#include "workflow/loader.h"

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "workflow/parse_context.h"
#include "workflow/yaml_documents.h"
#include "workflow/yaml_source.h"

namespace storeflow::workflow {

Status LoadResult::status() const {
  if (ok()) return Status::Ok();
  std::string message = diagnostics_.ToString();
  if (!message.empty() && message.back() == '\n') message.pop_back();
  return InvalidArgument(message);
}

ParsedWorkflow ParseWorkflowText(std::string_view text, const std::string& display_path) {
  ParsedWorkflow out;
  YamlSource source{std::string(text), display_path};
  std::vector<YAML::Node> documents;
  try {
    documents = LoadYamlDocuments(source.text());
  } catch (const YAML::Exception& e) {
    // yaml-cpp marks are 0-based; its message repeats them, so use e.msg.
    SourceLocation loc = e.mark.pos >= 0 ? source.At(e.mark) : SourceLocation{display_path, 1, 1};
    out.diagnostics.Error(loc, "YAML syntax: " + e.msg);
    out.syntax_ok = false;
    out.workflow.source_path = display_path;
    return out;
  }
  internal::ParseContext ctx(source, out.diagnostics);
  if (documents.size() > 1) {
    ctx.Error(ctx.At(documents[1]),
              "a workflow file holds one YAML document; this one starts a second ('---')");
  }
  try {
    out.workflow = internal::ParseWorkflow(ctx, documents.empty() ? YAML::Node() : documents[0]);
  } catch (const YAML::Exception& e) {
    // The parser does not use throwing accessors; this is the edge that guarantees it.
    SourceLocation loc = e.mark.pos >= 0 ? source.At(e.mark) : SourceLocation{display_path, 1, 1};
    out.diagnostics.Error(loc, "YAML: " + e.msg);
    out.syntax_ok = false;
  }
  return out;
}

LoadResult LoadWorkflowFromString(std::string_view text, const std::string& display_path,
                                  const ValidateOptions& options) {
  ParsedWorkflow parsed = ParseWorkflowText(text, display_path);
  Diagnostics diagnostics = std::move(parsed.diagnostics);
  if (parsed.syntax_ok) diagnostics.Append(ValidateWorkflow(parsed.workflow, options));
  diagnostics.Sort();
  if (diagnostics.has_errors()) return {nullptr, std::move(diagnostics)};
  return {std::make_shared<const Workflow>(std::move(parsed.workflow)), std::move(diagnostics)};
}

LoadResult LoadWorkflow(const std::string& path, const ValidateOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Diagnostics d;
    d.Error({path, 0, 0}, "cannot open the file");
    return {nullptr, std::move(d)};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return LoadWorkflowFromString(text.str(), path, options);
}

}  // namespace storeflow::workflow
