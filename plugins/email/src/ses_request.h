#pragma once

// The SES v2 SendEmail request (POST /v2/email/outbound-emails) for one
// email.send: which content form carries the message, and the JSON body. Pure: the
// transport (ses_transport.h) signs and sends it.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "email_config.h"
#include "email_request.h"
#include "mime_builder.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

// How the message goes to SES:
//  kSimple   Content.Simple (subject, text/html in UTF-8, custom headers as
//            Headers) when there are no attachments and every header fits SES's
//            rules (printable ASCII, at most 15);
//  kRaw      Content.Raw: the MIME message of mime_builder, base64-encoded
//            (attachments, non-ASCII header values, too many headers);
//  kTemplate Content.Template: an SES stored template with its data as JSON.
enum class SesContent { kSimple, kRaw, kTemplate };

const char* SesContentName(SesContent content);

struct SesSendEmail {
  SesContent content = SesContent::kSimple;
  sdk::Json body;                 // the request's JSON
  std::size_t message_bytes = 0;  // raw: the MIME size; else subject + bodies
};

// Builds the request: From/To/Cc/Bcc/Reply-To (display names as RFC 2047 encoded
// words when not ASCII), content per SesContent, ConfigurationSetName (the
// request's, else the config's), EmailTags (config tags, overridden by name by the
// request's). Throws Error::Permanent("invalid_header") when `ses_template` comes
// with a header SES cannot carry.
SesSendEmail BuildSesSendEmail(const PreparedEmail& prepared, const SesConfig& config,
                               const BoundarySource& boundaries = RandomBoundary);

// The `ses_template`, `tags` and `configuration_set` inputs, checked.
SesRequest ParseSesRequest(const sdk::Json& input);

// `tags` ({"campaign": "spring"}) as (name, value) pairs sorted by name. SES's
// rules: 1 to 256 characters of ASCII letters, digits, '_' and '-', for names and
// values. Error::Permanent("invalid_input") naming `<field>.<name>`.
std::vector<std::pair<std::string, std::string>> ParseSesTags(const sdk::Json& tags,
                                                              const std::string& field);

// A configuration set name: 1 to 64 ASCII letters, digits, '_' and '-'.
// Error::Permanent("invalid_input") naming `field`.
void CheckSesConfigurationSet(const std::string& name, const std::string& field);

}  // namespace storeflow::plugins::email
