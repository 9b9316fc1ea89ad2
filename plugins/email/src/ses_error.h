#pragma once

// An SES v2 SendEmail failure as the step's error: its class (retryable or
// permanent), a short code, and a message that quotes SES and names the input
// field or config key to look at when SES's text says which.

#include "aws_error.h"
#include "mime_builder.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

// Retryable: `ses_network` (no answer: refused, reset, timeout), `ses_throttled`
// (TooManyRequestsException, other throttling codes, HTTP 429),
// `ses_unavailable` (HTTP 5xx). Permanent: `ses_message_rejected`,
// `ses_not_verified` (MailFromDomainNotVerifiedException), `ses_account_suspended`,
// `ses_sending_paused`, `ses_access_denied` (HTTP 403, signature and token
// errors), `ses_not_found` (template or configuration set), `ses_limit_exceeded`,
// `ses_invalid_request` (BadRequestException and any other 4xx), `ses_credentials`
// (no usable credentials). `message` gives the addresses SES may quote.
sdk::Error SesStepError(const aws::AwsError& error, const MimeMessage& message);

}  // namespace storeflow::plugins::email
