#include "smtp_transport.h"

#include <algorithm>
#include <filesystem>

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SSLException.h>

#include "base64.h"
#include "smtp_session.h"

namespace storeflow::plugins::email {
namespace {

using sdk::Error;

std::string Where(const SmtpConfig& config) {
  return config.host + ":" + std::to_string(config.port);
}

// A reply that is not what the stage needed, as a classified error.
[[noreturn]] void Fail(const SmtpReply& reply, std::string_view stage, const SmtpConfig& config) {
  std::string where = "SMTP server " + Where(config);
  if (reply.code == 0) {
    throw Error::Retryable("smtp_connection_lost",
                           where + " closed the connection during " + std::string(stage));
  }
  std::string message = where + " refused " + std::string(stage) + ": " + reply.Summary();
  std::string code = "smtp_" + std::to_string(reply.code);
  if (reply.code >= 400 && reply.code < 500) throw Error::Retryable(code, message);
  if (reply.code >= 500) throw Error::Permanent(code, message);
  throw Error::Permanent("smtp_protocol", where + " answered " + std::string(stage) +
                                              " with an unexpected reply: " + reply.Summary());
}

// A failed TLS handshake: an unaccepted certificate or protocol mismatch is
// permanent; a connection that ends during the handshake is retryable.
Error TlsError(const Poco::Net::SSLException& e, const SmtpConfig& config) {
  std::string where = "SMTP server " + Where(config);
  if (dynamic_cast<const Poco::Net::CertificateValidationException*>(&e) != nullptr ||
      e.displayText().find("certificate verify failed") != std::string::npos) {
    return Error::Permanent("smtp_tls", where + ": the TLS certificate was not accepted (" +
                                            e.displayText() +
                                            "); set `smtp.ca_file` to the CA that signed it");
  }
  if (e.displayText().find("unexpected eof") != std::string::npos ||
      e.displayText().find("reset") != std::string::npos) {
    return Error::Retryable("smtp_connection_lost",
                            where + " closed the connection during the TLS handshake");
  }
  return Error::Permanent("smtp_tls", where + ": the TLS handshake failed (" + e.displayText() +
                                          "); check `smtp.tls`/`smtp.starttls` and the server's "
                                          "TLS settings");
}

}  // namespace

// The dialogue for one message over one connection.
class SmtpTransport::Conversation {
 public:
  Conversation(const SmtpTransport& transport, const SmtpConfig& config, SmtpSession& session)
      : transport_(transport), config_(config), session_(session), encrypted_(config.tls) {}

  SendResult Run(const OutgoingMessage& message) {
    Expect(session_.ReadReply(), "the connection (greeting)", 220);
    Hello();
    if (!config_.tls) MaybeStartTls();
    if (!config_.username.empty()) Authenticate();

    std::string mail_from = "MAIL FROM:<" + message.envelope.from + ">";
    if (auto limit = session_.SizeLimit()) {  // RFC 1870
      if (*limit > 0 && message.data.size() > *limit) {
        throw Error::Permanent("too_large", "SMTP server " + Where(config_) + " accepts at most " +
                                                std::to_string(*limit) +
                                                " bytes; the message has " +
                                                std::to_string(message.data.size()));
      }
      mail_from += " SIZE=" + std::to_string(message.data.size());
    }
    SmtpReply mail = session_.Command(mail_from);
    if (!mail.positive()) Fail(mail, "the sender (MAIL FROM)", config_);

    SendResult result;
    std::vector<std::pair<std::string, SmtpReply>> refused;
    for (const std::string& rcpt : message.envelope.to) {
      SmtpReply reply = session_.Command("RCPT TO:<" + rcpt + ">");
      if (reply.positive()) {
        result.accepted.push_back(rcpt);
      } else if (reply.code == 0) {
        Fail(reply, "the recipients (RCPT TO)", config_);
      } else {
        refused.emplace_back(rcpt, reply);
      }
    }
    if (!refused.empty()) RefuseRecipients(refused);

    SmtpReply data = session_.Command("DATA");
    if (!data.intermediate()) Fail(data, "the message (DATA)", config_);
    SmtpReply done = session_.SendData(message.data);
    if (!done.positive()) Fail(done, "the message content", config_);
    result.detail = done.Summary();
    return result;
  }

