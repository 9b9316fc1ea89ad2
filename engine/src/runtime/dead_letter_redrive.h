#pragma once

// The auto-redrive of dead letters (dead_letters.auto_redrive): a thread that
// every `interval` retries the dead letters whose error was retryable, at most
// `options.max_per_pass` per pass and `options.max_redrives` times each
// (RedriveDeadLetters). Several engines sharing a database may run it: a dead
// letter is retried once per pass whichever engine gets to it first.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "runtime/dead_letters.h"

namespace storeflow::runtime {

class Clock;

struct RedrivePolicy {
  std::chrono::milliseconds interval = std::chrono::minutes(5);  // 0: off
  RedriveOptions options;
};

class DeadLetterRedriver {
 public:
  using Log = std::function<void(std::string_view level, std::string_view message)>;
  DeadLetterRedriver(store::Store& store, const Clock& clock, RedrivePolicy policy, Log log = {});
  ~DeadLetterRedriver();
  DeadLetterRedriver(const DeadLetterRedriver&) = delete;
  DeadLetterRedriver& operator=(const DeadLetterRedriver&) = delete;

  // The first pass one interval after Start, then one every interval (nothing
  // when the interval is 0), measured on the engine's clock: with a manual or
  // virtual clock, a pass once its time has moved an interval on.
  void Start();
  void Stop();  // idempotent

 private:
  void Loop();

  store::Store& store_;
  const Clock& clock_;
  const RedrivePolicy policy_;
  const Log log_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace storeflow::runtime
