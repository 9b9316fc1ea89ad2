#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "email_config.h"
#include "mail_transport.h"
#include "mime_builder.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

// The SES-only inputs (plugins/email/README.md, "ses transport"). `tags` and
// `configuration_set` are checked for every transport but only the ses transport
// sends them; `ses_template` needs transport ses.
struct SesRequest {
  std::optional<std::string> template_name;       // ses_template.name: an SES stored template
  sdk::Json template_data = sdk::Json::object();  // ses_template.data
  std::optional<std::string> configuration_set;   // overrides ses.configuration_set
  std::vector<std::pair<std::string, std::string>> tags;  // merged over ses.tags
};

// An email.send input turned into a message and its envelope.
struct PreparedEmail {
  MimeMessage message;
  Envelope envelope;
  SesRequest ses;
};

// Reads and checks the input (addresses, subject, bodies, headers, attachments),
// renders the named template if any (input fields win over template parts), and
// derives Message-ID and Date from the call. With `ses_template` the subject and
// bodies come from SES (the message has none). Throws permanent sdk::Errors that
// name the field: invalid_address, header_injection, invalid_header,
// missing_from, missing_subject, missing_body, template errors, attachment errors,
// invalid_input (e.g. `ses_template` without transport ses, a bad tag).
PreparedEmail PrepareEmail(const sdk::Json& input, const EmailConfig& config, const sdk::Host& host,
                           const sdk::Call& call);

}  // namespace storeflow::plugins::email
