#include "workflow/yaml_documents.h"

#include <cstddef>
#include <optional>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/node/parse.h>
#include <yaml-cpp/parser.h>

namespace storeflow::workflow {
namespace {

// Notes where each document starts; builds nothing.
class DocumentStarts : public YAML::EventHandler {
 public:
  // The start of the latest document, and of the one before it.
  std::optional<YAML::Mark> latest;
  std::optional<YAML::Mark> previous;

  void OnDocumentStart(const YAML::Mark& mark) override {
    previous = latest;
    latest = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  // Each document consumes at least one token (its first) unless the parser is
  // stuck on it; then the next document starts at the very same token.
  bool Stuck() const { return latest && previous && latest->pos == previous->pos; }
};

std::string StuckMessage(const std::string& text, const YAML::Mark& mark) {
  const auto at = static_cast<std::size_t>(mark.pos);
  if (at < text.size() && text[at] == ',') {
    return "a ',' outside [ ] or { } cannot start a value (quote a value that begins with a "
           "comma)";
  }
  if (at < text.size() && static_cast<unsigned char>(text[at]) >= 0x20 &&
      static_cast<unsigned char>(text[at]) < 0x7f) {
    return std::string("unexpected '") + text[at] + "': no value can start here";
  }
  return "no value can start here";
}

}  // namespace

std::vector<YAML::Node> LoadYamlDocuments(const std::string& text) {
  // A first pass over the events alone: it ends, because it stops as soon as a
  // document starts where the one before it did.
  {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentStarts starts;
    while (parser.HandleNextDocument(starts)) {
      if (starts.Stuck())
        throw YAML::ParserException(*starts.latest, StuckMessage(text, *starts.latest));
    }
  }
  // The same parser on the same text makes progress on every document now.
  return YAML::LoadAll(text);
}

}  // namespace storeflow::workflow
