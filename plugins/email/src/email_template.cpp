#include "email_template.h"

#include <sys/stat.h>

#include <filesystem>

#include "atomic_file.h"

namespace storeflow::plugins::email {
namespace {

using sdk::Error;
namespace fs = std::filesystem;

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 100 || name.front() == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos;
}

std::optional<std::string> RenderFile(const sdk::Host& host, const fs::path& path,
                                      const sdk::Json& data) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::string text = storage::ReadWholeFile(path, "template_io");
  try {
    return host.RenderTemplate(text, data);
  } catch (const Error& e) {
    if (e.code() != "template_error") throw;
    throw Error::Permanent("template_error", path.string() + ": " + e.what());
  }
}

std::string EscapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// `data` with every string value HTML-escaped (keys and other types unchanged).
sdk::Json EscapeHtmlStrings(const sdk::Json& data) {
  if (data.is_string()) return EscapeHtml(data.get<std::string>());
  if (data.is_array() || data.is_object()) {
    sdk::Json out = data;
    for (auto& [key, value] : out.items()) value = EscapeHtmlStrings(value);
    return out;
  }
  return data;
}

}  // namespace

RenderedTemplate RenderNamedTemplate(const sdk::Host& host, const std::string& dir,
                                     std::string_view name, const sdk::Json& data) {
  if (dir.empty()) {
    throw Error::Permanent("no_templates",
                           "the input names template \"" + std::string(name) +
                               "\" but the email plugin has no `templates_dir` configured");
  }
  if (!ValidName(name)) {
    throw Error::Permanent("invalid_template_name",
                           "template name \"" + std::string(name) +
                               "\" must be letters, digits, '_', '-' and '.' (no '..', no '/')");
  }
  fs::path base = fs::path(dir) / std::string(name);
  fs::path subject_path = base.string() + ".subject.txt";
  fs::path text_path = base.string() + ".txt";
  fs::path html_path = base.string() + ".html";
  RenderedTemplate out;
  out.subject = RenderFile(host, subject_path, data);
  out.text = RenderFile(host, text_path, data);
  out.html = RenderFile(host, html_path, EscapeHtmlStrings(data));
  if (!out.subject && !out.text && !out.html) {
    throw Error::Permanent("template_not_found", "template \"" + std::string(name) +
                                                     "\" has none of " + subject_path.string() +
                                                     ", " + text_path.string() + ", " +
                                                     html_path.string());
  }
  if (out.subject) {
    while (!out.subject->empty() && (out.subject->back() == '\n' || out.subject->back() == '\r')) {
      out.subject->pop_back();
    }
  }
  return out;
}

}  // namespace storeflow::plugins::email
