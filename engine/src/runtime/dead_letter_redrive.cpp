#include "runtime/dead_letter_redrive.h"

#include <string>

#include "runtime/clock.h"

namespace storeflow::runtime {

DeadLetterRedriver::DeadLetterRedriver(store::Store& store, const Clock& clock,
                                       RedrivePolicy policy, Log log)
    : store_(store), clock_(clock), policy_(policy), log_(std::move(log)) {}

DeadLetterRedriver::~DeadLetterRedriver() {
  Stop();
}

void DeadLetterRedriver::Start() {
  std::lock_guard lock(mu_);
  if (policy_.interval.count() <= 0 || thread_.joinable() || stop_) return;
  thread_ = std::thread([this] { Loop(); });
}

void DeadLetterRedriver::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeadLetterRedriver::Loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_for(lock, policy_.interval, [this] { return stop_; })) return;
    }
    auto retried = RedriveDeadLetters(store_, clock_.Now(), policy_.options);
    if (!log_) continue;
    if (!retried.ok()) {
      log_("warn", "dead-letter redrive: " + retried.status().message());
    } else if (*retried > 0) {
      log_("info", "dead-letter redrive: retried " + std::to_string(*retried) + " run(s)");
    }
  }
}

}  // namespace storeflow::runtime
