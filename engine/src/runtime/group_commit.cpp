#include "runtime/group_commit.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "common/metrics.h"

namespace storeflow::runtime {

GroupCommitter::GroupCommitter(Engine& engine, GroupCommitOptions options)
    : engine_(engine), options_(options) {
  options_.max_batch = std::max(1, options_.max_batch);
  options_.committers = std::max(1, options_.committers);
  metrics::Registry::Default().Describe(
      "storeflow_group_commit_batch_size", metrics::Type::kHistogram,
      "Events committed per group-commit transaction.", {1, 2, 4, 8, 16, 32, 64, 128, 256, 512});
  metrics::Registry::Default().Describe(
      "storeflow_group_commit_timeouts_total", metrics::Type::kCounter,
      "Publishes answered before their commit finished (http.commit_timeout).");
  for (int i = 0; i < options_.committers; ++i) threads_.emplace_back([this] { Loop(); });
}

GroupCommitter::~GroupCommitter() {
  Stop();
}

void GroupCommitter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool TopicNeedsPayload(const WorkflowCatalog& catalog, const std::string& topic) {
  if (!catalog.WaitKeys(topic).empty()) return true;
  for (const auto& loaded : catalog.Currents()) {
    const auto& triggers = loaded->workflow->triggers;
    for (std::size_t i = 0; i < triggers.size(); ++i) {
      if (TriggerMatches(triggers[i], loaded->workflow->name, i, topic)) return true;
    }
  }
  return false;
}

bool GroupCommitter::NeedsPayload(const std::string& topic) const {
  return TopicNeedsPayload(engine_.catalog(), topic);
}

Result<PublishOutcome> GroupCommitter::Publish(store::EventRow event, std::string payload_text) {
  std::future<Result<PublishOutcome>> result;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Unavailable("the engine is shutting down");
    Pending& p = pending_.emplace_back();
    p.id = id = ++next_id_;
    p.event = std::move(event);
    p.payload_text = std::move(payload_text);
    result = p.done.get_future();
  }
  cv_.notify_one();
  if (result.wait_for(options_.commit_timeout) == std::future_status::ready) return result.get();
  // Not committed in time. Still queued: take it back, so it is never stored.
  // Taken by a committer: its transaction may yet commit (the promise stays
  // with the committer, which sets it for nobody).
  bool withdrawn = false;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(pending_.begin(), pending_.end(),
                           [id](const Pending& p) { return p.id == id; });
    if (it != pending_.end()) {
      pending_.erase(it);
      withdrawn = true;
    }
  }
  if (!withdrawn && result.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready) {
    return result.get();  // it finished while we looked
  }
  metrics::Registry::Default().CounterAdd("storeflow_group_commit_timeouts_total", {});
  return DeadlineExceeded(
      "the store did not commit the event within " +
      std::to_string(options_.commit_timeout.count()) + " ms" +
      (withdrawn ? " (it was withdrawn and not stored)" : " (it may still be stored)"));
}

void GroupCommitter::Loop() {
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, nothing left
      const std::size_t n = std::min<std::size_t>(pending_.size(), options_.max_batch);
      batch.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
    }
    std::vector<store::EventRow> events;
    events.reserve(batch.size());
    std::vector<std::string> payload_texts;
    const bool any_text = std::any_of(batch.begin(), batch.end(),
                                      [](const Pending& p) { return !p.payload_text.empty(); });
    if (any_text) payload_texts.reserve(batch.size());
    for (auto& p : batch) {
      events.push_back(std::move(p.event));
      if (any_text) payload_texts.push_back(std::move(p.payload_text));
    }
    std::vector<Result<PublishOutcome>> outcomes;
    try {
      outcomes = engine_.PublishBatch(std::move(events), std::move(payload_texts));
    } catch (const std::exception& e) {
      outcomes.clear();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        outcomes.emplace_back(Internal(std::string("publish: ") + e.what()));
      }
    }
    metrics::Registry::Default().Observe("storeflow_group_commit_batch_size", {},
                                         static_cast<double>(batch.size()));
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i < outcomes.size()) {
        batch[i].done.set_value(std::move(outcomes[i]));
      } else {
        batch[i].done.set_value(Internal("publish: no outcome"));
      }
    }
  }
}

}  // namespace storeflow::runtime
