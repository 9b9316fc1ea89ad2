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
#include <vector>

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
  int emails_on_time = 0;    // emails whose Date is the time the script gives their number
  int webhooks_dropped = 0;  // the simulator's deliveries in state dropped
  // GET /api/v1/reconciliations: every report, and their sums.
  int reconciliations = 0;
  int reconciliations_gap = 0;  // found is not ok
  int reconcile_missing = 0;
  int reconcile_repaired = 0;
  int reconciliations_ok = 0;  // status ok
  struct Reconciliation {
    std::int64_t id = 0;
    DayMs created = 0;
    std::string found, status, run_status;
    int missing = 0, repaired = 0;
  };
  std::vector<Reconciliation> reconciliation_list;  // oldest first
  int shopify_orders = 0;                           // live records of shopify_orders
  // Runs that were a dead letter (their `dead_letter`), and how they were resolved.
  int dead_letters = 0;
  int dead_letters_redriven = 0;               // resolution retried by auto_redrive
  int dead_letters_open = 0;                   // GET /api/v1/dead-letters at the end
  std::vector<std::string> dead_letter_notes;  // "run 12 reconcile: step ..., retried by ..."
  DayMs redriven_at = 0;  // when the demo saw the failed reconciliation completed
  // The shop API: what GET /recommendations answered each user (category, product ids).
  struct Recommendation {
    std::string category;
    std::vector<std::string> products;
  };
  std::map<std::string, Recommendation> recommendations;  // userId ->
  int shop_events = 0;                                    // interactions records
  int shop_orders = 0;                                    // orders records with status PROCESSED
  int recommendations_ok = 0;  // answers on the user's scripted interest, the whole category
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
