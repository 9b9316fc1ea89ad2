#include "sigv4_vector_reader.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace storeflow::plugins::aws::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

RawRequest ReadRawRequest(const std::string& text) {
  RawRequest out;
  std::string head = text;
  const std::size_t blank = text.find("\n\n");
  if (blank != std::string::npos) {
    head = text.substr(0, blank);
    out.request.body = text.substr(blank + 2);
    out.has_body_separator = true;
  } else if (!head.empty() && head.back() == '\n') {
    head.pop_back();  // a file ending with one newline after the last header
  }

  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= head.size()) {
    std::size_t end = head.find('\n', start);
    if (end == std::string::npos) end = head.size();
    lines.push_back(head.substr(start, end - start));
    start = end + 1;
  }

  // The request line: METHOD, then everything up to the last " HTTP/" is the target
  // (it may contain spaces).
  out.request_line = lines.front();
  const std::size_t method_end = out.request_line.find(' ');
  const std::size_t version = out.request_line.rfind(" HTTP/");
  if (method_end == std::string::npos || version == std::string::npos || version <= method_end) {
    throw std::runtime_error("not a request line: " + out.request_line);
  }
  out.request.method = out.request_line.substr(0, method_end);
  const std::string target = out.request_line.substr(method_end + 1, version - method_end - 1);
  const std::size_t question = target.find('?');
  out.request.path = target.substr(0, question);
  out.request.query = question == std::string::npos ? "" : target.substr(question + 1);

  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      if (out.headers.empty()) throw std::runtime_error("a folded line before any header");
      out.headers.back().value += "\n" + line;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error("not a header line: " + line);
    out.headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }
  out.request.headers = out.headers;
  return out;
}

}  // namespace storeflow::plugins::aws::testing
