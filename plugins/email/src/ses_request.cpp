#include "ses_request.h"

#include <algorithm>
#include <map>

#include "base64.h"
#include "json_input.h"

namespace storeflow::plugins::email {
namespace {

using sdk::Error;
using sdk::Json;

// SES's limits (SES v2 API reference: MessageHeader, MessageTag, EmailTemplateName).
constexpr std::size_t kMaxSimpleHeaders = 15;
constexpr std::size_t kMaxHeaderNameLength = 126;
constexpr std::size_t kMaxHeaderValueLength = 870;
constexpr std::size_t kMaxTagLength = 256;
constexpr std::size_t kMaxNameLength = 64;  // template and configuration set names
constexpr std::size_t kMaxTemplateDataBytes = 262144;

[[noreturn]] void InvalidInput(const std::string& message) {
  throw Error::Permanent("invalid_input", message);
}

bool IsSesNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool IsSesName(const std::string& text, std::size_t max_length) {
  return !text.empty() && text.size() <= max_length &&
         std::all_of(text.begin(), text.end(), IsSesNameChar);
}

// Printable ASCII and space: what SES takes in a header value.
bool IsHeaderValueSafe(const std::string& value) {
  return value.size() <= kMaxHeaderValueLength &&
         std::all_of(value.begin(), value.end(), [](char c) {
           auto u = static_cast<unsigned char>(c);
           return u >= 0x20 && u <= 0x7E;
         });
}

// "Ada <ada@example.com>" for SES's address fields: the mailbox as a header would
// carry it, unfolded (encoded words may be folded), or the bare address.
std::string SesAddress(const Mailbox& mailbox) {
  if (mailbox.display_name.empty()) return mailbox.address;
  std::string formatted = FormatMailbox(mailbox);
  std::string out;
  for (std::size_t i = 0; i < formatted.size(); ++i) {
    if (formatted.compare(i, 2, "\r\n") == 0) {
      ++i;  // a fold: CRLF then a blank, which stays
      continue;
    }
    out += formatted[i];
  }
  return out;
}

Json AddressList(const std::vector<Mailbox>& mailboxes) {
  Json list = Json::array();
  for (const Mailbox& m : mailboxes) list.push_back(SesAddress(m));
  return list;
}

// The headers SES adds for Simple and Template content: the custom ones and the
// idempotency key.
std::vector<std::pair<std::string, std::string>> ExtraHeaders(const MimeMessage& message) {
  std::vector<std::pair<std::string, std::string>> headers = message.headers;
  if (!message.idempotency_key.empty()) {
    headers.emplace_back("X-Storeflow-Idempotency-Key", message.idempotency_key);
  }
  return headers;
}

// The first header SES's Headers field cannot carry, or "" when all fit.
std::string HeaderSesCannotCarry(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (name.size() > kMaxHeaderNameLength || !IsHeaderValueSafe(value)) return name;
  }
  return "";
}

Json HeadersJson(const std::vector<std::pair<std::string, std::string>>& headers) {
  Json out = Json::array();
  for (const auto& [name, value] : headers) out.push_back({{"Name", name}, {"Value", value}});
  return out;
}

Json Utf8(const std::string& data) {
  return Json{{"Data", data}, {"Charset", "UTF-8"}};
}

}  // namespace

const char* SesContentName(SesContent content) {
  switch (content) {
    case SesContent::kRaw: return "raw";
    case SesContent::kTemplate: return "template";
    case SesContent::kSimple: break;
  }
  return "simple";
}

