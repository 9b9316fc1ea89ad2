#include "script/call_budget.h"

#include "script/script_context.h"

namespace storeflow::script {

CallBudget::~CallBudget() {
  if (registered_) DeadlineWatchdog::Unregister(&slot_);
}

void CallBudget::Arm(lua_State* L, std::chrono::milliseconds time_limit,
                     std::uint64_t instruction_limit) {
  armed_ = true;
  tripped_ = LimitKind::kNone;
  time_limit_ = time_limit;
  instruction_limit_ = instruction_limit;
  instructions_used_ = 0;
  has_deadline_ = time_limit.count() > 0;
  if (has_deadline_) deadline_ = Clock::now() + time_limit;
  watchdog_ = has_deadline_ && instruction_limit == 0;
  if (!watchdog_) {
    lua_sethook(L, &CallBudget::Hook, LUA_MASKCOUNT, kHookPeriod);
    return;
  }
  std::int64_t limit_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(time_limit).count();
  if (!registered_) {
    slot_.limit_ns.store(limit_ns, std::memory_order_relaxed);
    DeadlineWatchdog::Register(&slot_);  // once per budget: takes a lock
    registered_ = true;
  } else if (slot_.limit_ns.load(std::memory_order_relaxed) != limit_ns) {
    DeadlineWatchdog::UpdateLimit(&slot_, limit_ns);  // only when the limit changes
  }
  DeadlineWatchdog::EnsureThreadReady();
  std::int64_t deadline_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline_.time_since_epoch()).count();
  active_.L = L;
  active_.deadline_ns = deadline_ns;
  active_.hook = &CallBudget::Hook;
  active_.hook_set = 0;
  DeadlineWatchdog::SetActive(&active_);
  DeadlineWatchdog::Begin(&slot_, deadline_ns);
}

void CallBudget::Disarm(lua_State* L) {
  armed_ = false;
  if (watchdog_) {
    DeadlineWatchdog::End(&slot_);
    DeadlineWatchdog::SetActive(nullptr);  // from here on the handler does nothing
    // The handler (or Raise) may have installed the hook.
    lua_sethook(L, nullptr, 0, 0);
    return;
  }
  lua_sethook(L, nullptr, 0, 0);
}

bool CallBudget::Exceeded() {
  if (tripped_ != LimitKind::kNone) return true;
  if (instruction_limit_ != 0 && instructions_used_ > instruction_limit_) {
    tripped_ = LimitKind::kInstructions;
  } else if (has_deadline_ && Clock::now() >= deadline_) {
    tripped_ = LimitKind::kTime;
  }
  return tripped_ != LimitKind::kNone;
}

void PushLuaWhere(lua_State* L) {
  lua_Debug ar;
  for (int level = 0; lua_getstack(L, level, &ar) != 0; ++level) {
    lua_getinfo(L, "Sl", &ar);
    if (ar.currentline > 0) {
      lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.currentline);
      return;
    }
  }
  lua_pushliteral(L, "");
}

void CallBudget::Raise(lua_State* L) {
  // From now on the hook fires at every instruction: whatever catches this
  // error gets it again as soon as it runs Lua code.
  lua_sethook(L, &CallBudget::Hook, LUA_MASKCOUNT, 1);
  PushLuaWhere(L);
  if (tripped_ == LimitKind::kTime) {
    lua_pushfstring(L, "time limit of %I ms exceeded",
                    static_cast<lua_Integer>(time_limit_.count()));
  } else {
    lua_pushfstring(L, "instruction limit of %I exceeded",
                    static_cast<lua_Integer>(instruction_limit_));
  }
  lua_concat(L, 2);
  lua_error(L);
  __builtin_unreachable();
}

bool CallBudget::Consume(std::uint64_t units) {
  if (!armed_) return false;
  instructions_used_ += units;
  return Exceeded();
}

void CallBudget::Charge(lua_State* L, std::uint64_t units) {
  if (Consume(units)) Raise(L);
}

void CallBudget::Hook(lua_State* L, lua_Debug* /*ar*/) {
  ScriptContext* ctx = ScriptContext::Get(L);
  if (ctx == nullptr) return;
  CallBudget& budget = ctx->budget;
  if (!budget.armed_) return;
  budget.instructions_used_ += budget.tripped_ == LimitKind::kNone ? kHookPeriod : 1;
  if (budget.Exceeded()) budget.Raise(L);
}

}  // namespace storeflow::script
