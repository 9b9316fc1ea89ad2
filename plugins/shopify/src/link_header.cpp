#include "link_header.h"

#include <cctype>

namespace storeflow::plugins::shopify {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

// The rel values of one link's parameters ("rel=\"next\"", "rel=next", ...); a
// rel may hold several space-separated relations.
std::string RelOf(std::string_view params) {
  std::size_t pos = 0;
  while (pos < params.size()) {
    std::size_t semi = params.find(';', pos);
    std::string_view param = Trim(
        params.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos));
    pos = semi == std::string_view::npos ? params.size() : semi + 1;
    std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    if (Lower(Trim(param.substr(0, eq))) != "rel") continue;
    std::string_view value = Trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    return Lower(Trim(value));
  }
  return "";
}

bool HasRelation(const std::string& rels, std::string_view relation) {
  std::size_t pos = 0;
  while (pos < rels.size()) {
    std::size_t space = rels.find(' ', pos);
    std::string_view one = std::string_view(rels).substr(
        pos, space == std::string::npos ? std::string::npos : space - pos);
    if (one == relation) return true;
    if (space == std::string::npos) break;
    pos = space + 1;
  }
  return false;
}

}  // namespace

PageLinks ParseLinkHeader(std::string_view header) {
  PageLinks links;
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t open = header.find('<', pos);
    if (open == std::string_view::npos) break;
    std::size_t close = header.find('>', open + 1);
    if (close == std::string_view::npos) break;  // unterminated: ignore the rest
    std::string url(Trim(header.substr(open + 1, close - open - 1)));
    // The parameters run to the next link: a comma followed by '<'.
    std::size_t next = close + 1;
    std::size_t end = header.size();
    while (next < header.size()) {
      std::size_t comma = header.find(',', next);
      if (comma == std::string_view::npos) break;
      std::string_view after = Trim(header.substr(comma + 1));
      if (after.empty() || after.front() == '<') {
        end = comma;
        break;
      }
      next = comma + 1;
    }
    std::string rel = RelOf(header.substr(close + 1, end - close - 1));
    if (HasRelation(rel, "next") && !links.next_url) {
      links.next_page_info = QueryParameter(url, "page_info");
      links.next_url = std::move(url);
    } else if ((HasRelation(rel, "previous") || HasRelation(rel, "prev")) && !links.previous_url) {
      links.previous_page_info = QueryParameter(url, "page_info");
      links.previous_url = std::move(url);
    }
    pos = end == header.size() ? end : end + 1;
  }
  return links;
}

std::optional<std::string> QueryParameter(std::string_view url, std::string_view name) {
  std::size_t query = url.find('?');
  if (query == std::string_view::npos) return std::nullopt;
  std::string_view rest = url.substr(query + 1);
  if (std::size_t hash = rest.find('#'); hash != std::string_view::npos)
    rest = rest.substr(0, hash);
  std::size_t pos = 0;
  while (pos <= rest.size()) {
    std::size_t amp = rest.find('&', pos);
    std::string_view pair =
        rest.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    std::size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (PercentDecode(key) == name) {
      return eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return std::nullopt;
}

}  // namespace storeflow::plugins::shopify
