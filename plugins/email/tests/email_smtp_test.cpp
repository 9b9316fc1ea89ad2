// email.send over SMTP against the real recording peer (tools/peers/smtp-peer.mjs):
// envelope, headers, MIME structure, STARTTLS, AUTH, 4xx/5xx classification,
// server down then up. The shared peer is used concurrently by other test
// processes: every test uses its own recipients and never changes peer state;
// tests that take a server down start their own.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "base64.h"
#include "email_host.h"
#include "message_id.h"
#include "mime_reader.h"
#include "smtp_peer.h"

namespace storeflow::plugins::email {
namespace {

using testing::DecodeHeader;
using testing::EmailHost;
using testing::Json;
using testing::LoadEmail;
using testing::MessagesTo;
using testing::OwnPeer;
using testing::ParseMime;
using testing::PeerEndpoint;
using testing::Reply;
using testing::UniqueTag;

Json SmtpConfig(const PeerEndpoint& peer, Json smtp_extra = Json::object()) {
  Json smtp = {{"host", peer.host},          {"port", peer.port},
               {"starttls", "required"},     {"insecure_skip_verify", true},
               {"connect_timeout_ms", 3000}, {"command_timeout_ms", 5000}};
  if (!peer.user.empty()) {
    smtp["username"] = peer.user;
    smtp["password_secret"] = "smtp_password";
  }
  smtp.update(smtp_extra);
  return Json{{"transport", "smtp"}, {"smtp", smtp}, {"message_id_domain", "shop.example"}};
}

class EmailSmtpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto peer = testing::SharedPeer();
    if (!peer) {
      if (testing::PeersOff()) GTEST_SKIP() << "STOREFLOW_TEST_PEERS=off";
      FAIL() << testing::MissingPeerMessage();
    }
    peer_ = *peer;
    tag_ = UniqueTag(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  // The plugin with `config`, its secret smtp_password `password` (default: the
  // peer's); null when it did not start (`init` says why).
  EmailHost* Start(const Json& config, Reply* init = nullptr, const std::string& password = "") {
    auto host = LoadEmail(config, {{"smtp_password", password.empty() ? peer_.pass : password}});
    if (init != nullptr) *init = host->init_error();
    EXPECT_TRUE(host->loaded() || init != nullptr) << host->error();
    if (!host->loaded()) return nullptr;
    hosts_.push_back(std::move(host));
    return hosts_.back().get();
  }

  std::string Addr(const std::string& who) const { return who + "-" + tag_ + "@example.test"; }

  Reply Send(EmailHost& instance, const Json& input, const std::string& key = "") {
    return testing::SendEmail(instance, input, key.empty() ? "run/" + tag_ : key);
  }

  PeerEndpoint peer_;
  std::string tag_;
  std::vector<std::unique_ptr<EmailHost>> hosts_;
};

TEST_F(EmailSmtpTest, DeliversOverStartTlsWithAuthPlain) {
  auto email = Start(SmtpConfig(peer_, {{"auth", "plain"}}));
  ASSERT_TRUE(email);
  std::string subject = "Bestellung " + tag_ + " bestätigt ✓";
  Reply reply = Send(*email, {{"from", "Shop <shop@example.com>"},
                              {"to", "Zoë <" + Addr("to") + ">"},
                              {"cc", Json::array({Addr("cc")})},
                              {"bcc", Addr("bcc")},
                              {"reply_to", "help@example.com"},
                              {"subject", subject},
                              {"text", "Grüße,\nyour order is confirmed.\n.\nBye"},
                              {"headers", {{"X-Campaign", "spring"}}}});
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(reply.output["transport"], "smtp");
  EXPECT_EQ(reply.output["accepted"], Json::array({Addr("to"), Addr("cc"), Addr("bcc")}));
  EXPECT_EQ(reply.output["message_id"], MessageIdFor("run/" + tag_, "shop.example"));
  EXPECT_TRUE(reply.output["smtp_reply"].get<std::string>().starts_with("250")) << reply.output;

  Json messages = MessagesTo(peer_, Addr("to"));
  ASSERT_EQ(messages.size(), 1u) << messages.dump();
  const Json& got = messages[0];
  EXPECT_EQ(got["envelope"]["from"], "shop@example.com");
  EXPECT_EQ(got["envelope"]["to"], Json::array({Addr("to"), Addr("cc"), Addr("bcc")}));
  EXPECT_EQ(got["secure"], true) << "STARTTLS was required";
  EXPECT_EQ(got["authUser"], peer_.user);

  auto mime = ParseMime(got["raw"].get<std::string>());
  EXPECT_EQ(mime.Header("From"), "Shop <shop@example.com>");
  EXPECT_EQ(DecodeHeader(mime.Header("To")), "Zoë <" + Addr("to") + ">");
  EXPECT_EQ(mime.Header("Cc"), "<" + Addr("cc") + ">");
  EXPECT_EQ(mime.HeaderCount("Bcc"), 0) << "Bcc must not be on the wire";
  EXPECT_EQ(mime.Header("Reply-To"), "<help@example.com>");
  EXPECT_EQ(DecodeHeader(mime.Header("Subject")), subject);
  EXPECT_EQ(mime.Header("Message-ID"), reply.output["message_id"]);
  EXPECT_EQ(mime.Header("X-Storeflow-Idempotency-Key"), "run/" + tag_);
  EXPECT_EQ(mime.Header("X-Campaign"), "spring");
  EXPECT_FALSE(mime.Header("Date").empty());
  EXPECT_EQ(mime.MediaType(), "text/plain");
  EXPECT_EQ(mime.Header("Content-Transfer-Encoding"), "quoted-printable");
  // The lone "." line survived dot-stuffing.
  EXPECT_EQ(mime.Decoded(), "Grüße,\r\nyour order is confirmed.\r\n.\r\nBye\r\n");
  EXPECT_EQ(email->Counter("messages_sent", Json{{"transport", "smtp"}}), 1);
  testing::ExpectNotLogged(*email, peer_.pass);
}

TEST_F(EmailSmtpTest, DeliversMultipartAlternativeWithAttachmentWithAuthLogin) {
  auto email = Start(SmtpConfig(peer_, {{"auth", "login"}}));
  ASSERT_TRUE(email);
  std::string binary;
  for (int i = 0; i < 5000; ++i) binary.push_back(static_cast<char>((i * 31) % 256));
  Reply reply =
      Send(*email,
           {{"from", "shop@example.com"},
            {"to", Addr("to")},
            {"subject", "Invoice " + tag_},
            {"text", "See the attached invoice."},
            {"html", "<p>See the <b>attached</b> invoice.</p>"},
            {"attachments",
             {{{"content_base64", storage::Base64Encode(binary)}, {"filename", "invoice.pdf"}}}}});
  ASSERT_TRUE(reply.ok) << reply;
  Json messages = MessagesTo(peer_, Addr("to"));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["authUser"], peer_.user);
  auto mime = ParseMime(messages[0]["raw"].get<std::string>());
  ASSERT_EQ(mime.MediaType(), "multipart/mixed");
  ASSERT_EQ(mime.children.size(), 2u);
  ASSERT_EQ(mime.children[0].MediaType(), "multipart/alternative");
  ASSERT_EQ(mime.children[0].children.size(), 2u);
  EXPECT_EQ(mime.children[0].children[0].Decoded(), "See the attached invoice.");
  EXPECT_EQ(mime.children[0].children[1].MediaType(), "text/html");
  EXPECT_EQ(mime.children[0].children[1].Decoded(), "<p>See the <b>attached</b> invoice.</p>");
  EXPECT_EQ(mime.children[1].MediaType(), "application/pdf");
  EXPECT_EQ(mime.children[1].Param("content-disposition", "filename"), "invoice.pdf");
  EXPECT_EQ(mime.children[1].Decoded(), binary);
}

TEST_F(EmailSmtpTest, StartTlsOffSendsInPlainText) {
  auto email = Start(SmtpConfig(peer_, {{"starttls", "off"}}));
  ASSERT_TRUE(email);
  ASSERT_TRUE(
      Send(*email,
           {{"from", "shop@example.com"}, {"to", Addr("to")}, {"subject", "s"}, {"text", "plain"}})
          .ok);
  Json messages = MessagesTo(peer_, Addr("to"));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0]["secure"], false);
}

