#pragma once

// The sqs.* actions: send, send_batch, delete, change_visibility, purge. Each
// takes the validated `with:` input and the step's call; throws sdk::Error
// (retryable: throttling, 5xx, network; permanent: access, validation, a
// missing queue, purge not allowed).

#include <string_view>

#include <storeflow/plugin.hpp>

#include "sqs_client.h"

namespace storeflow::plugins::aws {

sdk::Json SqsSend(SqsClient& sqs, const sdk::Json& input, const sdk::Call& call);
sdk::Json SqsSendBatch(SqsClient& sqs, const sdk::Json& input, const sdk::Call& call);
sdk::Json SqsDelete(SqsClient& sqs, const sdk::Json& input);
sdk::Json SqsChangeVisibility(SqsClient& sqs, const sdk::Json& input);
sdk::Json SqsPurge(SqsClient& sqs, const sdk::Json& input);

// An AWS failure as the step's error: code "sqs_<AwsCode>" ("sqs_QueueDoesNotExist",
// "sqs_network", "sqs_ThrottlingException").
sdk::Error ToStepError(const AwsCallError& e);

// The MessageDeduplicationId a FIFO send gets by default: the step's
// idempotency key when it fits SQS's rules (1..128 printable ASCII), else its
// SHA-256 in hex.
std::string DeduplicationIdFor(std::string_view idempotency_key);

}  // namespace storeflow::plugins::aws