 private:
  void Expect(const SmtpReply& reply, std::string_view stage, int wanted) {
    if (reply.code != wanted) Fail(reply, stage, config_);
  }

  void Hello() {
    SmtpReply reply = session_.Ehlo(config_.helo_name);
    if (reply.code == 500 || reply.code == 502) {
      reply = session_.Command("HELO " + config_.helo_name);  // an RFC 821 server
    }
    if (!reply.positive()) Fail(reply, "the greeting (EHLO)", config_);
  }

  void MaybeStartTls() {
    if (config_.starttls == StartTls::kOff) return;
    if (!session_.HasCapability("STARTTLS")) {
      if (config_.starttls == StartTls::kOptional) return;
      throw Error::Permanent("smtp_tls", "SMTP server " + Where(config_) +
                                             " does not offer STARTTLS, and the config says "
                                             "`smtp.starttls: required`");
    }
    SmtpReply reply = session_.Command("STARTTLS");
    if (reply.code != 220) Fail(reply, "STARTTLS", config_);
    try {
      session_.UpgradeToTls(config_.host, transport_.context_);
      encrypted_ = true;
    } catch (const Poco::Net::SSLException& e) {
      throw TlsError(e, config_);
    }
    Hello();
  }

  void Authenticate() {
    // `optional` must not become a way to leak the password: without TLS, only an
    // explicit `starttls: off` allows AUTH.
    if (!encrypted_ && config_.starttls != StartTls::kOff) {
      throw Error::Permanent("smtp_tls", "SMTP server " + Where(config_) +
                                             " did not offer STARTTLS; the password is not sent "
                                             "unencrypted (set `smtp.starttls: off` to allow it)");
    }
    bool plain = session_.SupportsAuth("PLAIN");
    bool login = session_.SupportsAuth("LOGIN");
    AuthMethod method = config_.auth;
    if (method == AuthMethod::kAuto) {
      if (!plain && !login) {
        throw Error::Permanent("smtp_auth_unavailable",
                               "SMTP server " + Where(config_) +
                                   " offers neither AUTH PLAIN nor AUTH LOGIN (it may only offer "
                                   "them after STARTTLS), but `smtp.username` is set");
      }
      method = plain ? AuthMethod::kPlain : AuthMethod::kLogin;
    }
    std::string password = transport_.Password();
    SmtpReply reply;
    if (method == AuthMethod::kPlain) {
      std::string credentials = std::string(1, '\0') + config_.username + '\0' + password;
      reply = session_.Command("AUTH PLAIN " + storage::Base64Encode(credentials));
    } else {
      reply = session_.Command("AUTH LOGIN");
      if (reply.intermediate()) reply = session_.Command(storage::Base64Encode(config_.username));
      if (reply.intermediate()) reply = session_.Command(storage::Base64Encode(password));
    }
    if (reply.positive()) return;
    if (reply.code == 535 || reply.code == 534 || reply.code == 530) {
      throw Error::Permanent("smtp_auth", "SMTP server " + Where(config_) +
                                              " refused the credentials of user \"" +
                                              config_.username + "\": " + reply.Summary() +
                                              " (check `smtp.username` and the secret `" +
                                              config_.password_secret + "`)");
    }
    Fail(reply, "authentication (AUTH)", config_);
  }

  [[noreturn]] void RefuseRecipients(
      const std::vector<std::pair<std::string, SmtpReply>>& refused) {
    std::string list;
    for (const auto& [rcpt, reply] : refused) {
      if (!list.empty()) list += "; ";
      list += "<" + rcpt + ">: " + reply.Summary();
    }
    try {
      session_.Command("RSET");  // courtesy only: the connection is closed next anyway
    } catch (const Poco::Exception&) {
    }
    const SmtpReply& first = refused.front().second;
    std::string message = "SMTP server " + Where(config_) + " refused " +
                          std::to_string(refused.size()) +
                          " recipient(s), nothing was sent: " + list;
    // One recipient that can never work makes the whole step fail for good.
    for (const auto& [rcpt, reply] : refused) {
      if (reply.code >= 500) {
        throw Error::Permanent("smtp_" + std::to_string(reply.code), message);
      }
    }
    throw Error::Retryable("smtp_" + std::to_string(first.code), message);
  }

