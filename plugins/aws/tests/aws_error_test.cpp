// AWS's JSON-protocol error shapes, classified: throttling and 5xx retryable,
// access and validation permanent; and the config's checks.

#include <gtest/gtest.h>

#include "aws_config.h"
#include "aws_error.h"
#include "sqs_actions.h"

namespace storeflow::plugins::aws {
namespace {

TEST(AwsErrorTest, ReadsTypeMessageQueryCodeAndRequestId) {
  AwsError e = ParseAwsError(
      400,
      {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"},
       {"x-amzn-RequestId", "req-1"}},
      R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})");
  EXPECT_EQ(e.code, "QueueDoesNotExist");
  EXPECT_EQ(e.query_code, "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_TRUE(e.sender_fault);
  EXPECT_FALSE(e.retryable);
  EXPECT_EQ(e.Describe(),
            "QueueDoesNotExist (HTTP 400): The specified queue does not exist. [request req-1]");
}

TEST(AwsErrorTest, ThrottlingAndServerErrorsAreRetryable) {
  EXPECT_TRUE(
      ParseAwsError(400, {}, R"({"__type":"com.amazonaws.sqs#ThrottlingException"})").retryable);
  EXPECT_TRUE(
      ParseAwsError(403, {{"x-amzn-query-error", "RequestThrottled;Sender"}}, "{}").retryable);
  EXPECT_TRUE(ParseAwsError(500, {}, R"({"__type":"InternalFailure"})").retryable);
  EXPECT_TRUE(ParseAwsError(503, {}, "<html>busy</html>").retryable);
  EXPECT_TRUE(ParseAwsError(429, {}, "").retryable);
  EXPECT_TRUE(NetworkError("connection refused").retryable);
}

TEST(AwsErrorTest, AccessAndValidationArePermanent) {
  AwsError denied =
      ParseAwsError(403, {}, R"({"__type":"com.amazon.coral.service#AccessDeniedException",
                                "Message":"not authorized"})");
  EXPECT_EQ(denied.code, "AccessDeniedException");
  EXPECT_EQ(denied.message, "not authorized");
  EXPECT_FALSE(denied.retryable);
  AwsError invalid = ParseAwsError(
      400, {},
      R"({"__type":"com.amazonaws.sqs#InvalidParameterValue:http://internal.amazon.com/coral/com.amazon.coral.validate/","message":"bad"})");
  EXPECT_EQ(invalid.code, "InvalidParameterValue");
  EXPECT_FALSE(invalid.retryable);
  // Not JSON at all: the status is the code, the start of the body the message.
  AwsError html = ParseAwsError(404, {}, "<html>nope</html>");
  EXPECT_EQ(html.code, "HTTP404");
  EXPECT_FALSE(html.retryable);
}

TEST(AwsErrorTest, ReadsRestJsonErrorTypeHeaderAndEmulatorDetail) {
  // SES v2 (REST-JSON): the code is in x-amzn-ErrorType, the body has `message`.
  AwsError rejected =
      ParseAwsError(400,
                    {{"x-amzn-ErrorType",
                      "MessageRejected:http://internal.amazon.com/coral/com.amazonaws.sesv2/"},
                     {"x-amzn-RequestId", "req-2"}},
                    R"({"message":"Email address is not verified."})");
  EXPECT_EQ(rejected.code, "MessageRejected");
  EXPECT_EQ(rejected.message, "Email address is not verified.");
  EXPECT_FALSE(rejected.retryable);
  AwsError throttled = ParseAwsError(429, {{"x-amzn-ErrorType", "TooManyRequestsException"}},
                                     R"({"message":"Maximum sending rate exceeded."})");
  EXPECT_EQ(throttled.code, "TooManyRequestsException");
  EXPECT_TRUE(throttled.retryable);
  // aws-ses-v2-local: `type` and a `detail` that says what it refused.
  AwsError emulator = ParseAwsError(
      404, {}, R"({"type":"NotFoundException","message":"gone","detail":"no template"})");
  EXPECT_EQ(emulator.code, "NotFoundException");
  EXPECT_EQ(emulator.message, "gone (no template)");
}

TEST(AwsErrorTest, StepErrorsKeepTheClassAndAShortCode) {
  sdk::Error retry = ToStepError(AwsCallError(NetworkError("refused")));
  EXPECT_EQ(retry.kind(), STOREFLOW_ERROR_RETRYABLE);
  EXPECT_EQ(retry.code(), "sqs_network");
  sdk::Error permanent = ToStepError(AwsCallError(
      ParseAwsError(400, {{"x-amzn-query-error", "AWS.SimpleQueueService.X;Sender"}}, "{}")));
  EXPECT_EQ(permanent.kind(), STOREFLOW_ERROR_PERMANENT);
  EXPECT_EQ(permanent.code(), "sqs_AWS_SimpleQueueService_X");
}

TEST(AwsErrorTest, DeduplicationIdsFollowSqsRules) {
  EXPECT_EQ(DeduplicationIdFor("abc/12/emails[1].send"), "abc/12/emails[1].send");
  const std::string long_key(200, 'k');
  EXPECT_EQ(DeduplicationIdFor(long_key).size(), 64u);  // SHA-256 hex
  EXPECT_EQ(DeduplicationIdFor("with space").size(), 64u);
}

TEST(AwsConfigTest, RegionFromEnvironmentAndQueueDefaults) {
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_REGION") return "eu-west-1";
    return std::nullopt;
  };
  auto config = ParseAwsConfig({{"endpoint", "http://127.0.0.1:9/"},
                                {"defaults", {{"receivers", 3}}},
                                {"queues", {{"orders.fifo", {{"poison", "leave"}}}}}},
                               env);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->region, "eu-west-1");
  EXPECT_EQ(config->SqsEndpoint(), "http://127.0.0.1:9");
  EXPECT_EQ(config->Queue("orders.fifo").receivers, 3);  // from defaults
  EXPECT_EQ(config->Queue("orders.fifo").poison, PoisonPolicy::kLeave);
  EXPECT_EQ(config->Queue("other").poison, PoisonPolicy::kReject);
  auto half = ParseAwsConfig({{"credentials", {{"access_key_id_secret", "K"}}}}, env);
  EXPECT_FALSE(half.ok());
  auto bad_region = ParseAwsConfig({{"region", "EU WEST"}}, env);
  EXPECT_FALSE(bad_region.ok());
}

}  // namespace
}  // namespace storeflow::plugins::aws
