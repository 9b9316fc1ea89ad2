#include "address.h"

#include <cctype>

#include "mime_encoding.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {
namespace {

using sdk::Error;

bool IsAtext(char c) {
  auto byte = static_cast<unsigned char>(c);
  if ((byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
      (byte >= '0' && byte <= '9')) {
    return true;
  }
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void Invalid(std::string_view field, std::string_view text, const std::string& why) {
  throw Error::Permanent("invalid_address", "`" + std::string(field) + "` (\"" + std::string(text) +
                                                "\") is not a valid address: " + why);
}

bool IsDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!IsAtext(s[i])) {
      return false;
    }
  }
  return true;
}

bool IsDomain(std::string_view s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {  // address literal
    for (char c : s.substr(1, s.size() - 2)) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == ':')) return false;
    }
    return true;
  }
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t dot = s.find('.', start);
    std::string_view label =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

void CheckAddress(std::string_view address, std::string_view field, std::string_view text) {
  if (!IsPrintableAscii(address)) {
    Invalid(field, text, "it has non-ASCII characters (write the domain in punycode)");
  }
  std::size_t at = address.rfind('@');
  if (at == std::string_view::npos) Invalid(field, text, "it has no '@'");
  std::string_view local = address.substr(0, at);
  std::string_view domain = address.substr(at + 1);
  if (local.size() > 64 || !IsDotAtom(local)) {
    Invalid(field, text,
            "the part before '@' must be letters, digits and !#$%&'*+-/=?^_`{|}~ "
            "separated by single dots");
  }
  if (!IsDomain(domain)) Invalid(field, text, "the domain after '@' is not a host name");
  if (address.size() > 254) Invalid(field, text, "it is longer than 254 characters");
}

bool NeedsQuoting(std::string_view name) {
  for (char c : name) {
    if (!IsAtext(c) && c != ' ') return true;
  }
  return false;
}

}  // namespace

Mailbox ParseMailbox(std::string_view text, std::string_view field) {
  if (text.find_first_of("\r\n") != std::string_view::npos) {
    throw Error::Permanent("header_injection", "`" + std::string(field) +
                                                   "` contains a line break (CR or LF); an address "
                                                   "must be on one line");
  }
  if (text.find('\0') != std::string_view::npos) Invalid(field, "?", "it contains a NUL byte");
  std::string_view trimmed = Trim(text);
  Mailbox mailbox;
  if (!trimmed.empty() && trimmed.back() == '>') {
    std::size_t open = trimmed.rfind('<');
    if (open == std::string_view::npos) Invalid(field, text, "'>' without '<'");
    mailbox.address = std::string(Trim(trimmed.substr(open + 1, trimmed.size() - open - 2)));
    std::string_view name = Trim(trimmed.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
      name = name.substr(1, name.size() - 2);
      std::string unquoted;
      for (std::size_t i = 0; i < name.size(); ++i) {
        if (name[i] == '\\' && i + 1 < name.size()) ++i;
        unquoted += name[i];
      }
      mailbox.display_name = std::move(unquoted);
    } else {
      if (name.find_first_of("<>\"") != std::string_view::npos) {
        Invalid(field, text, "the display name has '<', '>' or an unbalanced '\"'");
      }
      mailbox.display_name = std::string(name);
    }
  } else {
    mailbox.address = std::string(trimmed);
  }
  CheckAddress(mailbox.address, field, text);
  return mailbox;
}

// A display name longer than this (as written: plain or quoted) is sent as encoded
// words, which fold: with "Reply-To: " and a 254-character address the line stays
// within RFC 5322's 998 octets.
constexpr std::size_t kMaxUnfoldedDisplayName = 700;

std::string FormatMailbox(const Mailbox& mailbox) {
  if (mailbox.display_name.empty()) return "<" + mailbox.address + ">";
  std::string name;
  if (!IsPrintableAscii(mailbox.display_name) ||
      mailbox.display_name.find("=?") != std::string::npos) {
    name = EncodeWords(mailbox.display_name);
  } else if (NeedsQuoting(mailbox.display_name)) {
    name = "\"";
    for (char c : mailbox.display_name) {
      if (c == '"' || c == '\\') name += '\\';
      name += c;
    }
    name += '"';
  } else {
    name = mailbox.display_name;
  }
  if (name.size() > kMaxUnfoldedDisplayName) name = EncodeWords(mailbox.display_name);
  return name + " <" + mailbox.address + ">";
}

std::string FormatMailboxList(const std::vector<Mailbox>& mailboxes, std::string_view name) {
  std::string out;
  std::size_t column = name.size() + 2;
  for (std::size_t i = 0; i < mailboxes.size(); ++i) {
    std::string item = FormatMailbox(mailboxes[i]);
    if (i > 0) {
      out += ",";
      ++column;
      std::size_t first_line = item.find("\r\n");
      std::size_t width = first_line == std::string::npos ? item.size() : first_line;
      if (column + 1 + width > 78) {
        out += "\r\n";
        column = 0;
      }
      out += " ";
      ++column;
    }
    out += item;
    std::size_t last_break = item.rfind("\r\n");
    column = last_break == std::string::npos ? column + item.size() : item.size() - last_break - 2;
  }
  return out;
}

}  // namespace storeflow::plugins::email