TEST_F(EmailSmtpTest, UnverifiableCertificateIsPermanentSmtpTls) {
  auto email = Start(SmtpConfig(peer_, {{"insecure_skip_verify", false}}));
  ASSERT_TRUE(email);
  Reply reply = Send(
      *email, {{"from", "shop@example.com"}, {"to", Addr("to")}, {"subject", "s"}, {"text", "t"}});
  EXPECT_TRUE(reply.permanent()) << reply;
  EXPECT_EQ(reply.code, "smtp_tls");
  EXPECT_TRUE(MessagesTo(peer_, Addr("to")).empty());
}

TEST_F(EmailSmtpTest, ImplicitTlsAgainstAPlainServerIsPermanentSmtpTls) {
  auto email = Start(SmtpConfig(peer_, {{"tls", true}}));
  ASSERT_TRUE(email);
  Reply reply = Send(
      *email, {{"from", "shop@example.com"}, {"to", Addr("to")}, {"subject", "s"}, {"text", "t"}});
  EXPECT_TRUE(reply.permanent()) << reply;
  EXPECT_EQ(reply.code, "smtp_tls");
  EXPECT_TRUE(MessagesTo(peer_, Addr("to")).empty());
}

TEST_F(EmailSmtpTest, TempfailRecipientIsRetryableAndNothingIsSent) {
  auto email = Start(SmtpConfig(peer_));
  ASSERT_TRUE(email);
  Reply reply = Send(*email, {{"from", "shop@example.com"},
                              {"to", {Addr("ok"), "tempfail-" + tag_ + "@example.test"}},
                              {"subject", "s"},
                              {"text", "t"}});
  EXPECT_TRUE(reply.retryable) << reply;
  EXPECT_EQ(reply.code, "smtp_451");
  EXPECT_NE(reply.message.find("4.3.0"), std::string::npos) << reply.message;
  EXPECT_TRUE(MessagesTo(peer_, Addr("ok")).empty());
  EXPECT_EQ(email->Counter("messages_failed", Json{{"transport", "smtp"}, {"code", "smtp_451"}}),
            1);
}

