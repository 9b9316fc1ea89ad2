// email.send with the outbox transport, through the engine's plugin host (the
// plugin test kit): .eml files, resend semantics, templates, attachments from
// storage, input and config checks.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "base64.h"
#include "email_config.h"
#include "email_host.h"
#include "email_template.h"
#include "local_backend.h"
#include "message_id.h"
#include "mime_reader.h"

namespace storeflow::plugins::email {
namespace {

namespace fs = std::filesystem;
using testing::DecodeHeader;
using testing::EmailHost;
using testing::Json;
using testing::LoadEmail;
using testing::ParseMime;
using testing::Reply;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<fs::path> FilesIn(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  return files;
}

class EmailOutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "storeflow-email-test.XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    outbox_ = dir_ / "outbox";
    templates_ = dir_ / "templates";
    storage_ = dir_ / "storage";
    fs::create_directories(templates_);
    Start(Json::object());
  }
  void TearDown() override {
    host_.reset();
    fs::remove_all(dir_);
  }

  // The plugin with the fixture's config updated by `extra` (a null member drops
  // the key).
  void Start(Json extra) {
    Json config = {{"transport", "outbox"},
                   {"outbox", {{"folder", outbox_.string()}}},
                   {"from", "Shop <shop@example.com>"},
                   {"templates_dir", templates_.string()},
                   {"storage_root", storage_.string()},
                   {"message_id_domain", "shop.example"}};
    config.update(extra);
    for (const auto& [key, value] : extra.items()) {
      if (value.is_null()) config.erase(key);
    }
    host_.reset();
    host_ = LoadEmail(config);
    ASSERT_TRUE(host_->loaded()) << host_->error();
  }

  Reply Send(const Json& input, const std::string& key = "run-1/send") {
    return testing::SendEmail(*host_, input, key);
  }

  void WriteTemplate(const std::string& file, const std::string& text) {
    std::ofstream(templates_ / file) << text;
  }

  fs::path dir_, outbox_, templates_, storage_;
  std::unique_ptr<EmailHost> host_;
};

// What the plugin's own config check (init, after the engine checked
// config_schema) throws for `config`: its code and message.
Reply ParseError(const Json& config) {
  Reply reply;
  try {
    ParseEmailConfig(config);
    reply.ok = true;
  } catch (const sdk::Error& e) {
    reply.code = e.code();
    reply.message = e.what();
  }
  return reply;
}

TEST(EmailPluginLibrary, ManifestHasAStrictInputSchema) {
  auto host = LoadEmail(Json::object());
  EXPECT_EQ(host->name(), "email");
  Json manifest = host->manifest();
  ASSERT_EQ(manifest["actions"].size(), 1u);
  const Json& action = manifest["actions"][0];
  EXPECT_EQ(action["name"], "email.send");
  EXPECT_EQ(action["input_schema"]["additionalProperties"], false);
  EXPECT_EQ(action["input_schema"]["required"], Json::array({"to"}));
  EXPECT_EQ(action["input_schema"]["properties"]["attachments"]["items"]["additionalProperties"],
            false);
  EXPECT_EQ(manifest["config_schema"]["additionalProperties"], false);
  EXPECT_EQ(manifest["config_schema"]["properties"]["smtp"]["additionalProperties"], false);
}

TEST_F(EmailOutboxTest, WritesOneEmlNamedAfterTheIdempotencyKey) {
  Reply reply = Send({{"to", {"Ada <ada@example.com>", "bob@example.com"}},
                      {"bcc", "audit@example.com"},
                      {"subject", "Your order"},
                      {"text", "Thanks!"}});
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(reply.output["transport"], "outbox");
  EXPECT_EQ(reply.output["message_id"], MessageIdFor("run-1/send", "shop.example"));
  EXPECT_EQ(reply.output["accepted"],
            Json::array({"ada@example.com", "bob@example.com", "audit@example.com"}));
  fs::path path = reply.output["path"].get<std::string>();
  EXPECT_EQ(path, fs::absolute(outbox_ / (SafeFileStem("run-1/send") + ".eml")));
  auto files = FilesIn(outbox_);
  ASSERT_EQ(files.size(), 1u);
  auto mime = ParseMime(ReadFile(path));
  EXPECT_EQ(mime.Header("From"), "Shop <shop@example.com>");
  EXPECT_EQ(mime.Header("To"), "Ada <ada@example.com>, <bob@example.com>");
  EXPECT_EQ(mime.Header("Bcc"), "<audit@example.com>");
  EXPECT_EQ(mime.Header("Message-ID"), reply.output["message_id"]);
  EXPECT_EQ(mime.Header("X-Storeflow-Idempotency-Key"), "run-1/send");
  EXPECT_EQ(mime.Decoded(), "Thanks!\r\n");
  EXPECT_EQ(host_->Counter("messages_sent", Json{{"transport", "outbox"}}), 1);
  // The engine's log line: "[plugin email] run 1 step step: sent <sf....".
  EXPECT_TRUE(host_->Logged("[plugin email] run 1 step step: sent <sf."))
      << ::testing::PrintToString(host_->logs());
}