  const SmtpTransport& transport_;
  const SmtpConfig& config_;
  SmtpSession& session_;
  bool encrypted_;  // implicit TLS or STARTTLS done
};

SmtpTransport::SmtpTransport(const SmtpConfig& config, const sdk::Host& host)
    : config_(config), host_(host) {
  Poco::Net::initializeSSL();  // reference-counted; never uninitialized here (the engine owns SSL)
  if (!config_.ca_file.empty() && !std::filesystem::exists(config_.ca_file)) {
    throw Error::Permanent("invalid_config",
                           "`smtp.ca_file` " + config_.ca_file + " does not exist");
  }
  auto verification = config_.insecure_skip_verify ? Poco::Net::Context::VERIFY_NONE
                                                   : Poco::Net::Context::VERIFY_RELAXED;
  try {
    context_ = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", config_.ca_file,
                                      verification, 9, config_.ca_file.empty());
    context_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  } catch (const Poco::Exception& e) {
    throw Error::Permanent("smtp_tls", "cannot set up TLS for SMTP: " + e.displayText());
  }
  if (!config_.username.empty() && !host_.Secret(config_.password_secret)) {
    throw Error::Permanent("missing_secret",
                           "the secret `" + config_.password_secret +
                               "` (config smtp.password_secret) is not defined: add it under "
                               "`secrets:` or set STOREFLOW_SECRET_" +
                               config_.password_secret);
  }
}

std::string SmtpTransport::Password() const {
  auto password = host_.Secret(config_.password_secret);
  if (!password) {
    throw Error::Permanent("missing_secret",
                           "the secret `" + config_.password_secret + "` is not defined");
  }
  return *password;
}

SendResult SmtpTransport::Send(const OutgoingMessage& message, const sdk::Call& call) {
  // Never wait past the step's deadline (engine clock): cap both timeouts.
  SmtpConfig config = config_;
  if (call.deadline_ms) {
    std::int64_t left = *call.deadline_ms - host_.NowMs();
    if (left > 0) {
      std::int64_t cap = std::max<std::int64_t>(left, 1000);
      config.connect_timeout_ms = std::min(config.connect_timeout_ms, cap);
      config.command_timeout_ms = std::min(config.command_timeout_ms, cap);
    }
  }
  const std::string where = "SMTP server " + Where(config_);
  try {
    std::unique_ptr<SmtpSession> session;
    try {
      session = SmtpSession::Connect(config, context_);  // with tls: the handshake too
    } catch (const Poco::Net::SSLException& e) {
      throw TlsError(e, config_);
    }
    try {
      Conversation conversation(*this, config, *session);
      SendResult result = conversation.Run(message);
      session->Close();
      return result;
    } catch (const Error& e) {
      // After a refusal say QUIT; after a broken connection just drop it.
      if (e.code() == "smtp_connection_lost") session->Abort();
      throw;
    } catch (const Poco::Exception&) {
      session->Abort();  // timeouts, resets: nothing more to say on this connection
      throw;
    }
  } catch (const Error&) {
    throw;
  } catch (const Poco::TimeoutException& e) {
    throw Error::Retryable("smtp_timeout", where + " did not answer in time: " + e.displayText());
  } catch (const Poco::Net::SSLException& e) {
    // After the handshake: the encrypted connection broke.
    throw Error::Retryable("smtp_connection_lost", where + ": " + e.displayText());
  } catch (const Poco::Net::ConnectionRefusedException&) {
    throw Error::Retryable("smtp_connect", "cannot connect to " + where + ": connection refused");
  } catch (const Poco::Net::HostNotFoundException& e) {
    throw Error::Retryable("smtp_connect",
                           "cannot resolve the SMTP host " + config_.host + ": " + e.displayText());
  } catch (const Poco::Net::NetException& e) {
    throw Error::Retryable("smtp_connection_lost", where + ": " + e.displayText());
  } catch (const Poco::IOException& e) {
    throw Error::Retryable("smtp_connection_lost", where + ": " + e.displayText());
  } catch (const Poco::Exception& e) {
    throw Error::Retryable("smtp_error", where + ": " + e.displayText());
  }
}

}  // namespace storeflow::plugins::email
