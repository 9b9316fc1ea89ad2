#pragma once

// The aws-ses-v2-local peer for the ses transport's tests: its endpoint
// (SES_ENDPOINT, loopback only; tools/test.sh starts the peer and exports it),
// what it stored (GET SES_STORE_URL), and stored templates made through its API.
// The peer only checks that an Authorization header starts with "AWS", so the
// set-up calls here are not really signed; the plugin's own calls are signed as
// for AWS. The peer is shared: tests find their messages by their own recipients.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

namespace storeflow::plugins::email::testing {

inline std::string SesEnv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

#define STOREFLOW_REQUIRE_SES_PEER()                                                          \
  do {                                                                                        \
    if (::storeflow::plugins::email::testing::SesEnv("SES_ENDPOINT").empty()) {               \
      GTEST_SKIP() << "SES_ENDPOINT is not set: run tools/test.sh (it starts the "            \
                      "aws-ses-v2-local peer), or `set -a; . /tmp/sf-peers/ses.env; set +a`"; \
    }                                                                                         \
    const std::string host =                                                                  \
        Poco::URI(::storeflow::plugins::email::testing::SesEnv("SES_ENDPOINT")).getHost();    \
    ASSERT_TRUE(host == "127.0.0.1" || host == "localhost" || host == "::1")                  \
        << "SES_ENDPOINT must be on loopback, not " << host;                                  \
  } while (0)

// One call to the peer; {"__status": N, ...body} when it answered >= 300.
inline nlohmann::json SesPeerCall(const std::string& method, const std::string& url,
                                  const nlohmann::json& body = nullptr) {
  Poco::URI uri(url);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest http(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
  http.set("Authorization", "AWS4-HMAC-SHA256 Credential=test/set-up");
  std::string text = body.is_null() ? "" : body.dump();
  if (!body.is_null()) http.setContentType("application/json");
  http.setContentLength64(static_cast<Poco::Int64>(text.size()));
  session.sendRequest(http) << text;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  std::string answer;
  Poco::StreamCopier::copyToString(in, answer);
  nlohmann::json out = nlohmann::json::parse(answer, nullptr, false);
  if (!out.is_object()) out = nlohmann::json::object();
  if (response.getStatus() >= 300) out["__status"] = static_cast<int>(response.getStatus());
  return out;
}

// The emails the peer stored whose To, Cc or Bcc mentions `address`.
inline nlohmann::json SesEmailsTo(const std::string& address) {
  nlohmann::json store = SesPeerCall("GET", SesEnv("SES_STORE_URL"));
  nlohmann::json found = nlohmann::json::array();
  for (const auto& email : store.value("emails", nlohmann::json::array())) {
    const nlohmann::json destination = email.value("destination", nlohmann::json::object());
    bool match = false;
    for (const char* list : {"to", "cc", "bcc"}) {
      for (const auto& item : destination.value(list, nlohmann::json::array())) {
        if (item.is_string() && item.get<std::string>().find(address) != std::string::npos) {
          match = true;
        }
      }
    }
    if (match) found.push_back(email);
  }
  return found;
}

// The templates the peer holds, by name.
inline nlohmann::json SesTemplates() {
  return SesPeerCall("GET", SesEnv("SES_STORE_URL")).value("templates", nlohmann::json::object());
}

// Creates an SES stored template (CreateEmailTemplate); the answer.
inline nlohmann::json CreateSesTemplate(const std::string& name, const std::string& subject,
                                        const std::string& text, const std::string& html) {
  return SesPeerCall("POST", SesEnv("SES_ENDPOINT") + "/v2/email/templates",
                     {{"TemplateName", name},
                      {"TemplateContent", {{"Subject", subject}, {"Text", text}, {"Html", html}}}});
}

}  // namespace storeflow::plugins::email::testing
