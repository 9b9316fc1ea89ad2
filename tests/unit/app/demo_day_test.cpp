// The demo's scripted day (app/demo_day.h) as a plan: deterministic for a seed, a mix
// of fates, emails never in the buyer's quiet hours, orders where their fate puts
// them, and an email outage that matters.

#include "app/demo_day.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/timezone.h"

namespace storeflow::app {
namespace {

constexpr DayMs kStart = (20522LL * 86400 + 6 * 3600) * 1000;  // 2026-03-10 06:00 UTC

TEST(DemoDayTest, TheSameSeedGivesTheSameDayAndAnotherSeedAnother) {
  auto a = DayScript::Make(7, 40, kStart);
  auto b = DayScript::Make(7, 40, kStart);
  auto c = DayScript::Make(8, 40, kStart);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok()) << a.status().message();
  EXPECT_EQ(a->ToJson(), b->ToJson());
  EXPECT_NE(a->ToJson(), c->ToJson());
  EXPECT_EQ(a->expected().carts_by_status, b->expected().carts_by_status);
}

TEST(DemoDayTest, BadCartCountsAreRefused) {
  EXPECT_FALSE(DayScript::Make(1, 0, kStart).ok());
  EXPECT_FALSE(DayScript::Make(1, 10001, kStart).ok());
}

TEST(DemoDayTest, EachFateGetsTheEmailsAndStatusItImplies) {
  auto day = DayScript::Make(1, 200, kStart);
  ASSERT_TRUE(day.ok()) << day.status().message();
  EXPECT_EQ(DaysFromCivil(2026, 3, 10) * 86400 * 1000 + 6 * 3600 * 1000, kStart);
  std::set<CartFate> fates;
  int emails = 0;
  for (const DayCart& c : day->carts()) {
    fates.insert(c.fate);
    emails += static_cast<int>(c.emails.size());
    auto zone = TimeZone::Load(c.timezone);
    ASSERT_TRUE(zone.ok()) << c.timezone;
    for (const auto& [number, at] : c.emails) {
      const int hour = (*zone)->ToCivil(at / 1000).hour;
      EXPECT_TRUE(hour >= 8 && hour < 21)
          << c.token << " email " << number << " at local hour " << hour << " in " << c.timezone;
      EXPECT_FALSE(at > day->outage_down() && at <= day->outage_up()) << c.token;
    }
    switch (c.fate) {
      case CartFate::kBeforeDelay:
        EXPECT_EQ(c.status, "converted");
        EXPECT_TRUE(c.emails.empty());
        ASSERT_TRUE(c.order_at.has_value());
        EXPECT_LT(*c.order_at, c.created + DayScript::kAbandonAfter);
        break;
      case CartFate::kAfterEmail1:
        EXPECT_EQ(c.status, "recovered");
        ASSERT_EQ(c.emails.size(), 1u);
        ASSERT_TRUE(c.order_at.has_value());
        EXPECT_GT(*c.order_at, c.emails.at(1));
        EXPECT_LT(*c.order_at, c.emails.at(1) + 12 * DayScript::kHour);  // before email 2
        EXPECT_EQ(c.recovered_after, 1);
        break;
      case CartFate::kAfterLast:
        EXPECT_EQ(c.status, "recovered");
        ASSERT_EQ(c.emails.size(), 3u);
        ASSERT_TRUE(c.order_at.has_value());
        EXPECT_GT(*c.order_at, c.emails.at(3));
        EXPECT_LT(*c.order_at, c.emails.at(3) + DayScript::kTrackFor);
        EXPECT_EQ(c.recovered_after, 3);
        break;
      case CartFate::kNever:
        EXPECT_EQ(c.status, "abandoned");
        EXPECT_EQ(c.emails.size(), 3u);
        EXPECT_FALSE(c.order_at.has_value());
        break;
      case CartFate::kNoConsent:
        EXPECT_EQ(c.status, "abandoned");
        EXPECT_TRUE(c.emails.empty());
        EXPECT_FALSE(c.order_at.has_value());
        break;
    }
    // Emails 12 hours apart at least (email_timing.lua's MIN_GAP).
    for (auto it = c.emails.begin(); it != c.emails.end() && std::next(it) != c.emails.end();
         ++it) {
      EXPECT_GE(std::next(it)->second - it->second, 12 * DayScript::kHour) << c.token;
    }
  }
  EXPECT_EQ(fates.size(), 5u);
  int by_template = 0;
  for (const auto& [name, count] : day->expected().emails_by_template) by_template += count;
  EXPECT_EQ(by_template, emails);
  EXPECT_GT(day->expected().email_send_failures, 0) << "the outage should catch a send";
  EXPECT_EQ(day->outage_up() - day->outage_down(), DayScript::kHour);
  EXPECT_GT(day->end(), day->outage_up());
}

TEST(DemoDayTest, TheGapComesBeforeTheFirstNightAndTheShoppersFavourTheirInterest) {
  const std::vector<CatalogueItem> catalogue = {{"p-1", "Boot", "Shoes"},
                                                {"p-2", "Runner", "Shoes"},
                                                {"p-3", "Cap", "Hats"},
                                                {"p-4", "Parka", "Jackets"},
                                                {"p-5", "Tote", "Bags"}};
  auto day = DayScript::Make(3, 20, kStart, catalogue);
  ASSERT_TRUE(day.ok()) << day.status().message();
  const DayExpectation& e = day->expected();
  // Nightly at 04:00 UTC from the first night to the end.
  ASSERT_FALSE(day->nights().empty());
  EXPECT_EQ(day->nights().front(),
            kStart - 6 * DayScript::kHour + DayScript::kDay + DayScript::kReconcileAt);
  EXPECT_LE(day->nights().back(), day->end());
  EXPECT_GT(day->nights().back() + DayScript::kDay, day->end());
  EXPECT_EQ(e.reconciliations, static_cast<int>(day->nights().size()));
  EXPECT_EQ(e.runs_by_workflow.at("reconcile"), e.reconciliations);
  // The gap orders are made on the first day; Shopify fails just before the first run.
  const int gap = static_cast<int>(day->gap_orders().size());
  EXPECT_GE(gap, 2);
  EXPECT_LE(gap, 4);
  for (const GapOrder& g : day->gap_orders()) {
    EXPECT_GT(g.at, kStart);
    EXPECT_LT(g.at, day->shopify_down());
  }
  EXPECT_LT(day->shopify_down(), day->nights().front());
  EXPECT_EQ(e.reconcile_missing, gap);
  EXPECT_EQ(e.webhooks_dropped, gap);
  EXPECT_EQ(e.shopify_orders, e.runs_by_workflow.at("cart-orders") + gap);
  EXPECT_EQ(e.dead_letters, 1);
  // Three shoppers; their events weigh most on their interest (recommend.lua: view 1,
  // click 2, add_to_cart 4), on catalogue products, and the order is one of them.
  ASSERT_EQ(day->shop_users().size(), 3u);
  for (const ShopUser& u : day->shop_users()) {
    std::map<std::string, int> weight;
    for (const ShopEvent& ev : u.events) {
      weight[ev.type] += ev.event == "click" ? 2 : ev.event == "add_to_cart" ? 4 : 1;
      EXPECT_LT(ev.at, u.order_at);
    }
    for (const auto& [type, w] : weight) {
      if (type != u.interest) EXPECT_LT(w, weight[u.interest]) << u.id;
    }
    EXPECT_LT(u.order_at, u.recommend_at);
    EXPECT_FALSE(u.recommended.empty());
    for (const std::string& id : u.recommended) {
      EXPECT_TRUE(std::any_of(catalogue.begin(), catalogue.end(), [&](const CatalogueItem& c) {
        return c.id == id && c.type == u.interest;
      }));
    }
  }
  // Without a catalogue, no shoppers (and the same carts).
  auto plain = DayScript::Make(3, 20, kStart);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->shop_users().empty());
  ASSERT_EQ(plain->carts().size(), day->carts().size());
  for (std::size_t i = 0; i < plain->carts().size(); ++i) {
    EXPECT_EQ(plain->carts()[i].created, day->carts()[i].created);
  }
}

}  // namespace
}  // namespace storeflow::app