TEST_F(EmailSmtpTest, RejectedRecipientIsPermanentWithTheServersReply) {
  auto email = Start(SmtpConfig(peer_));
  ASSERT_TRUE(email);
  Reply reply = Send(*email, {{"from", "shop@example.com"},
                              {"to", "reject-" + tag_ + "@example.test"},
                              {"subject", "s"},
                              {"text", "t"}});
  EXPECT_TRUE(reply.permanent()) << reply;
  EXPECT_EQ(reply.code, "smtp_550");
  EXPECT_NE(reply.message.find("550 5.1.1 Mailbox unavailable"), std::string::npos)
      << reply.message;
  EXPECT_NE(reply.message.find("reject-" + tag_), std::string::npos) << reply.message;
}

TEST_F(EmailSmtpTest, RejectedDataIsClassifiedByCode) {
  auto email = Start(SmtpConfig(peer_));
  ASSERT_TRUE(email);
  auto send_with = [&](const std::string& fail, const std::string& who) {
    return Send(*email, {{"from", "shop@example.com"},
                         {"to", Addr(who)},
                         {"subject", "s"},
                         {"text", "t"},
                         {"headers", {{"X-Test-Fail", fail}}}});
  };
  Reply permanent = send_with("554", "p");
  EXPECT_TRUE(permanent.permanent()) << permanent;
  EXPECT_EQ(permanent.code, "smtp_554");
  EXPECT_NE(permanent.message.find("Rejected by X-Test-Fail header"), std::string::npos);
  Reply temporary = send_with("452", "t");
  EXPECT_TRUE(temporary.retryable) << temporary;
  EXPECT_EQ(temporary.code, "smtp_452");
  Reply dropped = send_with("drop", "d");
  EXPECT_TRUE(dropped.retryable) << dropped;
  EXPECT_EQ(dropped.code, "smtp_connection_lost");
}

TEST_F(EmailSmtpTest, WrongPasswordIsPermanentSmtpAuth) {
  if (peer_.user.empty()) GTEST_SKIP() << "the peer runs without AUTH";
  auto email = Start(SmtpConfig(peer_), nullptr, "not-the-password");
  ASSERT_TRUE(email);
  Reply reply = Send(
      *email, {{"from", "shop@example.com"}, {"to", Addr("to")}, {"subject", "s"}, {"text", "t"}});
  EXPECT_TRUE(reply.permanent()) << reply;
  EXPECT_EQ(reply.code, "smtp_auth");
  EXPECT_NE(reply.message.find("535"), std::string::npos) << reply.message;
  EXPECT_EQ(reply.message.find("not-the-password"), std::string::npos);
  EXPECT_TRUE(MessagesTo(peer_, Addr("to")).empty());
}

