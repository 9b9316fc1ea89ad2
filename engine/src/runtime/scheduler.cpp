#include "runtime/scheduler.h"

#include <algorithm>

#include "common/timezone.h"
#include "script/time_text.h"

namespace storeflow::runtime {
namespace {

// The next fire time strictly after `after_ms`, or nullopt.
std::optional<TimeMs> NextFire(const CronSchedule& cron, const std::string& timezone,
                               TimeMs after_ms) {
  auto zone = TimeZone::Load(timezone.empty() ? "UTC" : timezone);
  if (!zone.ok()) return std::nullopt;
  const std::int64_t next = cron.NextAfter(after_ms / 1000, **zone);
  if (next == CronSchedule::kNever) return std::nullopt;
  return next * 1000;
}

}  // namespace

Status Scheduler::Sync(TimeMs now) {
  auto tx = store_.Begin();
  if (!tx.ok()) return tx.status();
  const auto currents = catalog_.Currents();
  // Rows of a current workflow for a trigger that is no longer a schedule (the
  // workflow changed): forgotten. Rows of workflows this engine does not serve
  // are left to the engines that do.
  auto rows = (*tx)->ListSchedules();
  if (!rows.ok()) return rows.status();
  for (const auto& row : *rows) {
    auto current = catalog_.Current(row.workflow);
    if (current == nullptr) continue;
    const auto& triggers = current->workflow->triggers;
    const bool still = row.trigger_index >= 0 &&
                       static_cast<std::size_t>(row.trigger_index) < triggers.size() &&
                       std::holds_alternative<workflow::ScheduleTrigger>(
                           triggers[static_cast<std::size_t>(row.trigger_index)].spec);
    if (still) continue;
    auto deleted = (*tx)->DeleteSchedule(row.workflow, row.trigger_index);
    if (!deleted.ok()) return deleted.status();
  }
  for (const auto& loaded : currents) {
    const auto& triggers = loaded->workflow->triggers;
    for (std::size_t i = 0; i < triggers.size(); ++i) {
      const auto* schedule = std::get_if<workflow::ScheduleTrigger>(&triggers[i].spec);
      if (schedule == nullptr) continue;
      if (schedule->off) {  // "off" from the config: forget its row
        auto deleted = (*tx)->DeleteSchedule(loaded->workflow->name, static_cast<std::int64_t>(i));
        if (!deleted.ok()) return deleted.status();
        continue;
      }
      auto next = NextFire(schedule->cron, schedule->timezone, now);
      if (!next) continue;
      store::ScheduleRow row;
      row.workflow = loaded->workflow->name;
      row.trigger_index = static_cast<std::int64_t>(i);
      row.cron = schedule->cron.expression();
      row.timezone = schedule->timezone.empty() ? "UTC" : schedule->timezone;
      row.next_due_at = *next;
      STOREFLOW_RETURN_IF_ERROR((*tx)->UpsertSchedule(row));
    }
  }
  return (*tx)->Commit();
}

Result<int> Scheduler::FireDue(script::Sandbox& sandbox, TimeMs now) {
  auto tx = store_.Begin();
  if (!tx.ok()) return tx.status();
  auto due = (*tx)->DueSchedules(now, 100);
  if (!due.ok()) return due.status();
  int fired = 0;
  for (const auto& row : *due) {
    auto loaded = catalog_.Current(row.workflow);
    if (loaded == nullptr) continue;  // another engine serves it
    auto cron = ParseCron(row.cron);
    if (!cron.ok()) continue;
    // Missed fire times (the engine was down) collapse into this one.
    auto next = NextFire(*cron, row.timezone, std::max(now, row.next_due_at));
    auto advanced = (*tx)->AdvanceSchedule(row.workflow, row.trigger_index, row.next_due_at,
                                           next.value_or(CronSchedule::kNever));
    if (!advanced.ok()) return advanced.status();
    if (!*advanced) continue;  // another engine fired it
    std::string scheduled_at;
    if (!script::FormatTimestamp(row.next_due_at, *TimeZone::Utc(), "", &scheduled_at)) {
      scheduled_at = std::to_string(row.next_due_at / 1000);
    }
    store::EventRow event;
    event.topic = "schedule/" + row.workflow + "/" + std::to_string(row.trigger_index);
    event.source = "schedule";
    event.dedup_key = event.topic + "@" + std::to_string(row.next_due_at);
    event.payload = {{"scheduled_at", scheduled_at}};
    auto published = router_.Publish(**tx, std::move(event), sandbox, now);
    if (!published.ok()) return published.status();
    ++fired;
  }
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  if (fired > 0) store_.Notify();
  return fired;
}

Result<std::optional<TimeMs>> Scheduler::NextDueAt() {
  auto tx = store_.Begin();
  if (!tx.ok()) return tx.status();
  auto rows = (*tx)->ListSchedules();
  if (!rows.ok()) return rows.status();
  STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
  std::optional<TimeMs> earliest;
  for (const auto& row : *rows) {
    if (catalog_.Current(row.workflow) == nullptr) continue;
    if (!earliest || row.next_due_at < *earliest) earliest = row.next_due_at;
  }
  return earliest;
}

}  // namespace storeflow::runtime
