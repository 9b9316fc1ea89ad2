#pragma once

// The process-wide deadline watchdog behind time-only budgets (CallBudget with
// no instruction cap).
//
// Why: in Lua 5.4 ANY count hook sends every VM instruction through
// luaG_traceexec, whatever its period (about a third of the interpreter's speed).
// A time-only budget therefore runs with no hook at all, and arms the hook only
// once the deadline has passed:
//
//   worker thread (per call)          watchdog thread (one per process)
//   ------------------------          ---------------------------------
//   Arm: publish the deadline         sleeps until the earliest published
//        (two atomic stores, no       deadline (or at most the shortest time
//        syscall, no lock)            limit, to notice new calls)
//   ... Lua runs without a hook ...   deadline passed and the call still the
//                                     same -> pthread_kill(worker, signal)
//   signal handler (ON the worker     -> lua_sethook(L, hook, COUNT, 1) on the
//   thread, like lua.c's SIGINT)         worker's active state, if its deadline
//                                        has really passed
//   hook fires -> time limit error, and keeps firing (pcall cannot swallow it)
//   Disarm: withdraw the deadline, remove the hook if the handler set it.
//
// The watchdog never touches a lua_State: lua_sethook walks the CallInfo list,
// so it must run on the thread that owns the state. The handler finds the state
// through a thread-local pointer that only its own thread writes.
//
// C code that loops without VM instructions (the budgeted pattern matcher, the
// table guards, the JSON conversion) still reads the clock itself every N steps
// (CallBudget::Charge); the signal only matters for Lua code.

#include <lua.hpp>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>

namespace storeflow::script {

class DeadlineWatchdog {
 public:
  // One per CallBudget (so per Sandbox). Written by the worker thread; read by
  // the watchdog thread.
  struct Slot {
    // Steady-clock nanoseconds of the active call's deadline; 0 = no call.
    std::atomic<std::int64_t> deadline_ns{0};
    std::atomic<pthread_t> thread{};
    // The budget's time limit in ns: how often the watchdog must look.
    std::atomic<std::int64_t> limit_ns{0};
    // Set by the watchdog around pthread_kill; End() waits for it.
    std::atomic<int> signaling{0};
    // Only the watchdog thread reads and writes these (under its lock).
    std::int64_t signaled_deadline = 0;
    std::int64_t signaled_at = 0;
  };

  // What the signal handler acts on: the worker thread's active call.
  struct Active {
    lua_State* L = nullptr;
    std::int64_t deadline_ns = 0;
    lua_Hook hook = nullptr;
    // Set by the handler when it installed the hook (read by Disarm).
    volatile std::sig_atomic_t hook_set = 0;
  };

  // Registers / unregisters a slot (takes a lock; once per Sandbox). The first
  // registration installs the signal handler and starts the thread.
  static void Register(Slot* slot);
  static void Unregister(Slot* slot);
  // Changes a registered slot's time limit (takes the lock, wakes the watchdog).
  static void UpdateLimit(Slot* slot, std::int64_t limit_ns);

  // The calling thread's active call (nullptr when none). Set and cleared only
  // by the thread itself, around each call.
  static void SetActive(Active* active) noexcept;

  // Once per thread (after Register): makes sure the thread does not block the
  // signal (a mask inherited from its creator would).
  static void EnsureThreadReady() noexcept;

  // Publishes the calling thread's call on `slot` / withdraws it. No syscall,
  // no lock: a few atomic stores (End waits only while the watchdog is in the
  // middle of signaling this slot).
  static void Begin(Slot* slot, std::int64_t deadline_ns) noexcept;
  static void End(Slot* slot) noexcept;

  static std::int64_t NowNs() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  // The signal number in use (0 before the first Register).
  static int signal_number();
};

}  // namespace storeflow::script
