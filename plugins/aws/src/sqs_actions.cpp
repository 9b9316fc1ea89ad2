#include "sqs_actions.h"

#include <algorithm>

#include "sha256.h"

namespace storeflow::plugins::aws {
namespace {

using sdk::Error;
using sdk::Json;

// The message body: a string as it is, anything else as JSON text.
std::string BodyText(const Json& body) {
  return body.is_string() ? body.get<std::string>() : body.dump();
}

// {name: "text" | number | {type, value}} -> SQS MessageAttributes.
Json Attributes(const Json& attributes) {
  Json out = Json::object();
  for (const auto& [name, value] : attributes.items()) {
    if (value.is_string()) {
      out[name] = {{"DataType", "String"}, {"StringValue", value}};
    } else if (value.is_number()) {
      out[name] = {{"DataType", "Number"}, {"StringValue", value.dump()}};
    } else if (value.is_object()) {
      out[name] = {{"DataType", value.value("type", "String")},
                   {"StringValue", value.contains("value") && value["value"].is_string()
                                       ? value["value"].get<std::string>()
                                       : value.value("value", Json()).dump()}};
    } else {
      throw Error::Permanent("invalid_input",
                             "attributes." + name + " must be a string, a number or {type, value}");
    }
  }
  return out;
}

// The SendMessage / SendMessageBatchRequestEntry fields of one message.
Json MessageFields(const std::string& queue, const Json& m, const std::string& default_dedup,
                   const std::string& where) {
  Json out = {{"MessageBody", BodyText(m.at("body"))}};
  if (m.contains("delay_seconds")) out["DelaySeconds"] = m["delay_seconds"];
  if (m.contains("attributes") && !m["attributes"].empty()) {
    out["MessageAttributes"] = Attributes(m["attributes"]);
  }
  if (SqsClient::IsFifo(queue)) {
    if (!m.contains("group_id")) {
      throw Error::Permanent("invalid_input", where + "group_id is required for the FIFO queue '" +
                                                  SqsClient::QueueName(queue) + "'");
    }
    out["MessageGroupId"] = m["group_id"];
    out["MessageDeduplicationId"] = m.value("deduplication_id", default_dedup);
    if (m.contains("delay_seconds")) {
      throw Error::Permanent("invalid_input", where +
                                                  "delay_seconds is not allowed on a FIFO "
                                                  "queue (set the delay on the queue)");
    }
  } else if (m.contains("group_id") || m.contains("deduplication_id")) {
    // Standard queues accept MessageGroupId (fair queues); deduplication ids are FIFO only.
    if (m.contains("deduplication_id")) {
      throw Error::Permanent("invalid_input",
                             where + "deduplication_id needs a FIFO queue (name ending in .fifo)");
    }
    out["MessageGroupId"] = m["group_id"];
  }
  return out;
}

template <typename Fn>
Json Guarded(Fn&& fn) {
  try {
    return fn();
  } catch (const AwsCallError& e) {
    throw ToStepError(e);
  }
}

}  // namespace

Error ToStepError(const AwsCallError& e) {
  const AwsError& a = e.error();
  std::string code = "sqs_" + a.code;
  std::replace(code.begin(), code.end(), '.', '_');
  if (a.retryable) return Error::Retryable(code, a.Describe());
  return Error::Permanent(code, a.Describe());
}

std::string DeduplicationIdFor(std::string_view key) {
  const bool fits = !key.empty() && key.size() <= 128 &&
                    std::all_of(key.begin(), key.end(), [](char c) { return c >= 33 && c <= 126; });
  return fits ? std::string(key) : Sha256Hex(key);
}

Json SqsSend(SqsClient& sqs, const Json& input, const sdk::Call& call) {
  return Guarded([&] {
    const std::string queue = input.at("queue");
    Json request = MessageFields(queue, input, DeduplicationIdFor(call.idempotency_key), "");
    request["QueueUrl"] = sqs.QueueUrl(queue);
    const Json answer = sqs.Call("SendMessage", request);
    Json out = {{"message_id", answer.value("MessageId", "")}};
    if (answer.contains("SequenceNumber")) out["sequence_number"] = answer["SequenceNumber"];
    return out;
  });
}

Json SqsSendBatch(SqsClient& sqs, const Json& input, const sdk::Call& call) {
  return Guarded([&] {
    const std::string queue = input.at("queue");
    const Json& messages = input.at("messages");
    Json entries = Json::array();
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const std::string where = "messages[" + std::to_string(i) + "].";
      Json entry =
          MessageFields(queue, messages[i],
                        DeduplicationIdFor(call.idempotency_key + "#" + std::to_string(i)), where);
      entry["Id"] = messages[i].value("id", "m" + std::to_string(i));
      entries.push_back(std::move(entry));
    }
    const Json answer =
        sqs.Call("SendMessageBatch", {{"QueueUrl", sqs.QueueUrl(queue)}, {"Entries", entries}});
    Json sent = Json::array();
    for (const Json& s : answer.value("Successful", Json::array())) {
      Json one = {{"id", s.value("Id", "")}, {"message_id", s.value("MessageId", "")}};
      if (s.contains("SequenceNumber")) one["sequence_number"] = s["SequenceNumber"];
      sent.push_back(std::move(one));
    }
    const Json failed = answer.value("Failed", Json::array());
    if (!failed.empty()) {
      // Some were sent, some not: the step fails so the run does not go on as
      // if all were. Retryable only when every failure was AWS's side; a retry
      // sends the whole batch again (FIFO queues drop the repeats by their
      // deduplication ids; standard queues get them twice).
      bool all_receiver = true;
      std::string list;
      for (const Json& f : failed) {
        all_receiver = all_receiver && !f.value("SenderFault", false);
        list += (list.empty() ? "" : "; ") + f.value("Id", std::string("?")) + ": " +
                f.value("Code", std::string("?")) + " " + f.value("Message", std::string());
      }
      const std::string message = std::to_string(failed.size()) + " of " +
                                  std::to_string(entries.size()) + " messages were not sent (" +
                                  list + ")";
      if (all_receiver) throw Error::Retryable("sqs_batch_partial", message);
      throw Error::Permanent("sqs_batch_partial", message);
    }
    return Json{{"sent", sent}};
  });
}

Json SqsDelete(SqsClient& sqs, const Json& input) {
  return Guarded([&] {
    const std::string queue = input.at("queue");
    sqs.Call("DeleteMessage",
             {{"QueueUrl", sqs.QueueUrl(queue)}, {"ReceiptHandle", input.at("receipt_handle")}});
    return Json{{"deleted", true}};
  });
}

Json SqsChangeVisibility(SqsClient& sqs, const Json& input) {
  return Guarded([&] {
    const std::string queue = input.at("queue");
    sqs.Call("ChangeMessageVisibility", {{"QueueUrl", sqs.QueueUrl(queue)},
                                         {"ReceiptHandle", input.at("receipt_handle")},
                                         {"VisibilityTimeout", input.at("visibility_timeout")}});
    return Json{{"changed", true}};
  });
}

Json SqsPurge(SqsClient& sqs, const Json& input) {
  const std::string queue = input.at("queue");
  if (!sqs.config().sqs.allow_purge) {
    throw Error::Permanent("sqs_purge_not_allowed",
                           "sqs.purge deletes every message of '" + queue +
                               "': it is refused unless plugins.config.sqs.allow_purge is true");
  }
  return Guarded([&] {
    sqs.Call("PurgeQueue", {{"QueueUrl", sqs.QueueUrl(queue)}});
    return Json{{"purged", true}};
  });
}

}  // namespace storeflow::plugins::aws
