#include "workflow/template.h"

#include <cstdio>

namespace storeflow::workflow {
namespace {

constexpr std::string_view kOpen = "${{";
constexpr std::string_view kEscapedOpen = "$${{";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The index of the `}}` closing an expression that starts at `from`, or npos. Lua
// strings are skipped, and braces of table constructors nest.
std::size_t FindClose(std::string_view text, std::size_t from) {
  int depth = 0;
  std::size_t i = from;
  while (i < text.size()) {
    char c = text[i];
    if (c == '"' || c == '\'') {
      ++i;
      while (i < text.size() && text[i] != c) {
        if (text[i] == '\\') ++i;
        ++i;
      }
      ++i;
      continue;
    }
    if (c == '[' && i + 1 < text.size() && (text[i + 1] == '[' || text[i + 1] == '=')) {
      std::size_t j = i + 1;
      while (j < text.size() && text[j] == '=') ++j;
      if (j < text.size() && text[j] == '[') {
        std::string close = "]" + std::string(j - i - 1, '=') + "]";
        std::size_t end = text.find(close, j + 1);
        if (end == std::string_view::npos) return std::string_view::npos;
        i = end + close.size();
        continue;
      }
    }
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth == 0 && i + 1 < text.size() && text[i + 1] == '}') return i;
      if (depth > 0) --depth;
    }
    ++i;
  }
  return std::string_view::npos;
}

std::string LuaNumberText(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.14g", d);
  std::string out = buf;
  if (out.find_first_not_of("-0123456789") == std::string::npos) out += ".0";
  return out;
}

Status WithPosition(const Expression& e, const Status& status) {
  return status.WithContext(e.loc.ToString() + ": in ${{ " + e.code + " }}");
}

}  // namespace

Template Template::Parse(std::string_view text, const Locator& locate, Diagnostics& diagnostics) {
  Template t;
  t.text_ = std::string(text);
  t.loc_ = locate(0);
  std::string literal;
  auto flush = [&] {
    if (!literal.empty()) t.segments_.push_back({std::move(literal), std::nullopt});
    literal.clear();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, kEscapedOpen.size()) == kEscapedOpen) {
      literal += kOpen;
      i += kEscapedOpen.size();
      continue;
    }
    if (text.substr(i, kOpen.size()) != kOpen) {
      literal += text[i++];
      continue;
    }
    const std::size_t open = i;
    const std::size_t body = open + kOpen.size();
    const std::size_t close = FindClose(text, body);
    if (close == std::string_view::npos) {
      diagnostics.Error(locate(open), "unterminated '${{' (no matching '}}')");
      literal += text.substr(open);
      break;
    }
    std::size_t a = body;
    std::size_t b = close;
    while (a < b && IsSpace(text[a])) ++a;
    while (b > a && IsSpace(text[b - 1])) --b;
    if (a == b) {
      diagnostics.Error(locate(open), "empty expression in '${{ }}'");
    } else {
      flush();
      t.segments_.push_back(
          {"", MakeExpression(std::string(text.substr(a, b - a)), locate(open),
                              [&locate, a](std::size_t offset) { return locate(a + offset); })});
    }
    i = close + 2;
  }
  flush();
  return t;
}

Result<Template> Template::Parse(std::string_view text, const std::string& file) {
  Diagnostics diagnostics;
  Template t = Parse(
      text,
      [&file](std::size_t offset) {
        return SourceLocation{file, 1, static_cast<int>(offset) + 1};
      },
      diagnostics);
  if (diagnostics.has_errors()) {
    const Diagnostic& first = diagnostics.items().front();
    return InvalidArgument(first.loc.ToString() + ": " + first.message);
  }
  return t;
}

Template Template::Literal(std::string text, SourceLocation loc) {
  Template t;
  t.text_ = text;
  t.loc_ = std::move(loc);
  if (!text.empty()) t.segments_.push_back({std::move(text), std::nullopt});
  return t;
}

bool Template::is_literal() const {
  for (const TemplateSegment& s : segments_) {
    if (s.expression) return false;
  }
  return true;
}

const Expression* Template::whole_expression() const {
  if (segments_.size() != 1 || !segments_[0].expression) return nullptr;
  // "${{ x }}" exactly: nothing before the `${{` or after the `}}`.
  if (text_.rfind(kOpen, 0) != 0 || text_.size() < 2 || text_.substr(text_.size() - 2) != "}}") {
    return nullptr;
  }
  return &*segments_[0].expression;
}

std::string Template::literal_text() const {
  std::string out;
  for (const TemplateSegment& s : segments_) {
    if (!s.expression) out += s.literal;
  }
  return out;
}

std::string InterpolationText(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded: return "";
    case nlohmann::json::value_t::string: return value.get<std::string>();
    case nlohmann::json::value_t::boolean: return value.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::number_integer: return std::to_string(value.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return std::to_string(value.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float: return LuaNumberText(value.get<double>());
    default: return value.dump();
  }
}

Result<nlohmann::json> Evaluate(const Template& t, script::Sandbox& sandbox,
                                const nlohmann::json& context, const script::CallContext& call) {
  if (const Expression* e = t.whole_expression()) {
    Result<nlohmann::json> value =
        sandbox.EvaluateExpression(e->code, context, e->ChunkName(), call);
    if (!value.ok()) return WithPosition(*e, value.status());
    return value;
  }
  Result<std::string> text = RenderString(t, sandbox, context, call);
  if (!text.ok()) return text.status();
  return nlohmann::json(std::move(text).value());
}

Result<std::string> RenderString(const Template& t, script::Sandbox& sandbox,
                                 const nlohmann::json& context, const script::CallContext& call) {
  std::string out;
  for (const TemplateSegment& s : t.segments()) {
    if (!s.expression) {
      out += s.literal;
      continue;
    }
    Result<nlohmann::json> value =
        sandbox.EvaluateExpression(s.expression->code, context, s.expression->ChunkName(), call);
    if (!value.ok()) return WithPosition(*s.expression, value.status());
    out += InterpolationText(*value);
  }
  return out;
}

}  // namespace storeflow::workflow
