#include "ses_error.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace storeflow::plugins::email {
namespace {

using sdk::Error;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The input field (or config key) SES's message points at, or "".
std::string FieldNamedBy(const aws::AwsError& error, const MimeMessage& message) {
  const std::string text = Lower(error.message);
  // An address SES quotes ("...failed the check in region EU-WEST-1: shop@example.com").
  const std::pair<const char*, const std::vector<Mailbox>*> lists[] = {
      {"to", &message.to},
      {"cc", &message.cc},
      {"bcc", &message.bcc},
      {"reply_to", &message.reply_to}};
  if (!message.from.address.empty() && Contains(text, Lower(message.from.address))) return "from";
  for (const auto& [field, list] : lists) {
    for (const Mailbox& m : *list) {
      if (Contains(text, Lower(m.address))) return field;
    }
  }
  // A member SES names ("Value at 'emailTags.1.member.name' failed to satisfy ...").
  static const std::pair<const char*, const char*> kMembers[] = {
      {"configurationset", "configuration_set"},
      {"configuration set", "configuration_set"},
      {"templatedata", "ses_template.data"},
      {"template data", "ses_template.data"},
      {"template", "ses_template.name"},
      {"emailtags", "tags"},
      {"tag", "tags"},
      {"fromemailaddress", "from"},
      {"from address", "from"},
      {"mail from", "from"},
      {"toaddresses", "to"},
      {"ccaddresses", "cc"},
      {"bccaddresses", "bcc"},
      {"replytoaddresses", "reply_to"},
      {"subject", "subject"},
      {"header", "headers"},
      {"attachment", "attachments"},
  };
  for (const auto& [needle, field] : kMembers) {
    if (Contains(text, needle)) return field;
  }
  return "";
}

bool IsAccessError(const aws::AwsError& e) {
  static const char* const kCodes[] = {"AccessDeniedException",       "AccessDenied",
                                       "UnrecognizedClientException", "InvalidSignatureException",
                                       "SignatureDoesNotMatch",       "IncompleteSignature",
                                       "InvalidClientTokenId",        "ExpiredToken",
                                       "ExpiredTokenException",       "MissingAuthenticationToken"};
  if (e.http_status == 403) return true;
  return std::any_of(std::begin(kCodes), std::end(kCodes),
                     [&e](const char* code) { return e.code == code; });
}

bool IsThrottling(const aws::AwsError& e) {
  return e.http_status == 429 || e.code == "TooManyRequestsException" ||
         (e.retryable && e.http_status < 500 && e.http_status != 0);
}

}  // namespace

sdk::Error SesStepError(const aws::AwsError& error, const MimeMessage& message) {
  const std::string described = error.Describe();
  if (error.code == "network") return Error::Retryable("ses_network", "SES: " + error.message);
  if (error.code == "credentials") {
    return Error::Permanent("ses_credentials",
                            "no usable AWS credentials for SES: " + error.message +
                                " (set `ses.credentials` or AWS_ACCESS_KEY_ID and "
                                "AWS_SECRET_ACCESS_KEY)");
  }
  if (error.retryable) {
    if (IsThrottling(error)) {
      return Error::Retryable("ses_throttled", "SES is throttling the sends: " + described);
    }
    return Error::Retryable("ses_unavailable", "SES failed on its side: " + described);
  }
  std::string field = FieldNamedBy(error, message);
  std::string hint = field.empty() ? "" : " (check `" + field + "`)";
  if (IsAccessError(error)) {
    return Error::Permanent("ses_access_denied",
                            "SES refused the credentials or the permission: " + described +
                                " (the signing identity needs ses:SendEmail on the sender's "
                                "identity; check `ses.credentials` and `ses.region`)");
  }
  if (error.code == "MessageRejected") {
    return Error::Permanent("ses_message_rejected",
                            "SES rejected the message: " + described + hint);
  }
  if (error.code == "MailFromDomainNotVerifiedException") {
    return Error::Permanent("ses_not_verified", "SES has not verified the sender's domain: " +
                                                    described + " (check `from`)");
  }
  if (error.code == "AccountSuspendedException") {
    return Error::Permanent("ses_account_suspended", "the SES account may not send: " + described);
  }
  if (error.code == "SendingPausedException") {
    return Error::Permanent(
        "ses_sending_paused",
        "sending is paused for this SES account or configuration set: " + described + hint);
  }
  if (error.code == "NotFoundException" || error.http_status == 404) {
    if (field.empty()) field = "ses_template.name` or `configuration_set";
    return Error::Permanent("ses_not_found", "SES does not know a resource the message names: " +
                                                 described + " (check `" + field + "`)");
  }
  if (error.code == "LimitExceededException") {
    return Error::Permanent("ses_limit_exceeded", "SES refused: " + described + hint);
  }
  return Error::Permanent("ses_invalid_request", "SES refused the request: " + described + hint);
}

}  // namespace storeflow::plugins::email
