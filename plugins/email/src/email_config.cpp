#include "email_config.h"

#include "json_input.h"
#include "ses_request.h"

namespace storeflow::plugins::email {
namespace {

using sdk::Error;
using sdk::Json;
using storage::OptionalBool;
using storage::OptionalInteger;
using storage::OptionalString;

[[noreturn]] void Invalid(const std::string& message) {
  throw Error::Permanent("invalid_config", message);
}

// Runs `read` so that a wrong-type error is an `invalid_config` error naming the
// key with its section ("`smtp.port` must be an integer").
template <typename Fn>
auto InSection(std::string_view section, Fn&& read) {
  try {
    return read();
  } catch (const Error& e) {
    std::string message = e.what();
    if (e.code() == "invalid_input" && !section.empty() && message.starts_with("`")) {
      message = "`" + std::string(section) + "." + message.substr(1);
    }
    throw Error::Permanent("invalid_config", message);
  }
}

std::int64_t Positive(const Json& object, std::string_view field, std::int64_t fallback,
                      std::string_view where) {
  auto value = OptionalInteger(object, field).value_or(fallback);
  if (value <= 0) Invalid("`" + std::string(where) + "` must be a positive number");
  return value;
}

SmtpConfig ParseSmtp(const Json& smtp) {
  SmtpConfig config;
  config.host = OptionalString(smtp, "host").value_or("");
  config.tls = OptionalBool(smtp, "tls").value_or(false);
  config.port = static_cast<int>(OptionalInteger(smtp, "port").value_or(config.tls ? 465 : 587));
  if (config.port < 1 || config.port > 65535) Invalid("`smtp.port` must be between 1 and 65535");
  std::string starttls = OptionalString(smtp, "starttls").value_or("required");
  if (starttls == "required") {
    config.starttls = StartTls::kRequired;
  } else if (starttls == "optional") {
    config.starttls = StartTls::kOptional;
  } else if (starttls == "off") {
    config.starttls = StartTls::kOff;
  } else {
    Invalid("`smtp.starttls` is \"" + starttls + "\"; valid: required, optional, off");
  }
  config.username = OptionalString(smtp, "username").value_or("");
  config.password_secret = OptionalString(smtp, "password_secret").value_or("");
  if (!config.username.empty() && config.password_secret.empty()) {
    Invalid(
        "`smtp.username` is set but `smtp.password_secret` is not: name the secret that "
        "holds the password");
  }
  std::string auth = OptionalString(smtp, "auth").value_or("auto");
  if (auth == "auto") {
    config.auth = AuthMethod::kAuto;
  } else if (auth == "plain") {
    config.auth = AuthMethod::kPlain;
  } else if (auth == "login") {
    config.auth = AuthMethod::kLogin;
  } else {
    Invalid("`smtp.auth` is \"" + auth + "\"; valid: auto, plain, login");
  }
  config.helo_name = OptionalString(smtp, "helo_name").value_or(config.helo_name);
  config.connect_timeout_ms =
      Positive(smtp, "connect_timeout_ms", config.connect_timeout_ms, "smtp.connect_timeout_ms");
  config.command_timeout_ms =
      Positive(smtp, "command_timeout_ms", config.command_timeout_ms, "smtp.command_timeout_ms");
  config.ca_file = OptionalString(smtp, "ca_file").value_or("");
  config.insecure_skip_verify = OptionalBool(smtp, "insecure_skip_verify").value_or(false);
  return config;
}

SesConfig ParseSes(const Json& ses) {
  SesConfig config;
  if (!ses.is_object()) Invalid("`ses` must be an object");
  config.region = OptionalString(ses, "region").value_or("");
  if (!config.region.empty() && !aws::IsRegionName(config.region)) {
    Invalid("`ses.region` \"" + config.region + "\" is not a region name such as eu-west-1");
  }
  config.endpoint = OptionalString(ses, "endpoint").value_or("");
  while (!config.endpoint.empty() && config.endpoint.back() == '/') config.endpoint.pop_back();
  auto credentials = aws::ParseCredentialSecretNames(
      ses.contains("credentials") ? ses["credentials"] : Json(), "`ses.credentials`");
  if (!credentials.ok()) Invalid(credentials.status().message());
  config.credentials = *credentials;
  config.configuration_set = OptionalString(ses, "configuration_set").value_or("");
  if (!config.configuration_set.empty()) {
    CheckSesConfigurationSet(config.configuration_set,
                             "configuration_set");  // InSection adds "ses."
  }
  if (ses.contains("tags")) config.tags = ParseSesTags(ses["tags"], "tags");
  config.timeout_ms = Positive(ses, "timeout_ms", config.timeout_ms, "ses.timeout_ms");
  return config;
}

}  // namespace

const char* TransportName(EmailConfig::Transport transport) {
  switch (transport) {
    case EmailConfig::Transport::kSmtp: return "smtp";
    case EmailConfig::Transport::kSes: return "ses";
    case EmailConfig::Transport::kOutbox: break;
  }
  return "outbox";
}

EmailConfig ParseEmailConfig(const Json& config) {
  if (!config.is_null() && !config.is_object()) Invalid("the email config must be an object");
  EmailConfig out = InSection("", [&] {
    EmailConfig top;
    std::string transport = OptionalString(config, "transport").value_or("outbox");
    if (transport == "smtp") {
      top.transport = EmailConfig::Transport::kSmtp;
    } else if (transport == "ses") {
      top.transport = EmailConfig::Transport::kSes;
    } else if (transport != "outbox") {
      Invalid("`transport` is \"" + transport + "\"; valid: smtp, ses, outbox");
    }
    if (auto from = OptionalString(config, "from")) top.default_from = ParseMailbox(*from, "from");
    top.templates_dir = OptionalString(config, "templates_dir").value_or("");
    top.storage_root = OptionalString(config, "storage_root").value_or(top.storage_root);
    top.message_id_domain =
        OptionalString(config, "message_id_domain").value_or(top.message_id_domain);
    if (top.message_id_domain.empty() ||
        top.message_id_domain.find_first_of("<>@ \t\r\n") != std::string::npos) {
      Invalid("`message_id_domain` must be a host name such as shop.example.com");
    }
    top.max_message_bytes =
        Positive(config, "max_message_bytes", top.max_message_bytes, "max_message_bytes");
    return top;
  });
  if (config.is_object() && config.contains("smtp")) {
    out.smtp = InSection("smtp", [&] { return ParseSmtp(config["smtp"]); });
  }
  if (out.transport == EmailConfig::Transport::kSmtp && out.smtp.host.empty()) {
    Invalid("`transport` is smtp but `smtp.host` is not set");
  }
  if (config.is_object() && config.contains("ses")) {
    out.ses = InSection("ses", [&] { return ParseSes(config["ses"]); });
  }
  if (config.is_object() && config.contains("outbox")) {
    const Json& outbox = config["outbox"];
    out.outbox = InSection("outbox", [&] {
      OutboxConfig parsed;
      parsed.folder = OptionalString(outbox, "folder").value_or(parsed.folder);
      parsed.fsync = OptionalBool(outbox, "fsync").value_or(true);
      return parsed;
    });
    if (out.outbox.folder.empty()) Invalid("`outbox.folder` is empty");
  }
  return out;
}

}  // namespace storeflow::plugins::email