TEST_F(EmailSmtpTest, MissingCredentialsArePermanent) {
  if (peer_.user.empty()) GTEST_SKIP() << "the peer runs without AUTH";
  Json config = SmtpConfig(peer_);
  config["smtp"].erase("username");
  config["smtp"].erase("password_secret");
  auto email = Start(config);
  ASSERT_TRUE(email);
  Reply reply = Send(
      *email, {{"from", "shop@example.com"}, {"to", Addr("to")}, {"subject", "s"}, {"text", "t"}});
  EXPECT_TRUE(reply.permanent()) << reply;
  EXPECT_EQ(reply.code, "smtp_530");
}

TEST_F(EmailSmtpTest, AResendCarriesTheSameMessageId) {
  auto email = Start(SmtpConfig(peer_));
  ASSERT_TRUE(email);
  Json input = {{"from", "shop@example.com"}, {"to", Addr("to")}, {"subject", "s"}, {"text", "t"}};
  Reply first = Send(*email, input, "run-9/" + tag_);
  Reply second = Send(*email, input, "run-9/" + tag_);
  ASSERT_TRUE(first.ok && second.ok) << first << second;
  EXPECT_EQ(first.output["message_id"], second.output["message_id"]);
  Json messages = MessagesTo(peer_, Addr("to"));
  ASSERT_EQ(messages.size(), 2u);
  auto a = ParseMime(messages[0]["raw"].get<std::string>());
  auto b = ParseMime(messages[1]["raw"].get<std::string>());
  EXPECT_EQ(a.Header("Message-ID"), b.Header("Message-ID"));
  EXPECT_EQ(a.Header("X-Storeflow-Idempotency-Key"), "run-9/" + tag_);
}

TEST_F(EmailSmtpTest, HeaderInjectionNeverReachesTheServer) {
  auto email = Start(SmtpConfig(peer_));
  ASSERT_TRUE(email);
  Reply reply = Send(*email, {{"from", "shop@example.com"},
                              {"to", Addr("to")},
                              {"subject", "s"},
                              {"text", "t"},
                              {"headers", {{"X-Ref", "1\r\nBcc: " + Addr("victim")}}}});
  EXPECT_EQ(reply.code, "header_injection") << reply;
  EXPECT_NE(reply.message.find("X-Ref"), std::string::npos);
  EXPECT_TRUE(MessagesTo(peer_, Addr("to")).empty());
  EXPECT_TRUE(MessagesTo(peer_, Addr("victim")).empty());
}

TEST_F(EmailSmtpTest, ConcurrentSendsFromOneInstance) {
  auto email = Start(SmtpConfig(peer_));
  ASSERT_TRUE(email);
  std::vector<std::thread> threads;
  std::vector<Reply> replies(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      replies[i] = Send(*email,
                        {{"from", "shop@example.com"},
                         {"to", Addr("to")},
                         {"subject", "s" + std::to_string(i)},
                         {"text", "t"}},
                        "run/" + tag_ + "/" + std::to_string(i));
    });
  }
  for (auto& t : threads) t.join();
  for (const Reply& r : replies) EXPECT_TRUE(r.ok) << r;
  EXPECT_EQ(MessagesTo(peer_, Addr("to")).size(), 4u);
}

// Tests with a private peer: they take the server down or change its settings.
class EmailOwnPeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::PeersOff()) GTEST_SKIP() << "STOREFLOW_TEST_PEERS=off";
    tag_ = UniqueTag(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  std::string tag_;
};