TEST_F(EmailOutboxTest, ResendWithTheSameKeyOverwritesAtomically) {
  ASSERT_TRUE(Send({{"to", "a@example.com"}, {"subject", "s"}, {"text", "first"}}).ok);
  Reply again = Send({{"to", "a@example.com"}, {"subject", "s"}, {"text", "second"}});
  ASSERT_TRUE(again.ok) << again;
  auto files = FilesIn(outbox_);
  ASSERT_EQ(files.size(), 1u) << "a resend must replace, not add";
  EXPECT_EQ(ParseMime(ReadFile(files[0])).Decoded(), "second\r\n");
  ASSERT_TRUE(Send({{"to", "a@example.com"}, {"subject", "s"}, {"text", "x"}}, "run-2/send").ok);
  EXPECT_EQ(FilesIn(outbox_).size(), 2u);
  for (const auto& file : FilesIn(outbox_)) {
    EXPECT_FALSE(file.filename().string().starts_with(".storeflow-tmp-")) << file;
  }
}

TEST_F(EmailOutboxTest, RendersNamedTemplates) {
  WriteTemplate("order.subject.txt", "Order ${{ order.id }} confirmed\n");
  WriteTemplate("order.txt", "Hello ${{ customer.name }}, order ${{ order.id }} is on its way.");
  WriteTemplate("order.html", "<p>Hello ${{ customer.name }}</p>");
  Reply reply = Send({{"to", "c@example.com"},
                      {"template", "order"},
                      {"data", {{"order", {{"id", 1001}}}, {"customer", {{"name", "Zoë"}}}}}});
  ASSERT_TRUE(reply.ok) << reply;
  auto mime = ParseMime(ReadFile(reply.output["path"].get<std::string>()));
  EXPECT_EQ(DecodeHeader(mime.Header("Subject")), "Order 1001 confirmed");
  ASSERT_EQ(mime.MediaType(), "multipart/alternative");
  EXPECT_EQ(mime.children[0].Decoded(), "Hello Zoë, order 1001 is on its way.");
  EXPECT_EQ(mime.children[1].Decoded(), "<p>Hello Zoë</p>");

  // Input fields win over template parts.
  Reply over = Send({{"to", "c@example.com"},
                     {"template", "order"},
                     {"subject", "Custom"},
                     {"data", {{"order", {{"id", 1}}}, {"customer", {{"name", "A"}}}}}},
                    "run-3/send");
  ASSERT_TRUE(over.ok) << over;
  EXPECT_EQ(ParseMime(ReadFile(over.output["path"].get<std::string>())).Header("Subject"),
            "Custom");
}

TEST_F(EmailOutboxTest, HtmlTemplatesGetEscapedData) {
  WriteTemplate("hi.subject.txt", "Hi ${{ name }}");
  WriteTemplate("hi.txt", "Hi ${{ name }}");
  WriteTemplate("hi.html", "<p>Hi ${{ name }} (${{ count }})</p>");
  Reply reply = Send({{"to", "c@example.com"},
                      {"template", "hi"},
                      {"data", {{"name", "<b>Ann</b> & \"Bo\""}, {"count", 2}}}});
  ASSERT_TRUE(reply.ok) << reply;
  auto mime = ParseMime(ReadFile(reply.output["path"].get<std::string>()));
  EXPECT_EQ(mime.Header("Subject"), "Hi <b>Ann</b> & \"Bo\"");
  EXPECT_EQ(mime.children[0].Decoded(), "Hi <b>Ann</b> & \"Bo\"");
  EXPECT_EQ(mime.children[1].Decoded(),
            "<p>Hi &lt;b&gt;Ann&lt;/b&gt; &amp; &quot;Bo&quot; (2)</p>");
}

