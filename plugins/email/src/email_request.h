#pragma once

#include "email_config.h"
#include "mail_transport.h"
#include "mime_builder.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

// An email.send input turned into a message and its envelope.
struct PreparedEmail {
  MimeMessage message;
  Envelope envelope;
};

// Reads and checks the input (addresses, subject, bodies, headers, attachments),
// renders the named template if any (input fields win over template parts), and
// derives Message-ID and Date from the call. Throws permanent sdk::Errors that
// name the field: invalid_address, header_injection, invalid_header,
// missing_from, missing_subject, missing_body, template errors, attachment errors.
PreparedEmail PrepareEmail(const sdk::Json& input, const EmailConfig& config, const sdk::Host& host,
                           const sdk::Call& call);

}  // namespace storeflow::plugins::email
