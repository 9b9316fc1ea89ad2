#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "address.h"
#include "credential_source.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

enum class StartTls { kRequired, kOptional, kOff };
enum class AuthMethod { kAuto, kPlain, kLogin };

struct SmtpConfig {
  std::string host;
  int port = 587;
  bool tls = false;  // implicit TLS (port 465 style)
  StartTls starttls = StartTls::kRequired;
  std::string username;         // empty: no AUTH
  std::string password_secret;  // secret name, read through Host::Secret
  AuthMethod auth = AuthMethod::kAuto;
  std::string helo_name = "storeflow.local";
  std::int64_t connect_timeout_ms = 10000;
  std::int64_t command_timeout_ms = 60000;
  std::string ca_file;  // empty: the system's CA certificates
  bool insecure_skip_verify = false;
};

struct OutboxConfig {
  std::string folder = "var/outbox";
  bool fsync = true;
};

// The ses transport: SES v2 SendEmail, signed with SigV4 (plugins/aws).
struct SesConfig {
  std::string region;    // "": AWS_REGION, else AWS_DEFAULT_REGION (read at start)
  std::string endpoint;  // "": https://email.<region>.amazonaws.com
  aws::CredentialSecretNames credentials;                 // all empty: the AWS_* environment
  std::string configuration_set;                          // ConfigurationSetName; "" for none
  std::vector<std::pair<std::string, std::string>> tags;  // EmailTags, sorted by name
  std::int64_t timeout_ms = 10000;
};

struct EmailConfig {
  enum class Transport { kSmtp, kOutbox, kSes };
  Transport transport = Transport::kOutbox;
  SmtpConfig smtp;
  OutboxConfig outbox;
  SesConfig ses;
  std::optional<Mailbox> default_from;
  std::string templates_dir;  // empty: the `template` input is refused
  std::string storage_root = "var/storage";
  std::string message_id_domain = "storeflow.local";
  std::int64_t max_message_bytes = 20 * 1024 * 1024;
};

// Reads the plugin config (already validated against config_schema by the host;
// checked again here). Throws Error::Permanent("invalid_config") naming the key.
EmailConfig ParseEmailConfig(const sdk::Json& config);

const char* TransportName(EmailConfig::Transport transport);

}  // namespace storeflow::plugins::email