TEST_F(EmailOutboxTest, TemplateErrorsArePermanentAndSayWhere) {
  Reply missing = Send({{"to", "c@example.com"}, {"template", "nope"}});
  EXPECT_TRUE(missing.permanent());
  EXPECT_EQ(missing.code, "template_not_found");
  EXPECT_NE(missing.message.find("nope.subject.txt"), std::string::npos) << missing.message;

  // An expression the engine cannot evaluate (indexing nil: the engine renders an
  // unknown name alone as empty, it does not refuse it).
  WriteTemplate("bad.txt", "Hello ${{ who.name }}");
  Reply bad = Send(
      {{"to", "c@example.com"}, {"subject", "s"}, {"template", "bad"}, {"data", Json::object()}});
  EXPECT_EQ(bad.code, "template_error") << bad;
  EXPECT_NE(bad.message.find("bad.txt"), std::string::npos) << bad.message;

  // A name that leaves the folder: the engine refuses it first (input_schema's
  // pattern), naming the input ...
  Reply escaping = Send({{"to", "c@example.com"}, {"template", "../etc/passwd"}});
  EXPECT_EQ(escaping.code, "invalid_input") << escaping;
  EXPECT_NE(escaping.message.find("template"), std::string::npos) << escaping;
  // ... and the plugin's own check (RenderNamedTemplate, over the engine's host
  // services) refuses it as invalid_template_name.
  auto services = storeflow::testkit::TestHost::WithoutPlugin("email");
  sdk::Host api(services->host_services());
  std::string code = "accepted";
  try {
    RenderNamedTemplate(api, templates_.string(), "../etc/passwd", Json::object());
  } catch (const sdk::Error& e) {
    code = e.code();
  }
  EXPECT_EQ(code, "invalid_template_name");
  EXPECT_EQ(
      Send({{"to", "c@example.com"}, {"subject", "s"}, {"text", "t"}, {"data", {{"a", 1}}}}).code,
      "invalid_input");
}

TEST_F(EmailOutboxTest, AttachesFilesFromStorageAndInlineContent) {
  storage::LocalBackend backend({storage_, false, true});
  std::string pdf = std::string("%PDF-1.4\n\0\1\2\xff", 14);
  backend.Put("invoices/1001.pdf", pdf, "application/pdf");
  Reply reply = Send(
      {{"to", "c@example.com"},
       {"subject", "Invoice"},
       {"text", "Attached."},
       {"attachments",
        {{{"storage_key", "invoices/1001.pdf"}},
         {{"content_base64", storage::Base64Encode("a,b\n1,2\n")}, {"filename", "data.csv"}}}}});
  ASSERT_TRUE(reply.ok) << reply;
  auto mime = ParseMime(ReadFile(reply.output["path"].get<std::string>()));
  ASSERT_EQ(mime.MediaType(), "multipart/mixed");
  ASSERT_EQ(mime.children.size(), 3u);
  EXPECT_EQ(mime.children[1].MediaType(), "application/pdf");
  EXPECT_EQ(mime.children[1].Param("content-disposition", "filename"), "1001.pdf");
  EXPECT_EQ(mime.children[1].Decoded(), pdf);
  EXPECT_EQ(mime.children[2].MediaType(), "text/csv");
  EXPECT_EQ(mime.children[2].Decoded(), "a,b\n1,2\n");

  Reply missing = Send({{"to", "c@example.com"},
                        {"subject", "s"},
                        {"text", "t"},
                        {"attachments", {{{"storage_key", "invoices/none.pdf"}}}}});
  EXPECT_EQ(missing.code, "attachment_not_found") << missing;
  Reply escape = Send({{"to", "c@example.com"},
                       {"subject", "s"},
                       {"text", "t"},
                       {"attachments", {{{"storage_key", "../outbox/x.eml"}}}}});
  EXPECT_EQ(escape.code, "invalid_key") << escape;
  EXPECT_NE(escape.message.find("../outbox/x.eml"), std::string::npos);
}

TEST_F(EmailOutboxTest, RefusesHeaderInjectionNamingTheHeader) {
  Reply injected = Send({{"to", "c@example.com"},
                         {"subject", "s"},
                         {"text", "t"},
                         {"headers", {{"X-Campaign", "spring\r\nBcc: victim@example.com"}}}});
  EXPECT_TRUE(injected.permanent());
  EXPECT_EQ(injected.code, "header_injection");
  EXPECT_NE(injected.message.find("X-Campaign"), std::string::npos) << injected.message;
  EXPECT_EQ(Send({{"to", "c@example.com"}, {"subject", "a\nb"}, {"text", "t"}}).code,
            "header_injection");
  EXPECT_EQ(
      Send({{"to", "c@example.com\nBcc: x@example.com"}, {"subject", "s"}, {"text", "t"}}).code,
      "header_injection");
  Reply reserved = Send({{"to", "c@example.com"},
                         {"subject", "s"},
                         {"text", "t"},
                         {"headers", {{"Bcc", "x@example.com"}}}});
  EXPECT_EQ(reserved.code, "invalid_header");
  EXPECT_NE(reserved.message.find("Bcc"), std::string::npos);
  EXPECT_EQ(Send({{"to", "c@example.com"},
                  {"subject", "s"},
                  {"text", "t"},
                  {"headers", {{"Bad Name", "x"}}}})
                .code,
            "invalid_header");
  EXPECT_FALSE(fs::exists(outbox_) && !FilesIn(outbox_).empty()) << "nothing may be written";
  EXPECT_GE(host_->Counter("messages_failed"), 5);
}

