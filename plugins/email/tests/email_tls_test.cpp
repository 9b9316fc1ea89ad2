// Implicit TLS (`smtp.tls: true`) and certificate verification with `smtp.ca_file`,
// against TlsSmtpServer (a certificate made for the test).
#include <gtest/gtest.h>

#include <filesystem>

#include "email_host.h"
#include "mime_reader.h"
#include "tls_smtp_server.h"

namespace storeflow::plugins::email {
namespace {

namespace fs = std::filesystem;
using testing::EmailHost;
using testing::Json;
using testing::LoadEmail;
using testing::ParseMime;
using testing::Reply;
using testing::TlsSmtpServer;

class EmailTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "storeflow-email-tls.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    server_ = std::make_unique<TlsSmtpServer>(dir_);
  }
  void TearDown() override {
    server_.reset();
    fs::remove_all(dir_);
  }

  Reply SendVia(const std::string& host, Json smtp_extra) {
    Json smtp = {{"host", host},    {"port", server_->port()},      {"tls", true},
                 {"username", "u"}, {"password_secret", "smtp_pw"}, {"command_timeout_ms", 5000}};
    smtp.update(smtp_extra);
    email_ = LoadEmail(Json{{"transport", "smtp"}, {"smtp", smtp}}, {{"smtp_pw", "secret-pw"}});
    EXPECT_TRUE(email_->loaded()) << email_->error();
    if (!email_->loaded()) return email_->init_error();
    return testing::SendEmail(*email_,
                              {{"from", "shop@example.com"},
                               {"to", "a@example.test"},
                               {"subject", "over TLS"},
                               {"text", "hello"}},
                              "run-1/step");
  }

  std::unique_ptr<EmailHost> email_;
  fs::path dir_;
  std::unique_ptr<TlsSmtpServer> server_;
};

TEST_F(EmailTlsTest, ImplicitTlsVerifiedWithTheConfiguredCaFile) {
  Reply reply = SendVia("localhost", {{"ca_file", server_->cert_file()}});
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(reply.output["smtp_reply"], "250 2.0.0 queued");
  ASSERT_EQ(server_->Messages().size(), 1u);
  auto mime = ParseMime(server_->Messages()[0]);
  EXPECT_EQ(mime.Header("Subject"), "over TLS");
  EXPECT_EQ(mime.Decoded(), "hello\r\n");
  bool authenticated = false;
  for (const auto& command : server_->Commands())
    authenticated |= command.starts_with("AUTH PLAIN");
  EXPECT_TRUE(authenticated) << "AUTH over implicit TLS without STARTTLS";
  for (const auto& command : server_->Commands()) EXPECT_NE(command, "STARTTLS");
}

TEST_F(EmailTlsTest, UnknownCaIsRefusedPermanently) {
  Reply reply = SendVia("localhost", Json::object());  // system CAs only
  EXPECT_TRUE(reply.permanent()) << reply;
  EXPECT_EQ(reply.code, "smtp_tls");
  EXPECT_NE(reply.message.find("ca_file"), std::string::npos) << reply.message;
  EXPECT_TRUE(server_->Messages().empty());
}

TEST_F(EmailTlsTest, InsecureSkipVerifyAcceptsAnyCertificate) {
  Reply reply = SendVia("127.0.0.1", {{"insecure_skip_verify", true}});
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(server_->Messages().size(), 1u);
}

TEST_F(EmailTlsTest, MissingCaFileFailsAtStart) {
  auto email =
      LoadEmail(Json{{"transport", "smtp"},
                     {"smtp", {{"host", "localhost"}, {"ca_file", (dir_ / "nope.pem").string()}}}});
  EXPECT_FALSE(email->loaded());
  Reply init = email->init_error();
  EXPECT_EQ(init.code, "invalid_config");
  EXPECT_NE(init.message.find("nope.pem"), std::string::npos);
}

}  // namespace
}  // namespace storeflow::plugins::email
