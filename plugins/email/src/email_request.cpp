#include "email_request.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "attachments.h"
#include "custom_headers.h"
#include "email_template.h"
#include "json_input.h"
#include "message_id.h"
#include "ses_request.h"

namespace storeflow::plugins::email {
namespace {

using sdk::Error;
using sdk::Json;
using storage::OptionalString;

std::vector<Mailbox> ParseList(const Json& input, const std::string& field, bool required) {
  std::vector<Mailbox> out;
  auto it = input.find(field);
  if (it == input.end() || it->is_null()) {
    if (required) throw Error::Permanent("invalid_input", "`" + field + "` is required");
    return out;
  }
  if (it->is_string()) {
    out.push_back(ParseMailbox(it->get<std::string>(), field));
  } else if (it->is_array()) {
    for (std::size_t i = 0; i < it->size(); ++i) {
      const Json& item = (*it)[i];
      std::string name = field + "[" + std::to_string(i) + "]";
      if (!item.is_string())
        throw Error::Permanent("invalid_input", "`" + name + "` must be a string");
      out.push_back(ParseMailbox(item.get<std::string>(), name));
    }
  } else {
    throw Error::Permanent("invalid_input", "`" + field + "` must be an address or a list of them");
  }
  if (required && out.empty()) {
    throw Error::Permanent("invalid_input", "`" + field + "` needs at least one address");
  }
  return out;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

PreparedEmail PrepareEmail(const Json& input, const EmailConfig& config, const sdk::Host& host,
                           const sdk::Call& call) {
  if (!input.is_object()) throw Error::Permanent("invalid_input", "the input must be an object");
  PreparedEmail prepared;
  MimeMessage& message = prepared.message;

  message.to = ParseList(input, "to", true);
  message.cc = ParseList(input, "cc", false);
  message.bcc = ParseList(input, "bcc", false);
  message.reply_to = ParseList(input, "reply_to", false);
  if (auto from = OptionalString(input, "from")) {
    message.from = ParseMailbox(*from, "from");
  } else if (config.default_from) {
    message.from = *config.default_from;
  } else {
    throw Error::Permanent("missing_from",
                           "no sender: give `from` in the input or `from` in the plugin config");
  }

  auto subject = OptionalString(input, "subject");
  auto text = OptionalString(input, "text");
  auto html = OptionalString(input, "html");
  auto template_name = OptionalString(input, "template");
  prepared.ses = ParseSesRequest(input);
  const bool ses_template = prepared.ses.template_name.has_value();
  if (ses_template) {
    if (config.transport != EmailConfig::Transport::kSes) {
      throw Error::Permanent("invalid_input",
                             "`ses_template` needs the ses transport (the plugin config has "
                             "`transport: " +
                                 std::string(TransportName(config.transport)) +
                                 "`); use `template` for a local template");
    }
    for (const char* field : {"subject", "text", "html", "template", "data"}) {
      if (input.contains(field) && !input[field].is_null()) {
        throw Error::Permanent("invalid_input", "`" + std::string(field) +
                                                    "` cannot be combined with `ses_template`: "
                                                    "SES renders the subject and bodies");
      }
    }
    if (input.contains("attachments") && !input["attachments"].is_null() &&
        !input["attachments"].empty()) {
      throw Error::Permanent("invalid_input",
                             "`attachments` cannot be combined with `ses_template`; render "
                             "the message locally with `template` instead");
    }
  } else if (template_name) {
    Json data = input.contains("data") ? input["data"] : Json::object();
    if (!data.is_object()) throw Error::Permanent("invalid_input", "`data` must be an object");
    RenderedTemplate rendered =
        RenderNamedTemplate(host, config.templates_dir, *template_name, data);
    if (!subject) subject = rendered.subject;
    if (!text) text = rendered.text;
    if (!html) html = rendered.html;
  } else if (input.contains("data") && !input["data"].is_null()) {
    throw Error::Permanent("invalid_input", "`data` is only used with `template`");
  }
  if (!subject && !ses_template) {
    throw Error::Permanent("missing_subject",
                           "no subject: give `subject`, or a template with a .subject.txt file");
  }
  if (subject) CheckHeaderValue(*subject, "the subject");
  if (!text && !html && !ses_template) {
    throw Error::Permanent("missing_body",
                           "no body: give `text`, `html`, or a template with "
                           "a .txt or .html file");
  }
  message.subject = subject.value_or("");
  message.text = std::move(text);
  message.html = std::move(html);
  message.headers = ParseCustomHeaders(input.contains("headers") ? input["headers"] : Json());
  message.attachments = LoadAttachments(
      input.contains("attachments") ? input["attachments"] : Json(), config.storage_root);

  message.idempotency_key = call.idempotency_key;
  CheckHeaderValue(message.idempotency_key, "the idempotency key");
  message.message_id = MessageIdFor(call.idempotency_key, config.message_id_domain);
  message.date_ms = call.now_ms > 0 ? call.now_ms : host.NowMs();

  prepared.envelope.from = message.from.address;
  std::set<std::string> seen;
  for (const auto* list : {&message.to, &message.cc, &message.bcc}) {
    for (const Mailbox& mailbox : *list) {
      if (seen.insert(Lower(mailbox.address)).second) {
        prepared.envelope.to.push_back(mailbox.address);
      }
    }
  }
  return prepared;
}

}  // namespace storeflow::plugins::email
