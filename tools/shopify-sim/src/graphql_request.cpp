#include "graphql_request.h"

#include <cctype>

namespace storeflow::shopify_sim {
namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Skips spaces, commas and # comments from `i`.
void SkipIgnored(const std::string& s, std::size_t& i) {
  while (i < s.size()) {
    if (std::isspace(static_cast<unsigned char>(s[i])) || s[i] == ',') {
      ++i;
    } else if (s[i] == '#') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else {
      return;
    }
  }
}

std::string ReadName(const std::string& s, std::size_t& i) {
  const std::size_t start = i;
  while (i < s.size() && IsNameChar(s[i])) ++i;
  return s.substr(start, i - start);
}

// Skips a balanced (...) group starting at s[i] == '(' (strings respected).
void SkipParens(const std::string& s, std::size_t& i) {
  int depth = 0;
  bool in_string = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) {
      ++i;
      return;
    }
  }
}

// Reads the operation type, its name and the first root field of the first operation.
void ReadOperation(const std::string& q, GraphqlRequest* out) {
  std::size_t i = 0;
  SkipIgnored(q, i);
  std::string name;
  if (i < q.size() && q[i] != '{') {
    const std::string keyword = ReadName(q, i);
    out->is_mutation = keyword == "mutation";
    SkipIgnored(q, i);
    if (i < q.size() && IsNameChar(q[i])) name = ReadName(q, i);
    SkipIgnored(q, i);
    if (i < q.size() && q[i] == '(') SkipParens(q, i);
    SkipIgnored(q, i);
    while (i < q.size() && q[i] == '@') {  // directives
      ++i;
      ReadName(q, i);
      SkipIgnored(q, i);
      if (i < q.size() && q[i] == '(') SkipParens(q, i);
      SkipIgnored(q, i);
    }
  }
  if (i < q.size() && q[i] == '{') {
    ++i;
    SkipIgnored(q, i);
    std::string field = ReadName(q, i);
    SkipIgnored(q, i);
    if (i < q.size() && q[i] == ':') {  // alias: field
      ++i;
      SkipIgnored(q, i);
      field = ReadName(q, i);
    }
    out->root_field = field;
  }
  if (out->operation_name.empty()) out->operation_name = name;
}

}  // namespace

Result<GraphqlRequest> ParseGraphqlRequest(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return InvalidArgument("the body is not a JSON object");
  const auto q = j.find("query");
  if (q == j.end() || !q->is_string() || q->get<std::string>().empty()) {
    return InvalidArgument("query: Required parameter missing or invalid");
  }
  GraphqlRequest r;
  r.query = q->get<std::string>();
  if (const auto v = j.find("variables"); v != j.end() && !v->is_null()) {
    if (!v->is_object()) return InvalidArgument("variables: must be an object");
    r.variables = *v;
  }
  if (const auto n = j.find("operationName"); n != j.end() && n->is_string()) {
    r.operation_name = n->get<std::string>();
  }
  ReadOperation(r.query, &r);
  return r;
}

nlohmann::json GraphqlError(const std::string& message, const std::string& code) {
  return {{"message", message}, {"extensions", {{"code", code}}}};
}

}  // namespace storeflow::shopify_sim
