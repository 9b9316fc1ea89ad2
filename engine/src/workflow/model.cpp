#include "workflow/model.h"

#include <cctype>

namespace storeflow::workflow {
namespace {

const Step* FindIn(const std::vector<Step>& steps, std::string_view id) {
  for (const Step& s : steps) {
    if (s.id == id) return &s;
    if (const Step* nested = FindIn(s.children(), id)) return nested;
  }
  return nullptr;
}

std::size_t CountIn(const std::vector<Step>& steps) {
  std::size_t n = steps.size();
  for (const Step& s : steps) n += CountIn(s.children());
  return n;
}

}  // namespace

std::string_view Trigger::kind() const {
  static constexpr std::string_view kNames[] = {"webhook", "http", "schedule", "queue", "event"};
  return kNames[spec.index()];
}

std::string Trigger::ToString() const {
  std::string out(kind());
  out += ' ';
  if (const auto* w = std::get_if<WebhookTrigger>(&spec)) {
    out += w->source + "/" + w->topic;
  } else if (const auto* h = std::get_if<HttpTrigger>(&spec)) {
    out += h->method + " " + h->path;
  } else if (const auto* s = std::get_if<ScheduleTrigger>(&spec)) {
    if (!s->config_key.empty()) {
      out += "config." + s->config_key + " ";  // its value may change per installation
    } else {
      out += "\"" + s->cron.expression() + "\" ";
    }
    out += s->timezone;
  } else if (const auto* q = std::get_if<QueueTrigger>(&spec)) {
    out += q->plugin + "/" + q->queue;
  } else if (const auto* e = std::get_if<EventTrigger>(&spec)) {
    out += e->name;
  }
  return out;
}

std::string_view KindName(const StepKind& kind) {
  static constexpr std::string_view kNames[] = {"",     "uses",    "rule",    "sleep", "wait_for",
                                                "emit", "respond", "foreach", "fail"};
  return kNames[kind.index()];
}

const std::vector<Step>& Step::children() const {
  static const std::vector<Step> kNone;
  if (const auto* f = std::get_if<ForeachStep>(&kind)) return f->steps;
  return kNone;
}

const Step* Workflow::FindStep(std::string_view id) const {
  return FindIn(steps, id);
}

std::size_t Workflow::StepCount() const {
  return CountIn(steps);
}

bool Workflow::HasTrigger(std::string_view kind) const {
  for (const Trigger& t : triggers) {
    if (t.kind() == kind) return true;
  }
  return false;
}

bool IsValidId(std::string_view id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

std::vector<std::string> ResolveConfiguredSchedules(Workflow& workflow) {
  std::vector<std::string> problems;
  for (Trigger& trigger : workflow.triggers) {
    auto* schedule = std::get_if<ScheduleTrigger>(&trigger.spec);
    if (schedule == nullptr || schedule->config_key.empty()) continue;
    const std::string name = "config." + schedule->config_key;
    const auto it = workflow.config.find(schedule->config_key);
    if (!workflow.config.is_object() || it == workflow.config.end()) {
      problems.push_back("the schedule reads " + name +
                         ", which the workflow's config does not declare (add it with a default "
                         "cron, e.g. " +
                         schedule->config_key + ": \"0 4 * * *\")");
      continue;
    }
    if (!it->is_string()) {
      problems.push_back(name + " must be a cron string or \"off\", got " + it->dump());
      continue;
    }
    const std::string text = it->get<std::string>();
    if (text == "off") {
      schedule->off = true;
      continue;
    }
    Result<CronSchedule> cron = ParseCron(text);
    if (!cron.ok()) {
      problems.push_back(name + " \"" + text + "\": " + cron.status().message());
      continue;
    }
    if (!cron->timezone().empty()) {
      if (schedule->timezone != "UTC" && schedule->timezone != cron->timezone()) {
        problems.push_back(name + " names its time zone twice (CRON_TZ= and 'timezone')");
        continue;
      }
      schedule->timezone = cron->timezone();
    }
    schedule->off = false;
    schedule->cron = *std::move(cron);
  }
  return problems;
}

}  // namespace storeflow::workflow