std::vector<std::pair<std::string, std::string>> ParseSesTags(const Json& tags,
                                                              const std::string& field) {
  std::vector<std::pair<std::string, std::string>> out;
  if (tags.is_null()) return out;
  if (!tags.is_object()) InvalidInput("`" + field + "` must be an object of name: value");
  for (const auto& [name, value] : tags.items()) {
    const std::string where = field + "." + name;
    if (!IsSesName(name, kMaxTagLength)) {
      InvalidInput("`" + where +
                   "`: a tag name is 1 to 256 ASCII letters, digits, '_' or '-' (SES's rule)");
    }
    if (!value.is_string()) InvalidInput("`" + where + "` must be a string");
    const std::string text = value.get<std::string>();
    if (!IsSesName(text, kMaxTagLength)) {
      InvalidInput("`" + where + "` is \"" + text.substr(0, 64) +
                   "\": a tag value is 1 to 256 ASCII letters, digits, '_' or '-' (SES's rule)");
    }
    out.emplace_back(name, text);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void CheckSesConfigurationSet(const std::string& name, const std::string& field) {
  if (!IsSesName(name, kMaxNameLength)) {
    InvalidInput("`" + field + "` is \"" + name.substr(0, 80) +
                 "\": a configuration set name is 1 to 64 ASCII letters, digits, '_' or '-'");
  }
}

SesRequest ParseSesRequest(const Json& input) {
  SesRequest request;
  if (auto it = input.find("ses_template"); it != input.end() && !it->is_null()) {
    if (!it->is_object()) InvalidInput("`ses_template` must be an object {name, data}");
    const std::string name = storage::OptionalString(*it, "name").value_or("");
    if (!IsSesName(name, kMaxNameLength)) {
      InvalidInput("`ses_template.name` is \"" + name.substr(0, 80) +
                   "\": an SES template name is 1 to 64 ASCII letters, digits, '_' or '-'");
    }
    request.template_name = name;
    if (auto data = it->find("data"); data != it->end() && !data->is_null()) {
      if (!data->is_object()) InvalidInput("`ses_template.data` must be an object");
      request.template_data = *data;
    }
    if (request.template_data.dump().size() > kMaxTemplateDataBytes) {
      InvalidInput("`ses_template.data` is larger than SES's 262144 characters");
    }
  }
  if (auto set = storage::OptionalString(input, "configuration_set")) {
    CheckSesConfigurationSet(*set, "configuration_set");
    request.configuration_set = *set;
  }
  if (auto it = input.find("tags"); it != input.end()) request.tags = ParseSesTags(*it, "tags");
  return request;
}

SesSendEmail BuildSesSendEmail(const PreparedEmail& prepared, const SesConfig& config,
                               const BoundarySource& boundaries) {
  const MimeMessage& message = prepared.message;
  SesSendEmail out;
  Json& body = out.body;
  body = Json::object();
  body["FromEmailAddress"] = SesAddress(message.from);
  Json destination = {{"ToAddresses", AddressList(message.to)}};
  if (!message.cc.empty()) destination["CcAddresses"] = AddressList(message.cc);
  if (!message.bcc.empty()) destination["BccAddresses"] = AddressList(message.bcc);
  body["Destination"] = destination;
  if (!message.reply_to.empty()) body["ReplyToAddresses"] = AddressList(message.reply_to);

  const std::string set = prepared.ses.configuration_set.value_or(config.configuration_set);
  if (!set.empty()) body["ConfigurationSetName"] = set;
  std::map<std::string, std::string> tags(config.tags.begin(), config.tags.end());
  for (const auto& [name, value] : prepared.ses.tags) tags[name] = value;
  if (!tags.empty()) {
    Json list = Json::array();
    for (const auto& [name, value] : tags) list.push_back({{"Name", name}, {"Value", value}});
    body["EmailTags"] = list;
  }

  const auto headers = ExtraHeaders(message);
  const std::string misfit = HeaderSesCannotCarry(headers);
  if (prepared.ses.template_name) {
    if (!misfit.empty() || headers.size() > kMaxSimpleHeaders) {
      throw Error::Permanent(
          "invalid_header",
          (misfit.empty() ? "more than 15 headers"
                          : "the header `" + misfit + "` (not printable ASCII, or too long)") +
              " cannot go with `ses_template`: SES takes at most 15 printable ASCII headers "
              "with a template");
    }
    out.content = SesContent::kTemplate;
    Json content = {{"TemplateName", *prepared.ses.template_name},
                    {"TemplateData", prepared.ses.template_data.dump()}};
    if (!headers.empty()) content["Headers"] = HeadersJson(headers);
    body["Content"] = {{"Template", content}};
    out.message_bytes = content["TemplateData"].get<std::string>().size();
    return out;
  }

  if (message.attachments.empty() && misfit.empty() && headers.size() <= kMaxSimpleHeaders) {
    out.content = SesContent::kSimple;
    Json simple = {{"Subject", Utf8(message.subject)}, {"Body", Json::object()}};
    if (message.text) simple["Body"]["Text"] = Utf8(*message.text);
    if (message.html) simple["Body"]["Html"] = Utf8(*message.html);
    if (!headers.empty()) simple["Headers"] = HeadersJson(headers);
    body["Content"] = {{"Simple", simple}};
    out.message_bytes = message.subject.size() + message.text.value_or("").size() +
                        message.html.value_or("").size();
    return out;
  }

  // Raw: the envelope is Destination (Bcc is not in the headers).
  out.content = SesContent::kRaw;
  MimeMessage mime = message;
  mime.include_bcc = false;
  const std::string data = BuildMime(mime, boundaries);
  out.message_bytes = data.size();
  body["Content"] = {{"Raw", {{"Data", storage::Base64Encode(data)}}}};
  return out;
}

}  // namespace storeflow::plugins::email
