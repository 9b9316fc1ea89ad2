#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace storeflow::plugins::email {

// One mailbox: "Ada Lovelace <ada@example.com>" or "ada@example.com".
struct Mailbox {
  std::string display_name;  // UTF-8, may be empty
  std::string address;       // addr-spec, ASCII
};

// Parses "addr", "<addr>", "Name <addr>" or "\"Name, Jr.\" <addr>". Refuses with
// Error::Permanent naming `field` (e.g. "to[1]"): `header_injection` for CR/LF,
// `invalid_address` for anything that is not a plain ASCII addr-spec
// (local@domain, dot-atom local part, no quoted local parts or comments).
Mailbox ParseMailbox(std::string_view text, std::string_view field);

// The mailbox as a header value: display name quoted or encoded (RFC 2047) as
// needed, then <address>.
std::string FormatMailbox(const Mailbox& mailbox);

// A comma-separated address list for a header named `name`, folded so lines
// stay short.
std::string FormatMailboxList(const std::vector<Mailbox>& mailboxes, std::string_view name);

}  // namespace storeflow::plugins::email
