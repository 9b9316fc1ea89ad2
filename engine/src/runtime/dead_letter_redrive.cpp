#include "runtime/dead_letter_redrive.h"

#include <algorithm>
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
  // The passes follow the engine's clock: the wall clock, or the time of `--clock
  // manual` / `--clock virtual`, which moves by jumps (polled every kEngineTimePoll).
  // After a jump over several intervals there is one pass, not one per interval.
  constexpr std::chrono::milliseconds kEngineTimePoll(100);
  const bool engine_time = clock_.is_manual() || clock_.is_virtual();
  const TimeMs interval = policy_.interval.count();
  TimeMs due = clock_.Now() + interval;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      const auto wait = engine_time
                            ? std::min(policy_.interval, kEngineTimePoll)
                            : std::chrono::milliseconds(std::max<TimeMs>(0, due - clock_.Now()));
      if (wake_.wait_for(lock, wait, [this] { return stop_; })) return;
    }
    const TimeMs now = clock_.Now();
    if (now < due) continue;
    due = now + interval;
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
