#pragma once

// Plays a DayScript (app/demo_day.h) against a running engine on a manual clock and
// the Shopify simulator, then reads back what the engine reports: webhook counters,
// runs by workflow and status, cart records, and the recovery emails in the outbox
// (by template and by the customer's local hour).

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>

#include "app/demo_day.h"
#include "common/result.h"

namespace storeflow::app {

struct DayTarget {
  std::uint16_t engine_port = 0;
  std::string admin_token;
  std::uint16_t sim_port = 0;
  std::string shop;                     // the simulator's shop domain
  std::string admin_api_token;          // its Admin API token (to subscribe the engine)
  std::filesystem::path outbox;         // the email plugin's outbox folder
  std::filesystem::path templates_dir;  // config/email-templates (subject -> template)
};

struct DayObserved {
  int webhooks_received = 0;
  int webhooks_duplicate = 0;
  int webhooks_rejected = 0;
  std::map<std::string, std::map<std::string, int>> runs;  // workflow -> status -> count
  // workflow -> the virtual day it started on (0: the script's first, UTC) -> count
  std::map<std::string, std::map<int, int>> runs_by_day;
  DayMs day0 = 0;  // unix ms of 00:00 UTC of the script's first day
  std::map<std::string, int> carts_by_status;
  int carts_emailed = 0;                          // carts whose record counts an email
  std::map<std::string, int> emails_by_template;  // from the outbox's subjects
  std::map<int, int> emails_by_local_hour;        // the customer's local hour -> count
  int email_send_failures = 0;                    // the email plugin's failed sends (the outage)
  int emails_on_time = 0;  // emails whose Date is the time the script gives their number
  std::map<std::string, int> runs_by_workflow() const;
  // Webhook acknowledgements of this process's ingress in the last hour of wall time
  // (common/ack_window.h, what sync health reports): the day's and the visit's few.
  std::int64_t acks = 0;
  double ack_p50_ms = 0;
  double ack_p99_ms = 0;
  double wall_seconds = 0;
};

// Prints a progress line per phase to `out` (updated in place when `tty`).
Result<DayObserved> PlayDay(const DayScript& script, const DayTarget& target, std::ostream& out,
                            bool tty);

}  // namespace storeflow::app
