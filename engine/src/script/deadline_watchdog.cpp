#include "script/deadline_watchdog.h"

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace storeflow::script {
namespace {

using std::chrono::nanoseconds;
using std::chrono::steady_clock;

// A lock-free atomic pointer is async-signal-safe to read; only the owning
// thread writes it, so relaxed order plus signal fences is enough.
thread_local std::atomic<DeadlineWatchdog::Active*> t_active{nullptr};
thread_local bool t_signal_unblocked = false;

std::atomic<int> g_signal{0};

// A signaled call that is still running gets the signal again this often
// (belt and braces: the handler is idempotent).
constexpr std::int64_t kResignalNs = 100'000'000;
// With no registered limit to go by, look this often.
constexpr std::int64_t kMaxSleepNs = 1'000'000'000;

void OnSignal(int /*signo*/) {
  int saved_errno = errno;
  DeadlineWatchdog::Active* a = t_active.load(std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_acquire);
  if (a != nullptr && a->L != nullptr && a->hook_set == 0 &&
      DeadlineWatchdog::NowNs() >= a->deadline_ns) {
    // Same thread as the interrupted Lua code, as lua.c does for SIGINT: the
    // VM notices the hook at its next instruction fetch (traps are set on
    // every active Lua frame, and loops re-read them at each jump).
    lua_sethook(a->L, a->hook, LUA_MASKCOUNT, 1);
    a->hook_set = 1;
  }
  errno = saved_errno;
}

class Watchdog {
 public:
  static Watchdog& Get() {
    static Watchdog* w = new Watchdog;  // never destroyed: the thread outlives main
    return *w;
  }

  void Register(DeadlineWatchdog::Slot* slot) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) Start();
    slots_.push_back(slot);
    cv_.notify_one();
  }

  void UpdateLimit(DeadlineWatchdog::Slot* slot, std::int64_t limit_ns) {
    std::lock_guard<std::mutex> lock(mu_);
    slot->limit_ns.store(limit_ns, std::memory_order_relaxed);
    cv_.notify_one();
  }

  void Unregister(DeadlineWatchdog::Slot* slot) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = slots_.begin(); it != slots_.end(); ++it) {
      if (*it == slot) {
        slots_.erase(it);
        break;
      }
    }
  }

 private:
  // Under mu_.
  void Start() {
    int chosen = 0;
    for (int s = SIGRTMIN + 4; s <= SIGRTMAX; ++s) {
      struct sigaction old {};
      if (sigaction(s, nullptr, &old) != 0) continue;
      if ((old.sa_flags & SA_SIGINFO) == 0 && old.sa_handler == SIG_DFL) {
        chosen = s;
        break;
      }
    }
    if (chosen == 0) throw std::runtime_error("no free real-time signal for the Lua watchdog");
    struct sigaction sa {};
    sa.sa_handler = &OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(chosen, &sa, nullptr) != 0) {
      throw std::runtime_error(std::string("sigaction: ") + std::strerror(errno));
    }
    g_signal.store(chosen, std::memory_order_release);
    // The watchdog thread itself never takes the signal.
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, chosen);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    std::thread([this] { Loop(); }).detach();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    started_ = true;
  }

  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (slots_.empty()) {
        cv_.wait(lock);
        continue;
      }
      std::int64_t now = DeadlineWatchdog::NowNs();
      std::int64_t next = now + kMaxSleepNs;
      for (DeadlineWatchdog::Slot* s : slots_) {
        std::int64_t limit = s->limit_ns.load(std::memory_order_relaxed);
        if (limit > 0 && now + limit < next) next = now + limit;  // a call may start any time
        std::int64_t d = s->deadline_ns.load(std::memory_order_acquire);
        if (d == 0) continue;
        if (d > now) {
          if (d < next) next = d;
          continue;
        }
        if (s->signaled_deadline != d || now - s->signaled_at >= kResignalNs) {
          Signal(s, d);
          s->signaled_deadline = d;
          s->signaled_at = now;
        }
        if (now + kResignalNs < next) next = now + kResignalNs;
      }
      cv_.wait_until(lock, steady_clock::time_point(nanoseconds(next)));
    }
  }

  // The worker's Disarm waits while `signaling` is set, so the thread is alive
  // (inside that call, or just after it) when pthread_kill runs.
  static void Signal(DeadlineWatchdog::Slot* s, std::int64_t d) {
    s->signaling.store(1, std::memory_order_seq_cst);
    if (s->deadline_ns.load(std::memory_order_seq_cst) == d) {
      pthread_kill(s->thread.load(std::memory_order_relaxed),
                   g_signal.load(std::memory_order_relaxed));
    }
    s->signaling.store(0, std::memory_order_release);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<DeadlineWatchdog::Slot*> slots_;
  bool started_ = false;
};

}  // namespace

void DeadlineWatchdog::Register(Slot* slot) {
  Watchdog::Get().Register(slot);
}

void DeadlineWatchdog::UpdateLimit(Slot* slot, std::int64_t limit_ns) {
  Watchdog::Get().UpdateLimit(slot, limit_ns);
}

void DeadlineWatchdog::Unregister(Slot* slot) {
  Watchdog::Get().Unregister(slot);
}

int DeadlineWatchdog::signal_number() {
  return g_signal.load(std::memory_order_acquire);
}

void DeadlineWatchdog::EnsureThreadReady() noexcept {
  if (t_signal_unblocked) return;
  // A thread that inherited a mask blocking the signal would never see it.
  int s = signal_number();
  if (s == 0) return;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, s);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  t_signal_unblocked = true;
}

void DeadlineWatchdog::SetActive(Active* active) noexcept {
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_active.store(active, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
}

void DeadlineWatchdog::Begin(Slot* slot, std::int64_t deadline_ns) noexcept {
  slot->thread.store(pthread_self(), std::memory_order_relaxed);
  slot->deadline_ns.store(deadline_ns, std::memory_order_release);
}

void DeadlineWatchdog::End(Slot* slot) noexcept {
  slot->deadline_ns.store(0, std::memory_order_seq_cst);
  while (slot->signaling.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
}

}  // namespace storeflow::script
