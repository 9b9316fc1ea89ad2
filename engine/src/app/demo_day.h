#pragma once

// The scripted commerce day of `storeflow demo`: which carts the shoppers of one
// Shopify shop (the simulator's alpha.myshopify.com) create, when, in which time
// zone, what each cart's fate is (ordered before the abandonment delay, after the
// first email, after the last, never; or no marketing consent), which deliveries
// the simulator duplicates or re-orders, and what the shipped workflows
// (abandoned-cart, checkouts, cart-orders, cart-versions) must make of it: the
// expected emails (number, template, time), cart statuses, webhook and run counts.
// The email transport fails for an hour of the second morning: the sends due then
// are refused and retried by the workflow until they go out.
// Deterministic for a seed (its own PRNG; no std::random_device, no std::
// distributions, whose output differs between standard libraries).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace storeflow::app {

using DayMs = std::int64_t;

enum class CartFate {
  kBeforeDelay,  // ordered before abandon_after: converted, no email
  kAfterEmail1,  // ordered between the first and second email: recovered after 1
  kAfterLast,    // ordered a day after the third email: recovered after 3
  kNever,        // never ordered: abandoned, three emails
  kNoConsent,    // the buyer declined marketing, never ordered: abandoned, no email
};
const char* CartFateName(CartFate fate);
// "before_delay", "after_email_1", "after_last", "never", "no_consent"
const char* CartFateKey(CartFate fate);

struct DayCart {
  int index = 0;
  std::string token;
  std::string email;
  std::string timezone;  // IANA name, the checkout's note attribute
  CartFate fate = CartFate::kNever;
  DayMs created = 0;
  int price = 0;           // whole dollars of its one line
  bool duplicate = false;  // carts/create delivered twice (same webhook id)
  bool reorder = false;    // created and updated at once, the update delivered first
  // What the rules make of it.
  DayMs order_offset = 0;  // the seed's part of when it is ordered
  std::optional<DayMs> order_at;
  int send_failures = 0;                 // sends that fail in the email outage
  std::string status;                    // converted | recovered | abandoned
  int recovered_after = 0;               // the last email's number before the order
  std::map<int, DayMs> emails;           // number -> when it goes out
  std::map<int, std::string> templates;  // number -> template
  double value() const { return price + (reorder ? 10 : 0); }  // the update adds 2 x 5.00
};

// One thing the demo does at a moment of the day.
struct DayAction {
  DayMs at = 0;
  enum Kind { kCreate, kOrder, kEmailDown, kEmailUp } kind = kCreate;
  int cart = -1;
};

// What the engine must report after the day, computed from the script.
struct DayExpectation {
  int webhooks_received = 0;  // deliveries the engine answered (duplicates included)
  int webhooks_duplicate = 0;
  int webhooks_rejected = 0;  // the one forged delivery the demo sends itself
  std::map<std::string, int> runs_by_workflow;
  std::map<std::string, int> carts_by_status;  // converted | recovered | abandoned
  std::map<std::string, int> emails_by_template;
  int carts_emailed = 0;        // carts that got at least one email
  int email_send_failures = 0;  // sends refused in the outage (each retried later)
};

class DayScript {
 public:
  static constexpr DayMs kMinute = 60'000;
  static constexpr DayMs kHour = 60 * kMinute;
  static constexpr DayMs kDay = 24 * kHour;
  // The shipped defaults the model follows (workflows/abandoned-cart.yaml config,
  // scripts/email_timing.lua).
  static constexpr DayMs kAbandonAfter = 4 * kHour;
  static constexpr DayMs kTrackFor = 14 * kDay;

  // `start`: unix ms of the day's first moment (06:00 UTC of a fixed date). Fails
  // when a time zone is not installed (tzdata).
  static Result<DayScript> Make(std::uint64_t seed, int carts, DayMs start);

  const std::vector<DayCart>& carts() const { return carts_; }
  std::vector<DayAction> Actions() const;
  const DayExpectation& expected() const { return expected_; }
  DayMs start() const { return start_; }
  // When every run has ended (the last tracking wait) plus a margin.
  DayMs end() const { return end_; }
  // The hour the email transport fails: sends after `down` up to `up` fail.
  DayMs outage_down() const { return outage_down_; }
  DayMs outage_up() const { return outage_up_; }
  // The carts as JSON (token, email, timezone, fate, created, order_at, and what the
  // rules make of it), for DIR/day/script.json.
  std::string ToJson() const;

 private:
  DayScript() = default;
  Status Model();

  DayMs start_ = 0;
  DayMs end_ = 0;
  DayMs outage_down_ = 0;
  DayMs outage_up_ = 0;
  int email_failures_ = 0;
  std::vector<DayCart> carts_;
  DayExpectation expected_;
};

}  // namespace storeflow::app
