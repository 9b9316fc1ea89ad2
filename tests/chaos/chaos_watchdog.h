#pragma once

// A chaos test's time bound: a thread that, when the test's budget runs out,
// prints that it did, runs the test's clean-up actions (kill the serve child,
// stop a private PostgreSQL) so the blocked test fails on its own, and ends the
// whole process with exit code 124 if the test still has not finished 20 s
// later. Destroying the watchdog (the test ended in time) stops it.

#include <unistd.h>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace storeflow::chaos {

class Watchdog {
 public:
  Watchdog(std::string name, std::chrono::seconds budget)
      : name_(std::move(name)), budget_(budget), thread_([this] { Watch(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Runs when the budget runs out (in the order added).
  void OnTimeout(std::function<void()> action) {
    std::lock_guard lock(mu_);
    actions_.push_back(std::move(action));
  }
  bool expired() const {
    std::lock_guard lock(mu_);
    return expired_;
  }

 private:
  void Watch() {
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, budget_, [this] { return done_; })) return;
    expired_ = true;
    std::fprintf(stderr, "[chaos watchdog] %s ran past its budget of %lld s: stopping children\n",
                 name_.c_str(), static_cast<long long>(budget_.count()));
    auto actions = actions_;
    lock.unlock();
    for (auto& action : actions) action();
    lock.lock();
    if (cv_.wait_for(lock, std::chrono::seconds(20), [this] { return done_; })) return;
    std::fprintf(stderr, "[chaos watchdog] %s did not stop 20 s after its children: exiting\n",
                 name_.c_str());
    std::fflush(stderr);
    _exit(124);
  }

  std::string name_;
  std::chrono::seconds budget_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool expired_ = false;
  std::vector<std::function<void()>> actions_;
  std::thread thread_;  // last: starts after the members it reads
};

}  // namespace storeflow::chaos
