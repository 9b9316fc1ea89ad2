// The ses transport's requests on the wire and SES's error answers, against a
// small recording HTTP server in the test (loopback): the SigV4 signature's scope
// (region, service `ses`), the session token, the path under an endpoint with a
// path, the JSON (configuration set, tags), and the answers the aws-ses-v2-local
// peer cannot give (429 throttling, 5xx, MessageRejected, 403, 2xx without a
// MessageId).
#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>

#include "email_host.h"

namespace storeflow::plugins::email {
namespace {

using testing::EmailHost;
using testing::Json;
using testing::LoadEmail;
using testing::Reply;

constexpr const char* kSecret = "wire-secret-key-never-logged";
constexpr const char* kToken = "wire-session-token-never-logged";

struct Recorded {
  std::string method;
  std::string uri;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

struct Scripted {
  int status = 200;
  std::string body = R"({"MessageId":"wire-1"})";
  std::string error_type;  // x-amzn-ErrorType
};

// Records each request and answers with the next scripted response (default:
// 200 with a MessageId).
class RecordingServer {
 public:
  RecordingServer() : socket_(Poco::Net::SocketAddress("127.0.0.1", 0)) {
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(this), socket_,
                                                      new Poco::Net::HTTPServerParams);
    server_->start();
  }
  ~RecordingServer() { server_->stopAll(true); }

  std::string Endpoint(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(socket_.address().port()) + path;
  }
  void Script(Scripted response) {
    std::lock_guard lock(mu_);
    script_.push_back(std::move(response));
  }
  std::vector<Recorded> Requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(RecordingServer* owner) : owner_(owner) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      Recorded recorded{request.getMethod(), request.getURI(), {}, ""};
      for (const auto& [name, value] : request) {
        std::string lower = name;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        recorded.headers[lower] = value;
      }
      Poco::StreamCopier::copyToString(request.stream(), recorded.body);
      Scripted answer;
      {
        std::lock_guard lock(owner_->mu_);
        owner_->requests_.push_back(recorded);
        if (!owner_->script_.empty()) {
          answer = owner_->script_.front();
          owner_->script_.pop_front();
        }
      }
      response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
      response.setContentType("application/json");
      if (!answer.error_type.empty()) response.set("x-amzn-ErrorType", answer.error_type);
      response.set("x-amzn-RequestId", "req-wire");
      response.setContentLength64(static_cast<Poco::Int64>(answer.body.size()));
      response.send() << answer.body;
    }

   private:
    RecordingServer* owner_;
  };
  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(RecordingServer* owner) : owner_(owner) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(owner_);
    }

   private:
    RecordingServer* owner_;
  };

  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  mutable std::mutex mu_;
  std::vector<Recorded> requests_;
  std::deque<Scripted> script_;
};

class EmailSesWireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    email_ = LoadEmail({{"transport", "ses"},
                        {"from", "Shop <shop@example.com>"},
                        {"ses",
                         {{"region", "eu-west-1"},
                          {"endpoint", server_.Endpoint("/ses-proxy")},
                          {"credentials",
                           {{"access_key_id_secret", "key_id"},
                            {"secret_access_key_secret", "secret"},
                            {"session_token_secret", "token"}}},
                          {"configuration_set", "default-set"},
                          {"tags", {{"app", "storeflow"}}},
                          {"timeout_ms", 5000}}}},
                       {{"key_id", "AKIDWIRE"}, {"secret", kSecret}, {"token", kToken}});
    ASSERT_TRUE(email_->loaded()) << email_->error();
  }

  Reply Send(const Json& extra = Json::object()) {
    Json input = {{"to", "ada@example.com"}, {"subject", "Hello"}, {"text", "Hi"}};
    input.update(extra);
    return testing::SendEmail(*email_, input, "run-1/step");
  }

  void ExpectNoSecretsLogged() const {
    testing::ExpectNotLogged(*email_, kSecret);
    testing::ExpectNotLogged(*email_, kToken);
  }

  RecordingServer server_;
  std::unique_ptr<EmailHost> email_;
};

TEST_F(EmailSesWireTest, SignsForSesAndSendsConfigurationSetAndTags) {
  Reply reply = Send({{"tags", {{"kind", "welcome"}}}, {"configuration_set", "onboarding"}});
  ASSERT_TRUE(reply.ok) << reply;
  EXPECT_EQ(reply.output["message_id"], "wire-1");
  EXPECT_EQ(reply.output["content"], "simple");

  auto requests = server_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  Recorded& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.uri, "/ses-proxy/v2/email/outbound-emails");
  EXPECT_EQ(r.headers["content-type"], "application/json");
  const std::string& authorization = r.headers["authorization"];
  EXPECT_TRUE(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDWIRE/")) << authorization;
  EXPECT_NE(authorization.find("/eu-west-1/ses/aws4_request"), std::string::npos) << authorization;
  EXPECT_NE(authorization.find("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token"),
            std::string::npos)
      << authorization;
  EXPECT_EQ(r.headers["x-amz-security-token"], kToken);
  EXPECT_FALSE(r.headers["x-amz-date"].empty());

  Json body = Json::parse(r.body);
  EXPECT_EQ(body["ConfigurationSetName"], "onboarding");
  EXPECT_EQ(body["EmailTags"], Json::parse(R"([{"Name":"app","Value":"storeflow"},
                                              {"Name":"kind","Value":"welcome"}])"));
  EXPECT_EQ(body["FromEmailAddress"], "Shop <shop@example.com>");
  EXPECT_EQ(body["Destination"]["ToAddresses"], Json::array({"ada@example.com"}));
  EXPECT_EQ(body["Content"]["Simple"]["Subject"]["Data"], "Hello");
  ExpectNoSecretsLogged();
}

TEST_F(EmailSesWireTest, ClassifiesSesErrorAnswers) {
  struct Case {
    Scripted answer;
    bool retryable;
    std::string code;
    std::string in_message;
  };
  const std::vector<Case> cases = {
      {{429, R"({"message":"Maximum sending rate exceeded."})", "TooManyRequestsException"},
       true,
       "ses_throttled",
       "TooManyRequestsException (HTTP 429): Maximum sending rate exceeded. [request req-wire]"},
      {{500, R"({"message":"oops"})", "InternalFailure"}, true, "ses_unavailable", "HTTP 500"},
      {{400,
        R"({"message":"Email address is not verified. The following identities failed the check in region EU-WEST-1: shop@example.com"})",
        "MessageRejected:http://internal.amazon.com/coral/com.amazonaws.sesv2/"},
       false,
       "ses_message_rejected",
       "(check `from`)"},
      {{403, R"({"message":"not authorized to perform ses:SendEmail"})", "AccessDeniedException"},
       false,
       "ses_access_denied",
       "ses:SendEmail"},
      {{400, R"({"message":"Account is suspended"})", "AccountSuspendedException"},
       false,
       "ses_account_suspended",
       "AccountSuspendedException"},
      {{200, "{}", ""}, false, "ses_bad_response", "may have been sent"},
  };
  for (const Case& c : cases) {
    server_.Script(c.answer);
    Reply reply = Send();
    EXPECT_FALSE(reply.ok) << c.code;
    EXPECT_EQ(reply.retryable, c.retryable) << c.code << ": " << reply;
    EXPECT_EQ(reply.code, c.code) << reply;
    EXPECT_NE(reply.message.find(c.in_message), std::string::npos) << reply.message;
  }
  EXPECT_EQ(server_.Requests().size(), cases.size()) << "one request per send, no hidden retry";
  ExpectNoSecretsLogged();
}

}  // namespace
}  // namespace storeflow::plugins::email
