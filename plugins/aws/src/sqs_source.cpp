#include "sqs_source.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

namespace storeflow::plugins::aws {
namespace {

using sdk::Json;
using Published = sdk::SourceHost::Published;
using SteadyClock = std::chrono::steady_clock;

std::string Attribute(const Json& message, const char* name) {
  const Json attributes = message.value("Attributes", Json::object());
  return attributes.contains(name) && attributes[name].is_string()
             ? attributes[name].get<std::string>()
             : std::string();
}

// A numeric system attribute ("ApproximateReceiveCount", "SentTimestamp").
std::optional<long long> Number(const Json& message, const char* name) {
  const std::string text = Attribute(message, name);
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(text);
}

}  // namespace

std::string SqsSource::DedupKey(const std::string& queue, const Json& message) {
  const std::string dedup = Attribute(message, "MessageDeduplicationId");
  if (SqsClient::IsFifo(queue) && !dedup.empty()) return queue + "/d/" + dedup;
  return queue + "/m/" + message.value("MessageId", std::string());
}

Json SqsSource::Meta(const std::string& queue, const Json& message, const SqsQueueConfig& config) {
  Json meta = {{"queue", queue}, {"message_id", message.value("MessageId", std::string())}};
  const std::string group = Attribute(message, "MessageGroupId");
  if (!group.empty()) {
    meta["group_id"] = group;
    if (config.group_as_run_key) meta["run_key"] = group;
  }
  if (auto count = Number(message, "ApproximateReceiveCount")) meta["receive_count"] = *count;
  if (auto sent = Number(message, "SentTimestamp")) meta["sent_at_ms"] = *sent;
  if (auto dedup = Attribute(message, "MessageDeduplicationId"); !dedup.empty()) {
    meta["deduplication_id"] = dedup;
  }
  if (auto seq = Attribute(message, "SequenceNumber"); !seq.empty()) meta["sequence_number"] = seq;
  Json attributes = Json::object();
  const Json message_attributes = message.value("MessageAttributes", Json::object());
  for (const auto& [name, value] : message_attributes.items()) {
    if (value.contains("StringValue")) attributes[name] = value["StringValue"];
  }
  if (!attributes.empty()) meta["attributes"] = attributes;
  return meta;
}

void SqsSource::Run(const Json& config, const sdk::SourceHost& source) {
  std::vector<std::thread> receivers;
  for (const std::string& queue : config.value("topics", std::vector<std::string>{})) {
    const SqsQueueConfig& qc = sqs_.config().Queue(queue);
    // The URL first (GetQueueUrl may fail while AWS is unreachable: retry).
    std::string url;
    std::chrono::milliseconds pause(500);
    while (url.empty()) {
      try {
        url = sqs_.QueueUrl(queue);
      } catch (const AwsCallError& e) {
        host_.Warn("sqs source: queue '" + queue + "': " + e.what());
        if (source.WaitForStop(pause.count())) break;
        pause = std::min(pause * 2, std::chrono::milliseconds(30'000));
      }
    }
    if (url.empty()) break;                // asked to stop
    const SqsQueueConfig* settings = &qc;  // lives in sqs_.config()
    for (int i = 0; i < qc.receivers; ++i) {
      receivers.emplace_back([this, queue, url, settings, &source] {
        try {
          Receive(queue, url, *settings, source);
        } catch (const std::exception& e) {
          host_.Log(STOREFLOW_LOG_ERROR,
                    "sqs source: receiver of '" + queue + "' ended: " + e.what());
        }
      });
    }
  }
  for (auto& t : receivers) t.join();
}

void SqsSource::Receive(const std::string& queue, const std::string& url,
                        const SqsQueueConfig& config, const sdk::SourceHost& source) {
  std::chrono::milliseconds pause(500);
  while (!source.StopRequested()) {
    Json answer;
    try {
      answer = sqs_.Call("ReceiveMessage",
                         {{"QueueUrl", url},
                          {"MaxNumberOfMessages", config.max_messages},
                          {"WaitTimeSeconds", config.wait_seconds},
                          {"VisibilityTimeout", config.visibility_timeout},
                          {"AttributeNames", {"All"}},
                          {"MessageSystemAttributeNames", {"All"}},
                          {"MessageAttributeNames", {"All"}}},
                         std::chrono::milliseconds(config.wait_seconds * 1000 + 10'000));
      pause = std::chrono::milliseconds(500);
    } catch (const AwsCallError& e) {
      host_.Warn("sqs source: ReceiveMessage of '" + queue + "': " + e.what());
      if (source.WaitForStop(pause.count())) return;
      pause = std::min(pause * 2, std::chrono::milliseconds(30'000));
      continue;
    }
    const Json messages = answer.value("Messages", Json::array());
    if (messages.empty()) continue;
    Delete(url, Commit(queue, url, config, messages, source));
  }
}

std::vector<std::string> SqsSource::Commit(const std::string& queue, const std::string& url,
                                           const SqsQueueConfig& config, const Json& messages,
                                           const sdk::SourceHost& source) {
  std::vector<std::string> done;
  const auto received = SteadyClock::now();
  auto extended = received;
  const auto half = std::chrono::milliseconds(config.visibility_timeout * 500);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    // Commits can be slow (a busy database): before half the visibility timeout
    // has passed, give the messages not yet committed a fresh timeout, so SQS
    // does not hand them to another receiver meanwhile.
    if (SteadyClock::now() - extended >= half) {
      Json entries = Json::array();
      for (std::size_t j = i; j < messages.size(); ++j) {
        entries.push_back({{"Id", "e" + std::to_string(j)},
                           {"ReceiptHandle", messages[j].value("ReceiptHandle", "")},
                           {"VisibilityTimeout", config.visibility_timeout}});
      }
      try {
        sqs_.Call("ChangeMessageVisibilityBatch", {{"QueueUrl", url}, {"Entries", entries}});
        extended = SteadyClock::now();
      } catch (const AwsCallError& e) {
        host_.Warn("sqs source: extending the visibility on '" + queue + "': " + e.what());
      }
    }
    const Json& message = messages[i];
    const std::string body = message.value("Body", std::string());
    const std::string receipt = message.value("ReceiptHandle", std::string());
    Published result = Published::kRefused;
    if (Json::accept(body)) {
      result = source.Publish(queue, DedupKey(queue, message), body, Meta(queue, message, config));
    }
    if (result == Published::kRefused) {
      // Poison: not JSON (or refused by the engine).
      if (config.poison == PoisonPolicy::kLeave) {
        host_.Warn("sqs source: message " + message.value("MessageId", std::string()) + " of '" +
                   queue + "' is not JSON: left on the queue for its redrive policy");
        continue;
      }
      Json meta = Meta(queue, message, config);
      meta.erase("run_key");
      meta["rejected"] = "the message body is not JSON";
      const Json payload = {{"body", body}, {"error", "the message body is not JSON"}};
      result = source.Publish(queue + ".rejected", DedupKey(queue, message), payload.dump(), meta);
    }
    if (result == Published::kFailed) {
      // Not committed: leave it and the rest of the batch (in order, for FIFO
      // groups) to come back after their visibility timeout.
      host_.Warn("sqs source: the engine did not commit a message of '" + queue +
                 "': it and the rest of its batch come back after the visibility timeout");
      break;
    }
    done.push_back(receipt);
  }
  return done;
}

void SqsSource::Delete(const std::string& url, const std::vector<std::string>& receipts) {
  for (std::size_t start = 0; start < receipts.size(); start += 10) {
    Json entries = Json::array();
    for (std::size_t j = start; j < receipts.size() && j < start + 10; ++j) {
      entries.push_back({{"Id", "d" + std::to_string(j)}, {"ReceiptHandle", receipts[j]}});
    }
    try {
      const Json answer =
          sqs_.Call("DeleteMessageBatch", {{"QueueUrl", url}, {"Entries", entries}});
      if (!answer.value("Failed", Json::array()).empty()) {
        host_.Warn("sqs source: " + std::to_string(answer["Failed"].size()) +
                   " committed messages were not deleted: they come back and are duplicates");
      }
    } catch (const AwsCallError& e) {
      host_.Warn("sqs source: DeleteMessageBatch: " + std::string(e.what()) +
                 " (the committed messages come back and are duplicates)");
    }
  }
}

}  // namespace storeflow::plugins::aws
