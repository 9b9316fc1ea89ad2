#pragma once

// The fauxqs peer for the tests that use SQS (the sqs plugin's own tests, the
// end-to-end tests): its endpoint (SQS_ENDPOINT, loopback only; tools/test.sh
// starts fauxqs and exports it), unique queue names, and a plain client for
// setting up and inspecting queues (fauxqs does not check signatures, so the
// set-up calls are unsigned; the plugin's own calls are signed as for AWS).

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

namespace storeflow::test_support {

// SQS_ENDPOINT, or "" (the test then skips).
inline std::string SqsEndpoint() {
  const char* endpoint = std::getenv("SQS_ENDPOINT");
  return endpoint != nullptr ? endpoint : "";
}

#define STOREFLOW_REQUIRE_SQS_PEER()                                                        \
  do {                                                                                      \
    if (::storeflow::test_support::SqsEndpoint().empty()) {                                 \
      GTEST_SKIP() << "SQS_ENDPOINT is not set: run tools/test.sh (it starts the fauxqs "   \
                      "peer), or `set -a; . /tmp/sf-peers/fauxqs.env; set +a`";             \
    }                                                                                       \
    const std::string host = Poco::URI(::storeflow::test_support::SqsEndpoint()).getHost(); \
    ASSERT_TRUE(host == "127.0.0.1" || host == "localhost" || host == "::1")                \
        << "SQS_ENDPOINT must be on loopback, not " << host;                                \
  } while (0)

// A queue name no other test (or run) uses: <prefix>-<pid>-<n>-<random>.
inline std::string UniqueQueue(const std::string& prefix, bool fifo = false) {
  static std::atomic<int> counter{0};
  std::string name = prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
                     "-" + std::to_string(std::random_device()() % 100000);
  return fifo ? name + ".fifo" : name;
}

// One unsigned AmazonSQS.<action> call; {"__status": N, ...body} on an HTTP error.
inline nlohmann::json SqsCall(const std::string& action, const nlohmann::json& request) {
  Poco::URI uri(SqsEndpoint());
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest http(Poco::Net::HTTPRequest::HTTP_POST, "/",
                              Poco::Net::HTTPMessage::HTTP_1_1);
  http.set("Content-Type", "application/x-amz-json-1.0");
  http.set("X-Amz-Target", "AmazonSQS." + action);
  const std::string body = request.dump();
  http.setContentLength64(static_cast<Poco::Int64>(body.size()));
  session.sendRequest(http) << body;
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  std::string text;
  Poco::StreamCopier::copyToString(in, text);
  nlohmann::json out =
      text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text, nullptr, false);
  if (!out.is_object()) out = nlohmann::json::object();
  if (response.getStatus() >= 300) out["__status"] = static_cast<int>(response.getStatus());
  return out;
}

// Creates `name` (FIFO when it ends with .fifo); returns its URL.
inline std::string CreateQueue(const std::string& name,
                               nlohmann::json attributes = nlohmann::json::object()) {
  if (name.size() > 5 && name.substr(name.size() - 5) == ".fifo") {
    attributes["FifoQueue"] = "true";
  }
  nlohmann::json request = {{"QueueName", name}};
  if (!attributes.empty()) request["Attributes"] = attributes;
  nlohmann::json answer = SqsCall("CreateQueue", request);
  EXPECT_TRUE(answer.contains("QueueUrl")) << answer.dump();
  return answer.value("QueueUrl", "");
}

// Receives up to 10 messages (visible ones only), waiting at most `wait` seconds.
inline nlohmann::json Receive(const std::string& url, int wait = 0, int visibility = 30) {
  nlohmann::json answer = SqsCall("ReceiveMessage", {{"QueueUrl", url},
                                                     {"MaxNumberOfMessages", 10},
                                                     {"WaitTimeSeconds", wait},
                                                     {"VisibilityTimeout", visibility},
                                                     {"MessageAttributeNames", {"All"}},
                                                     {"MessageSystemAttributeNames", {"All"}}});
  return answer.value("Messages", nlohmann::json::array());
}

// ApproximateNumberOfMessages + ...NotVisible: what the queue still holds.
inline long MessagesLeft(const std::string& url) {
  nlohmann::json answer =
      SqsCall("GetQueueAttributes",
              {{"QueueUrl", url},
               {"AttributeNames",
                {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}}});
  const nlohmann::json attributes = answer.value("Attributes", nlohmann::json::object());
  return std::stol(attributes.value("ApproximateNumberOfMessages", "0")) +
         std::stol(attributes.value("ApproximateNumberOfMessagesNotVisible", "0"));
}

}  // namespace storeflow::test_support
