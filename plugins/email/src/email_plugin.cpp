#include "email_plugin.h"

#include <chrono>

#include "email_manifest.h"
#include "email_request.h"
#include "outbox_transport.h"
#include "ses_request.h"
#include "smtp_transport.h"

namespace storeflow::plugins::email {
namespace {

using sdk::Error;
using sdk::Json;

std::unique_ptr<MailTransport> MakeTransport(const EmailConfig& config, const sdk::Host& host) {
  switch (config.transport) {
    case EmailConfig::Transport::kSmtp: return std::make_unique<SmtpTransport>(config.smtp, host);
    case EmailConfig::Transport::kOutbox: return std::make_unique<OutboxTransport>(config.outbox);
    case EmailConfig::Transport::kSes: break;
  }
  return nullptr;
}

std::unique_ptr<SesTransport> MakeSes(const EmailConfig& config, const sdk::Host& host) {
  if (config.transport != EmailConfig::Transport::kSes) return nullptr;
  return std::make_unique<SesTransport>(config.ses, host);
}

void CheckSize(std::size_t bytes, std::int64_t limit) {
  if (static_cast<std::int64_t>(bytes) > limit) {
    throw Error::Permanent("too_large", "the message is " + std::to_string(bytes) +
                                            " bytes encoded, more than `max_message_bytes` (" +
                                            std::to_string(limit) + ")");
  }
}

}  // namespace

EmailPlugin::EmailPlugin(sdk::Host& host, const Json& config)
    : host_(host),
      config_(ParseEmailConfig(config)),
      transport_(MakeTransport(config_, host)),
      ses_(MakeSes(config_, host)) {}

Json EmailPlugin::Invoke(std::string_view action, const Json& input, const sdk::Call& call) {
  if (action == "email.send") return Send(input, call);
  throw Error::Permanent("unknown_action", "the email plugin has no action \"" +
                                               std::string(action) + "\"; it has email.send");
}

Json EmailPlugin::SendMime(PreparedEmail& prepared, const sdk::Call& call) {
  prepared.message.include_bcc = config_.transport == EmailConfig::Transport::kOutbox;
  OutgoingMessage outgoing{prepared.envelope, BuildMime(prepared.message),
                           prepared.message.message_id, prepared.message.idempotency_key};
  CheckSize(outgoing.data.size(), config_.max_message_bytes);
  if (call.previous_attempt == STOREFLOW_PREVIOUS_UNKNOWN &&
      config_.transport != EmailConfig::Transport::kOutbox) {
    // SMTP cannot say whether the interrupted attempt was delivered.
    host_.Warn(
        "the previous attempt was interrupted; SMTP cannot tell whether it was "
        "delivered, so this one may be a duplicate (same Message-ID " +
            outgoing.message_id + ")",
        &call);
  }
  SendResult result = transport_->Send(outgoing, call);
  Json out{{"message_id", outgoing.message_id}, {"accepted", result.accepted}};
  if (config_.transport == EmailConfig::Transport::kOutbox) {
    out["path"] = result.detail;
  } else {
    out["smtp_reply"] = result.detail;
  }
  return out;
}

Json EmailPlugin::SendSes(const PreparedEmail& prepared, const sdk::Call& call) {
  SesSendEmail request = BuildSesSendEmail(prepared, config_.ses);
  CheckSize(request.message_bytes, config_.max_message_bytes);
  if (call.previous_attempt == STOREFLOW_PREVIOUS_UNKNOWN) {
    // SendEmail has no idempotency token.
    host_.Warn(
        "the previous attempt was interrupted; SES cannot tell whether it was sent, so "
        "this one may be a duplicate (same X-Storeflow-Idempotency-Key header)",
        &call);
  }
  SesSendResult result = ses_->Send(request, prepared, call);
  return Json{{"message_id", result.message_id},
              {"accepted", prepared.envelope.to},
              {"content", SesContentName(request.content)}};
}

Json EmailPlugin::Send(const Json& input, const sdk::Call& call) {
  const std::string transport = TransportName(config_.transport);
  const auto started = std::chrono::steady_clock::now();
  try {
    PreparedEmail prepared = PrepareEmail(input, config_, host_, call);
    Json out = config_.transport == EmailConfig::Transport::kSes ? SendSes(prepared, call)
                                                                 : SendMime(prepared, call);
    out["transport"] = transport;

    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    host_.CounterAdd("messages_sent", Json{{"transport", transport}});
    host_.Observe("send_seconds", seconds, Json{{"transport", transport}});
    host_.Info("sent " + out["message_id"].get<std::string>() + " to " +
                   std::to_string(out["accepted"].size()) + " recipient(s) via " + transport,
               &call);
    return out;
  } catch (const Error& e) {
    host_.CounterAdd("messages_failed", Json{{"transport", transport}, {"code", e.code()}});
    host_.Warn("email.send failed (" + e.code() + "): " + e.what(), &call);
    throw;
  }
}

}  // namespace storeflow::plugins::email

STOREFLOW_PLUGIN(storeflow::plugins::email::EmailPlugin, STOREFLOW_PLUGIN_NAME,
                 STOREFLOW_PLUGIN_VERSION, storeflow::plugins::email::kEmailManifest)
