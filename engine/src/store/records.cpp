#include "store/records.h"

#include <array>
#include <string>
#include <utility>

namespace storeflow::store {
namespace {

constexpr std::array<std::pair<RunStatus, std::string_view>, 10> kRunStatuses = {{
    {RunStatus::kQueued, "queued"},
    {RunStatus::kReady, "ready"},
    {RunStatus::kRunning, "running"},
    {RunStatus::kSleeping, "sleeping"},
    {RunStatus::kWaiting, "waiting"},
    {RunStatus::kCompleted, "completed"},
    {RunStatus::kFailed, "failed"},
    {RunStatus::kCancelled, "cancelled"},
    {RunStatus::kRejected, "rejected"},
    {RunStatus::kSkipped, "skipped"},
}};

constexpr std::array<std::pair<StepStatus, std::string_view>, 4> kStepStatuses = {{
    {StepStatus::kRunning, "running"},
    {StepStatus::kCompleted, "completed"},
    {StepStatus::kFailed, "failed"},
    {StepStatus::kSkipped, "skipped"},
}};

template <typename Enum, std::size_t N>
Result<Enum> ParseName(const std::array<std::pair<Enum, std::string_view>, N>& table,
                       std::string_view name, std::string_view what) {
  std::string valid;
  for (const auto& [value, text] : table) {
    if (text == name) return value;
    if (!valid.empty()) valid += ", ";
    valid += text;
  }
  return InvalidArgument("unknown " + std::string(what) + " '" + std::string(name) +
                         "' (valid: " + valid + ")");
}

}  // namespace

std::string_view RunStatusName(RunStatus status) {
  for (const auto& [value, text] : kRunStatuses) {
    if (value == status) return text;
  }
  return "unknown";
}

Result<RunStatus> ParseRunStatus(std::string_view name) {
  return ParseName(kRunStatuses, name, "run status");
}

bool IsTerminal(RunStatus status) {
  switch (status) {
    case RunStatus::kCompleted:
    case RunStatus::kFailed:
    case RunStatus::kCancelled:
    case RunStatus::kRejected:
    case RunStatus::kSkipped: return true;
    default: return false;
  }
}

std::string_view StepStatusName(StepStatus status) {
  for (const auto& [value, text] : kStepStatuses) {
    if (value == status) return text;
  }
  return "unknown";
}

Result<StepStatus> ParseStepStatus(std::string_view name) {
  return ParseName(kStepStatuses, name, "step status");
}

}  // namespace storeflow::store