TEST_F(EmailOwnPeerTest, ServerDownThenUp) {
  OwnPeer own;
  const PeerEndpoint& peer = own.endpoint();
  auto email = LoadEmail(SmtpConfig(peer), {{"smtp_password", peer.pass}});
  ASSERT_TRUE(email->loaded()) << email->error();
  std::string to = "to-" + tag_ + "@example.test";
  Json input = {{"from", "shop@example.com"}, {"to", to}, {"subject", "s"}, {"text", "t"}};

  testing::PeerPost(peer, "/control/down?seconds=0&mode=refuse");
  Reply refused = email->Invoke("email.send", input);
  EXPECT_TRUE(refused.retryable) << refused;
  EXPECT_EQ(refused.code, "smtp_connect");

  // Back up before the next mode: switching modes directly races the re-listen.
  testing::PeerPost(peer, "/control/up");
  testing::PeerPost(peer, "/control/down?seconds=0&mode=421");
  Reply busy = email->Invoke("email.send", input);
  EXPECT_TRUE(busy.retryable) << busy;
  EXPECT_EQ(busy.code, "smtp_421");

  testing::PeerPost(peer, "/control/up");
  testing::PeerPost(peer, "/control/down?seconds=0&mode=drop");
  Reply dropped = email->Invoke("email.send", input);
  EXPECT_TRUE(dropped.retryable) << dropped;
  EXPECT_EQ(dropped.code, "smtp_connection_lost");

  testing::PeerPost(peer, "/control/up");
  Reply sent = email->Invoke("email.send", input);
  ASSERT_TRUE(sent.ok) << sent;
  EXPECT_EQ(MessagesTo(peer, to).size(), 1u);
}

TEST_F(EmailOwnPeerTest, ServerRequiringTlsRefusesPlainSessionsPermanently) {
  OwnPeer own(/*require_tls=*/true);
  const PeerEndpoint& peer = own.endpoint();
  Json input = {{"from", "shop@example.com"},
                {"to", "to-" + tag_ + "@example.test"},
                {"subject", "s"},
                {"text", "t"}};
  auto plain = LoadEmail(SmtpConfig(peer, {{"starttls", "off"}}), {{"smtp_password", peer.pass}});
  ASSERT_TRUE(plain->loaded()) << plain->error();
  Reply refused = plain->Invoke("email.send", input);
  EXPECT_TRUE(refused.permanent()) << refused;
  EXPECT_EQ(refused.code.substr(0, 6), "smtp_5") << refused;

  auto secure =
      LoadEmail(SmtpConfig(peer, {{"starttls", "optional"}}), {{"smtp_password", peer.pass}});
  ASSERT_TRUE(secure->loaded()) << secure->error();
  Reply sent = secure->Invoke("email.send", input);
  ASSERT_TRUE(sent.ok) << sent;
  EXPECT_EQ(MessagesTo(peer, "to-" + tag_ + "@example.test")[0]["secure"], true);
}

TEST(EmailSmtpNoServer, ConnectionRefusedIsRetryable) {
  PeerEndpoint nowhere{"127.0.0.1", 1, "", "", ""};
  auto email = LoadEmail(SmtpConfig(nowhere));
  ASSERT_TRUE(email->loaded()) << email->error();
  Reply reply = email->Invoke(
      "email.send",
      {{"from", "shop@example.com"}, {"to", "a@example.test"}, {"subject", "s"}, {"text", "t"}});
  EXPECT_TRUE(reply.retryable) << reply;
  EXPECT_EQ(reply.code, "smtp_connect");
  EXPECT_NE(reply.message.find("127.0.0.1:1"), std::string::npos);
}

TEST(EmailSmtpNoServer, SilentServerTimesOutWithinTheStepDeadline) {
  // Accepts connections (backlog) but never greets.
  Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
  PeerEndpoint endpoint{"127.0.0.1", silent.address().port(), "", "", ""};
  auto email = LoadEmail(SmtpConfig(endpoint, {{"command_timeout_ms", 60000}}));
  ASSERT_TRUE(email->loaded()) << email->error();
  storeflow::testkit::CallOptions call;
  // The host's clock (the system's) + 1.5 s.
  call.deadline_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count() +
                     1500;
  auto started = std::chrono::steady_clock::now();
  Reply reply = email->Invoke(
      "email.send",
      {{"from", "shop@example.com"}, {"to", "a@example.test"}, {"subject", "s"}, {"text", "t"}},
      call);
  auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(reply.retryable) << reply;
  EXPECT_EQ(reply.code, "smtp_timeout");
  EXPECT_LT(waited, std::chrono::seconds(10)) << "the 60 s command timeout was not capped";
}

}  // namespace
}  // namespace storeflow::plugins::email
