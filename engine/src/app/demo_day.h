#pragma once

// The scripted commerce day of `storeflow demo`: which carts the shoppers of one
// Shopify shop (the simulator's alpha.myshopify.com) create, when, in which time
// zone, what each cart's fate is (ordered before the abandonment delay, after the
// first email, after the last, never; or no marketing consent), which deliveries
// the simulator duplicates or re-orders, and what the shipped workflows
// (abandoned-cart, checkouts, cart-orders, cart-versions) must make of it: the
// expected emails (number, template, time), cart statuses, webhook and run counts.
// The email transport fails for an hour of the second morning: the sends due then
// are refused and retried by the workflow until they go out. A few orders of the
// first day are made in Shopify with their webhook dropped (the gap); Shopify's
// Admin API answers 503 to the first nightly reconciliation (reconcile.yaml at
// 04:00 UTC), whose run becomes a dead letter that the auto-redrive retries once
// the API answers again, and then finds and repairs the gap.
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

// An order made in Shopify (not from a cart) whose orders/create delivery the
// simulator drops: the gap the nightly reconciliation must find.
struct GapOrder {
  int index = 0;
  DayMs at = 0;
  int price = 0;  // whole dollars
  std::string email;
};

// A product of the shop API's catalogue (workflows/data/catalogue.json).
struct CatalogueItem {
  std::string id;
  std::string name;
  std::string type;  // productType
};

// A shopper of the REST shop API: interactions (POST /events), an order of one
// product (POST /orders) and, at the end of the first day, GET /recommendations.
// Their interactions favour one category (`interest`): clicks and an add_to_cart
// there (scripts/recommend.lua weighs them 2 and 4), one view of two others.
struct ShopEvent {
  DayMs at = 0;
  std::string product;
  std::string type;
  std::string event;  // view | click | add_to_cart
};
struct ShopUser {
  int index = 0;
  std::string id;
  std::string email;
  std::string interest;  // the category the rule must find
  std::vector<ShopEvent> events;
  DayMs order_at = 0;
  std::string ordered;  // the product ordered
  DayMs recommend_at = 0;
  std::vector<std::string> recommended;  // the catalogue's ids of `interest`, sorted
};

// One thing the demo does at a moment of the day.
struct DayAction {
  DayMs at = 0;
  enum Kind {
    kCreate,
    kOrder,
    kEmailDown,
    kEmailUp,
    kGapOrder,      // `cart` is the gap order's index
    kShopifyDown,   // the Admin API answers 503 to the next kShopifyFailedCalls calls
    kAwaitRedrive,  // until the failed reconciliation was re-driven and completed
    kShopEvent,     // `cart`: the user, `event`: the index of the event
    kShopOrder,
    kRecommend,
  } kind = kCreate;
  int cart = -1;
  int event = -1;
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
  // The nightly reconciliation (orders only) and its gap.
  int reconciliations = 0;      // 04:00 UTC crossings of the clock, one run each
  int reconciliations_gap = 0;  // reports that found a gap (the first night's)
  int reconcile_missing = 0;    // orders found missing (the gap orders)
  int reconcile_repaired = 0;   // and written by the repair walk
  int reconciliations_ok = 0;   // reports whose status after the repair is ok (all)
  int shopify_orders = 0;       // the engine's shopify_orders records at the end
  int webhooks_dropped = 0;     // deliveries the simulator dropped (the gap)
  // Dead letters: the first reconciliation, failed on Shopify's 503s.
  int dead_letters = 0;           // runs that were a dead letter
  int dead_letters_redriven = 0;  // retried by the auto-redrive (resolution retried)
  int dead_letters_open = 0;      // still on the list at the end
  // The REST shop API's users.
  int shop_events = 0;      // POST /events
  int shop_orders = 0;      // POST /orders, each processed and confirmed by email
  int recommendations = 0;  // GET /recommendations on the user's interest
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
  // workflows/reconcile.yaml: daily at 04:00 UTC; its count step tries 5 times.
  static constexpr DayMs kReconcileAt = 4 * kHour;
  static constexpr int kShopifyFailedCalls = 5;

  // `start`: unix ms of the day's first moment (06:00 UTC of a fixed date). Fails
  // when a time zone is not installed (tzdata).
  // `catalogue`: the shop API's products; empty: no shop API users.
  static Result<DayScript> Make(std::uint64_t seed, int carts, DayMs start,
                                const std::vector<CatalogueItem>& catalogue = {});

  const std::vector<DayCart>& carts() const { return carts_; }
  std::vector<DayAction> Actions() const;
  const DayExpectation& expected() const { return expected_; }
  DayMs start() const { return start_; }
  // When every run has ended (the last tracking wait) plus a margin.
  DayMs end() const { return end_; }
  // The hour the email transport fails: sends after `down` up to `up` fail.
  DayMs outage_down() const { return outage_down_; }
  DayMs outage_up() const { return outage_up_; }
  const std::vector<GapOrder>& gap_orders() const { return gap_orders_; }
  const std::vector<ShopUser>& shop_users() const { return shop_users_; }
  // The reconciliations' times (04:00 UTC from the first night to end()).
  const std::vector<DayMs>& nights() const { return nights_; }
  // When the Admin API starts failing (just before the first night's run).
  DayMs shopify_down() const { return shopify_down_; }
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
  DayMs shopify_down_ = 0;
  std::vector<DayCart> carts_;
  std::vector<GapOrder> gap_orders_;
  std::vector<ShopUser> shop_users_;
  std::vector<DayMs> nights_;
  DayExpectation expected_;
};

}  // namespace storeflow::app