TEST_F(EmailOutboxTest, MissingPartsArePermanentErrors) {
  EXPECT_EQ(Send({{"to", "c@example.com"}, {"text", "t"}}).code, "missing_subject");
  EXPECT_EQ(Send({{"to", "c@example.com"}, {"subject", "s"}}).code, "missing_body");
  EXPECT_EQ(Send({{"subject", "s"}, {"text", "t"}}).code, "invalid_input");
  EXPECT_EQ(Send({{"to", "not an address"}, {"subject", "s"}, {"text", "t"}}).code,
            "invalid_address");
  Start(Json{{"from", nullptr}});
  EXPECT_EQ(Send({{"to", "c@example.com"}, {"subject", "s"}, {"text", "t"}}).code, "missing_from");
}

TEST(EmailPluginConfig, InitRefusesBadConfigWithTheKey) {
  auto init_error = [&](const Json& config) {
    auto host = LoadEmail(config);
    EXPECT_FALSE(host->loaded());
    return host->init_error();
  };
  // Config the engine refuses first (config_schema), naming the key; the plugin's
  // own check (what init runs) says the same.
  auto schema_error = [&](const Json& config, const std::string& key) {
    auto host = LoadEmail(config);
    EXPECT_FALSE(host->loaded());
    EXPECT_NE(host->error().find("invalid configuration of plugin 'email'"), std::string::npos)
        << host->error();
    EXPECT_NE(host->error().find(key), std::string::npos) << host->error();
    return ParseError(config);
  };
  Reply no_host = init_error({{"transport", "smtp"}});
  EXPECT_EQ(no_host.code, "invalid_config");
  EXPECT_NE(no_host.message.find("smtp.host"), std::string::npos);
  Reply no_secret =
      init_error({{"transport", "smtp"}, {"smtp", {{"host", "127.0.0.1"}, {"username", "u"}}}});
  EXPECT_NE(no_secret.message.find("password_secret"), std::string::npos) << no_secret.message;
  Reply unknown_secret = init_error(
      {{"transport", "smtp"},
       {"smtp", {{"host", "127.0.0.1"}, {"username", "u"}, {"password_secret", "smtp_pw"}}}});
  EXPECT_EQ(unknown_secret.code, "missing_secret");
  EXPECT_NE(unknown_secret.message.find("smtp_pw"), std::string::npos);
  Reply bad_starttls = schema_error(
      {{"transport", "smtp"}, {"smtp", {{"host", "h"}, {"starttls", "sometimes"}}}}, "starttls");
  EXPECT_NE(bad_starttls.message.find("required, optional, off"), std::string::npos);
  EXPECT_NE(bad_starttls.message.find("`smtp.starttls`"), std::string::npos)
      << bad_starttls.message;
  Reply bad_port =
      schema_error({{"transport", "smtp"}, {"smtp", {{"host", "h"}, {"port", "25"}}}}, "port");
  EXPECT_EQ(bad_port.code, "invalid_config");
  EXPECT_NE(bad_port.message.find("`smtp.port`"), std::string::npos) << bad_port.message;
  EXPECT_EQ(schema_error({{"transport", "pigeon"}}, "transport").code, "invalid_config");
  EXPECT_EQ(init_error({{"from", "not an address"}}).code, "invalid_config");
}

// The SES-only inputs: `tags` and `configuration_set` are checked but ignored, so a
// workflow runs unchanged on any transport; `ses_template` needs the ses transport.
TEST_F(EmailOutboxTest, SesOnlyInputsAreIgnoredOrRefusedByTheOutbox) {
  Reply tagged = Send({{"to", "ada@example.com"},
                       {"subject", "s"},
                       {"text", "t"},
                       {"tags", {{"campaign", "spring"}}},
                       {"configuration_set", "transactional"}});
  ASSERT_TRUE(tagged.ok) << tagged;
  EXPECT_FALSE(tagged.output.contains("content"));
  Reply bad_tag = Send({{"to", "ada@example.com"},
                        {"subject", "s"},
                        {"text", "t"},
                        {"tags", {{"campaign", "spring sale"}}}});
  EXPECT_TRUE(bad_tag.permanent());
  EXPECT_EQ(bad_tag.code, "invalid_input");
  EXPECT_NE(bad_tag.message.find("`tags.campaign`"), std::string::npos) << bad_tag.message;
  Reply templated = Send({{"to", "ada@example.com"}, {"ses_template", {{"name", "OrderShipped"}}}});
  EXPECT_TRUE(templated.permanent());
  EXPECT_EQ(templated.code, "invalid_input");
  EXPECT_NE(templated.message.find("`ses_template` needs the ses transport"), std::string::npos)
      << templated.message;
}

}  // namespace
}  // namespace storeflow::plugins::email
