#include "sqs_source.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <optional>
#include <system_error>
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

// Which messages a batch's lanes publish: on a standard queue each message is
// a lane of its own; on a FIFO queue a lane is one MessageGroupId's messages in
// receive order. Lanes run concurrently, a lane's messages one after another.
std::vector<std::vector<std::size_t>> SqsSource::Lanes(const std::string& queue,
                                                       const Json& messages) {
  std::vector<std::vector<std::size_t>> lanes;
  if (!SqsClient::IsFifo(queue)) {
    for (std::size_t i = 0; i < messages.size(); ++i) lanes.push_back({i});
    return lanes;
  }
  std::map<std::string, std::size_t> lane_of_group;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const auto [at, added] =
        lane_of_group.try_emplace(Attribute(messages[i], "MessageGroupId"), lanes.size());
    if (added) lanes.emplace_back();
    lanes[at->second].push_back(i);
  }
  return lanes;
}

SqsSource::Outcome SqsSource::PublishOne(const std::string& queue, const SqsQueueConfig& config,
                                         const Json& message, const sdk::SourceHost& source) {
  const std::string body = message.value("Body", std::string());
  Published result = Published::kRefused;
  if (Json::accept(body)) {
    result = source.Publish(queue, DedupKey(queue, message), body, Meta(queue, message, config));
  }
  if (result == Published::kRefused) {
    // Poison: not JSON (or refused by the engine).
    if (config.poison == PoisonPolicy::kLeave) {
      host_.Warn("sqs source: message " + message.value("MessageId", std::string()) + " of '" +
                 queue + "' is not JSON: left on the queue for its redrive policy");
      return Outcome::kLeave;
    }
    Json meta = Meta(queue, message, config);
    meta.erase("run_key");
    meta["rejected"] = "the message body is not JSON";
    const Json payload = {{"body", body}, {"error", "the message body is not JSON"}};
    result = source.Publish(queue + ".rejected", DedupKey(queue, message), payload.dump(), meta);
  }
  return result == Published::kFailed ? Outcome::kFailed : Outcome::kDelete;
}

void SqsSource::RunLane(const std::string& queue, const SqsQueueConfig& config,
                        const Json& messages, const std::vector<std::size_t>& lane,
                        std::vector<std::atomic<Outcome>>& outcomes,
                        const sdk::SourceHost& source) {
  std::size_t next = 0;
  try {
    for (; next < lane.size(); ++next) {
      const Outcome outcome = PublishOne(queue, config, messages[lane[next]], source);
      if (outcome == Outcome::kFailed) {
        // Not committed: leave it (and, in a FIFO group, the group's later
        // messages of this batch, unpublished) to come back after the
        // visibility timeout, in order.
        host_.Warn("sqs source: the engine did not commit a message of '" + queue +
                   (next + 1 < lane.size()
                        ? "': it and the later messages of its group come back after the "
                          "visibility timeout"
                        : "': it comes back after the visibility timeout"));
        break;
      }
      outcomes[lane[next]] = outcome;
    }
  } catch (const std::exception& e) {
    host_.Warn("sqs source: publishing a message of '" + queue + "': " + e.what() +
               " (it comes back after the visibility timeout)");
  }
  for (; next < lane.size(); ++next) outcomes[lane[next]] = Outcome::kLeave;
}

void SqsSource::ExtendVisibility(const std::string& url, const SqsQueueConfig& config,
                                 const Json& messages,
                                 const std::vector<std::atomic<Outcome>>& outcomes) {
  Json entries = Json::array();
  for (std::size_t j = 0; j < messages.size(); ++j) {
    if (outcomes[j] != Outcome::kPending) continue;
    entries.push_back({{"Id", "e" + std::to_string(j)},
                       {"ReceiptHandle", messages[j].value("ReceiptHandle", "")},
                       {"VisibilityTimeout", config.visibility_timeout}});
  }
  if (entries.empty()) return;
  sqs_.Call("ChangeMessageVisibilityBatch", {{"QueueUrl", url}, {"Entries", entries}});
}

std::vector<std::string> SqsSource::Commit(const std::string& queue, const std::string& url,
                                           const SqsQueueConfig& config, const Json& messages,
                                           const sdk::SourceHost& source) {
  // The lanes publish concurrently so that one group commit can take the whole
  // batch (publishing a message returns only once it is committed). The host's
  // publish may be called from any thread of the source, concurrently
  // (docs/plugin-sdk.md §7; engine/src/plugin/source_runner.cpp and
  // source_publisher.cpp share nothing mutable but the thread-safe group
  // committer). Every lane thread is joined before Commit returns.
  std::vector<std::atomic<Outcome>> outcomes(messages.size());
  for (auto& outcome : outcomes) outcome = Outcome::kPending;
  std::vector<std::future<void>> running;
  for (const auto& lane : Lanes(queue, messages)) {
    auto run = [this, &queue, &config, &messages, lane, &outcomes, &source] {
      RunLane(queue, config, messages, lane, outcomes, source);
    };
    try {
      running.push_back(std::async(std::launch::async, run));
    } catch (const std::system_error&) {
      run();  // no thread to be had: publish this lane here
    }
  }
  // Commits can be slow (a busy database): every half visibility timeout, give
  // the messages not yet committed a fresh timeout, so SQS does not hand them
  // to another receiver meanwhile.
  const auto half = std::chrono::milliseconds(config.visibility_timeout * 500);
  auto next_extension = SteadyClock::now() + half;
  for (auto& lane : running) {
    while (lane.wait_until(next_extension) == std::future_status::timeout) {
      try {
        ExtendVisibility(url, config, messages, outcomes);
        next_extension = SteadyClock::now() + half;
      } catch (const AwsCallError& e) {
        host_.Warn("sqs source: extending the visibility on '" + queue + "': " + e.what());
        next_extension =
            SteadyClock::now() + std::min<SteadyClock::duration>(half, std::chrono::seconds(1));
      }
    }
  }
  std::vector<std::string> done;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (outcomes[i] == Outcome::kDelete) done.push_back(messages[i].value("ReceiptHandle", ""));
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
