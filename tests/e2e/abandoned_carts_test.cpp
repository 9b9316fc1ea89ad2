// The abandoned-cart flow end to end (workflows/abandoned-cart.yaml, checkouts.yaml,
// cart-orders.yaml; docs/cookbook/abandoned-carts.md): a real `storeflow serve
// --clock manual` with the shopify and email plugins, the Shopify simulator
// (tools/shopify-sim) sending signed webhooks, and the SMTP test peer behind a
// loopback proxy the test can take down. On SQLite and PostgreSQL.
//
// A scripted day of carts is played on the engine's manual clock: each action
// (a cart, its checkout, an update, an order, the SMTP server going down or up)
// happens at a chosen time, the test waits until the simulator has delivered its
// webhooks, and POST /api/v1/clock/advance moves the engine through every due time
// in between. The expected emails (recipient, number, time) and the final status
// of every cart are computed from the script by a model of the rules written here
// (abandon_after, email_timing.lua's schedule and quiet hours, consent, the
// frequency cap, the retries through the outage), not pasted.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <Poco/URI.h>
#include <nlohmann/json.hpp>

#include "common/mail_date.h"
#include "http_client.h"
#include "serve_process.h"
#include "sim_process.h"
#include "smtp_outage_proxy.h"
#include "store_fixture.h"

namespace storeflow::e2e {

using test_support::Http;
using test_support::HttpReply;
using test_support::ServeProcess;
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Ms = std::int64_t;

constexpr Ms kMinute = 60'000;
constexpr Ms kHour = 60 * kMinute;
constexpr Ms kDay = 24 * kHour;
constexpr char kShop[] = "alpha.myshopify.com";
constexpr char kAdminToken[] = "shpat_alpha_admin_token_0001";  // tests/fixtures/shopify/sim
constexpr char kStorefrontToken[] = "sf_alpha_storefront_token_0001";
constexpr char kWebhookSecret[] = "hush";
// How long the whole test may take in wall time (it fails, never hangs): 270 s, or
// 6 s a cart for a longer day (STOREFLOW_E2E_CARTS).
std::chrono::seconds BudgetFor(int carts) {
  return std::chrono::seconds(std::max(270, 6 * carts));
}

// ---- time ---------------------------------------------------------------------

Ms DaysFromCivil(int y, int m, int d) {  // days since 1970-01-01 (proleptic Gregorian)
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<Ms>(era) * 146097 + doe - 719468;
}

Ms Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return DaysFromCivil(y, mo, d) * kDay + h * kHour + mi * kMinute + s * 1000;
}

std::string Iso(Ms t) {
  const std::time_t seconds = t / 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[32];
  std::strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

// ---- the script -----------------------------------------------------------------

// What happens to a cart after it is created.
enum class Fate {
  kBeforeDelay,         // ordered before abandon_after: converted
  kAfterEmail1,         // ordered between the first and second email
  kAfterEmail2,         // ordered between the second and third email
  kAfterLast,           // ordered days after the last email
  kNever,               // never ordered
  kUnsubscribed,        // the buyer said no to marketing; never ordered
  kUnsubscribedOrders,  // the buyer said no to marketing; ordered after the first email's time
  kNoCheckout,          // no checkout: the cart's buyer identity is the address; never ordered
};

struct Cart {
  int index = 0;
  std::string token;
  std::string email;
  Fate fate = Fate::kNever;
  Ms created = 0;
  bool duplicate = false;       // its carts/create is delivered twice (same webhook id)
  bool reorder = false;         // created and updated at once, the update delivered first
  std::optional<bool> consent;  // the checkout's buyer_accepts_marketing; nullopt: not said
  double price = 0;
};

struct Action {
  Ms at = 0;
  enum Kind { kCreate, kOrder, kSmtpDown, kSmtpUp } kind = kCreate;
  int cart = -1;
};

struct ExpectedEmail {
  int cart = 0;
  int number = 0;
  Ms at = 0;
};

struct Expected {
  std::vector<ExpectedEmail> emails;
  std::map<int, std::string> status;   // cart -> converted | recovered | abandoned
  std::map<int, int> recovered_after;  // cart -> email number
  std::map<int, Ms> order_at;          // cart -> when the script orders it
};

constexpr Ms kAbandonAfter = 2 * kHour;  // the installation's override (config file)
constexpr Ms kSchedule[3] = {1 * kHour, 24 * kHour, 72 * kHour};  // email_timing.lua
constexpr Ms kMinGap = 12 * kHour;
constexpr Ms kFrequencyCap = 24 * kHour;
constexpr Ms kTrackFor = 14 * kDay;
// The send's attempts (send_failed / send_backoff): waits of 1, 2, 4, 8, 16 and then
// 30 minutes, 10 attempts (config send_attempts).
constexpr Ms kRetryAt[10] = {0, 1, 3, 7, 15, 31, 61, 91, 121, 151};

// email_timing.lua's quiet hours (21:00-08:00) in UTC, the zone of every buyer here.
Ms OutsideQuietHours(Ms t) {
  const Ms day = t - ((t % kDay) + kDay) % kDay;
  const Ms hour = (t - day) / kHour;
  if (hour >= 8 && hour < 21) return t;
  return hour >= 21 ? day + kDay + 8 * kHour : day + 8 * kHour;
}

class Scenario {
 public:
  Scenario(const std::string& tag, int carts, Ms start) : start_(start) {
    // Carts every 10 minutes from 06:00, and the last four in the evening (their
    // first email falls into quiet hours and is deferred to 08:00).
    for (int i = 0; i < carts; ++i) {
      Cart c;
      c.index = i;
      c.token = "c1-cart" + std::to_string(i) + "-" + tag;
      c.email = "cart" + std::to_string(i) + "-" + tag + "@example.test";
      static const Fate kFates[8] = {
          Fate::kBeforeDelay,  Fate::kAfterEmail1,        Fate::kAfterLast,  Fate::kNever,
          Fate::kUnsubscribed, Fate::kUnsubscribedOrders, Fate::kNoCheckout, Fate::kAfterEmail2};
      c.fate = kFates[i % 8];
      c.created = i < carts - 4
                      ? start + i * 10 * kMinute
                      : start + 12 * kHour + 40 * kMinute + (i - (carts - 4)) * 10 * kMinute;
      c.duplicate = i % 5 == 0;
      c.reorder = i % 10 == 9;
      if (c.fate == Fate::kUnsubscribed || c.fate == Fate::kUnsubscribedOrders) {
        c.consent = false;
      } else if (i % 3 != 2) {
        c.consent = true;  // else not said: require_consent is off in this installation
      }
      c.price = 10 + i;
      carts_.push_back(c);
    }
    // Two customers with two carts each (both never ordered): the frequency cap.
    if (carts > 27) {
      carts_[11].email = carts_[3].email;
      carts_[11].consent = true;
      carts_[27].email = carts_[19].email;
      carts_[27].consent = true;
      carts_[27].fate = Fate::kNever;
    }
    // The SMTP server is down for an hour on the second morning (second emails, and
    // the evening carts' deferred first emails at 08:00).
    smtp_down_ = start + 25 * kHour + 59 * kMinute;
    smtp_up_ = smtp_down_ + kHour;
    Model();
  }

  const std::vector<Cart>& carts() const { return carts_; }
  const Expected& expected() const { return expected_; }
  std::vector<Action> Actions() const {
    std::vector<Action> actions;
    for (const Cart& c : carts_) {
      actions.push_back({c.created, Action::kCreate, c.index});
      if (auto it = expected_.order_at.find(c.index); it != expected_.order_at.end()) {
        actions.push_back({it->second, Action::kOrder, c.index});
      }
    }
    actions.push_back({smtp_down_, Action::kSmtpDown, -1});
    actions.push_back({smtp_up_, Action::kSmtpUp, -1});
    std::stable_sort(actions.begin(), actions.end(),
                     [](const Action& a, const Action& b) { return a.at < b.at; });
    return actions;
  }
  Ms end() const { return end_; }
  Ms smtp_down() const { return smtp_down_; }
  Ms smtp_up() const { return smtp_up_; }

 private:
  // When the order of a cart comes, relative to its abandonment time X.
  std::optional<Ms> OrderAt(const Cart& c, Ms x) const {
    switch (c.fate) {
      case Fate::kBeforeDelay: return x - 73 * kMinute;
      case Fate::kAfterEmail1: return x + 4 * kHour + 17 * kMinute;
      case Fate::kAfterEmail2: return x + 29 * kHour + 7 * kMinute;
      case Fate::kAfterLast: return x + 5 * kDay + 13 * kMinute;
      case Fate::kUnsubscribedOrders: return x + 5 * kHour + 3 * kMinute;
      default: return std::nullopt;
    }
  }

  // An email due at `due` is tried at due + kRetryAt[i] until the SMTP server
  // takes it; each attempt first looks for the cart's order. When it went out, or
  // none: an order came first.
  std::optional<Ms> SentAt(Ms due, std::optional<Ms> order) const {
    for (Ms minutes : kRetryAt) {
      const Ms attempt = due + minutes * kMinute;
      if (order && *order < attempt) return std::nullopt;
      if (attempt <= smtp_down_ || attempt > smtp_up_) return attempt;
    }
    ADD_FAILURE() << "an email due at " << Iso(due) << " would be given up";
    return std::nullopt;
  }

  // The rules, played over the script in time order (the frequency cap makes the
  // carts of one address depend on each other).
  void Model() {
    struct State {
      Ms x = 0;       // abandoned at
      int steps = 0;  // emails planned so far (sent or skipped)
      Ms plan = 0;    // when the next email is planned
      std::optional<Ms> last_sent;
      int last_number = 0;
      bool done = false;
    };
    std::map<int, State> states;
    std::map<std::string, std::pair<int, Ms>> claims;  // address -> (cart, claimed at)
    for (const Cart& c : carts_) {
      const Ms x = c.created + kAbandonAfter;
      if (auto order = OrderAt(c, x)) expected_.order_at[c.index] = *order;
      State s;
      s.x = x;
      s.plan = x;
      if (auto order = OrderAt(c, x); order && *order < x) {
        expected_.status[c.index] = "converted";
        s.done = true;
      }
      states[c.index] = s;
    }
    end_ = start_;
    auto due_of = [](const State& s) {
      Ms due = s.x + kSchedule[s.steps];
      if (s.last_sent) due = std::max(due, *s.last_sent + kMinGap);
      return OutsideQuietHours(std::max(due, s.plan));
    };
    while (true) {
      int next = -1;
      Ms next_due = 0;
      for (const auto& [index, s] : states) {
        if (s.done || s.steps >= 3) continue;
        const Ms due = due_of(s);
        if (next < 0 || due < next_due) {
          next = index;
          next_due = due;
        }
      }
      if (next < 0) break;
      const Cart& c = carts_[next];
      State& s = states[next];
      auto order = expected_.order_at.find(next);
      if (order != expected_.order_at.end() && order->second < next_due) {
        Finish(c, s.last_number);
        s.done = true;
        continue;
      }
      bool send = c.consent.value_or(true);  // require_consent: false here
      if (send) {
        auto claim = claims.find(c.email);
        if (claim != claims.end() && claim->second.first != next &&
            next_due - claim->second.second < kFrequencyCap) {
          send = false;
        }
      }
      ++s.steps;
      if (send) {
        const std::optional<Ms> ordered =
            order != expected_.order_at.end() ? std::optional(order->second) : std::nullopt;
        claims[c.email] = {next, next_due};  // the claim precedes the first attempt
        const std::optional<Ms> sent_at = SentAt(next_due, ordered);
        if (!sent_at) {  // the order came while the email was being retried
          Finish(c, s.last_number);
          s.done = true;
          continue;
        }
        const Ms sent = *sent_at;
        expected_.emails.push_back({next, s.steps, sent});
        s.last_sent = sent;
        s.last_number = s.steps;
        s.plan = sent;
      } else {
        s.plan = next_due;
      }
    }
    for (const auto& [index, s] : states) {
      end_ = std::max(end_, s.plan + kTrackFor);
      if (s.done) continue;
      auto order = expected_.order_at.find(index);
      if (order != expected_.order_at.end() && order->second < s.plan + kTrackFor) {
        Finish(carts_[index], s.last_number);
      } else {
        expected_.status[index] = "abandoned";
      }
    }
    for (const auto& [index, at] : expected_.order_at) end_ = std::max(end_, at);
    end_ += kDay;
  }

  void Finish(const Cart& c, int last_number) {
    if (last_number > 0) {
      expected_.status[c.index] = "recovered";
      expected_.recovered_after[c.index] = last_number;
    } else {
      expected_.status[c.index] = "converted";
    }
  }

  Ms start_;
  Ms end_ = 0;
  Ms smtp_down_ = 0;
  Ms smtp_up_ = 0;
  std::vector<Cart> carts_;
  Expected expected_;
};

// ---- the fixture ------------------------------------------------------------------

std::string EnvOr(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string Yaml(const std::string& text) {
  return json(text).dump();
}

class AbandonedCartsTest : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    if (EnvOr("SMTP_HOST").empty() || EnvOr("SMTP_HTTP_URL").empty()) {
      if (EnvOr("STOREFLOW_TEST_PEERS") == "off") GTEST_SKIP() << "STOREFLOW_TEST_PEERS=off";
      FAIL() << "the SMTP test peer is not configured (SMTP_HOST, SMTP_PORT, SMTP_HTTP_URL): "
                "run through tools/test.sh, or `set -a; . DIR/smtp.env`, or set "
                "STOREFLOW_TEST_PEERS=off to skip";
    }
    StoreTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    store_.reset();  // SQLite: one process per file, the server's
    started_ = std::chrono::steady_clock::now();
    tag_ = std::to_string(getpid()) + "x" + std::to_string(std::random_device()() % 100000) +
           (is_pg() ? "pg" : "lite");
    work_ = fs::temp_directory_path() / ("storeflow-e2e-carts-" + tag_);
    fs::create_directories(work_);

    ASSERT_TRUE(sim_.Start({"--port", "0", "--fixtures",
                            std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/shopify/sim"},
                           work_ / "sim.log"))
        << sim_.log();
    smtp_http_port_ = Poco::URI(EnvOr("SMTP_HTTP_URL")).getPort();
    ASSERT_TRUE(proxy_.Start(static_cast<std::uint16_t>(std::stoi(EnvOr("SMTP_PORT")))));

    // The engine's workflows: the three of the flow (and their schemas).
    const fs::path source = STOREFLOW_SOURCE_DIR;
    fs::create_directories(work_ / "workflows");
    for (const char* name :
         {"abandoned-cart.yaml", "checkouts.yaml", "cart-orders.yaml", "cart-versions.yaml"}) {
      fs::copy_file(source / "workflows" / name, work_ / "workflows" / name);
    }
    fs::copy(source / "workflows" / "schemas", work_ / "workflows" / "schemas",
             fs::copy_options::recursive);

    std::ofstream config(work_ / "storeflow.yaml");
    config << "workflows:\n  abandoned-cart:\n    abandon_after: 2h\n"
           << "plugins:\n  config:\n"
           << "    shopify:\n      shops:\n        - domain: " << kShop
           << "\n          admin_token_secret: ALPHA_ADMIN\n"
           << "          storefront_token_secret: ALPHA_STOREFRONT\n"
           << "          endpoint: http://127.0.0.1:" << sim_.port() << "/shops/" << kShop << "\n"
           << "    email:\n      transport: smtp\n      from: \"Alpha Goods <shop@e2e.example>\"\n"
           << "      templates_dir: " << Yaml((source / "config" / "email-templates").string())
           << "\n      message_id_domain: e2e.example\n"
           << "      smtp:\n        host: 127.0.0.1\n        port: " << proxy_.port()
           << "\n        starttls: required\n        insecure_skip_verify: true\n"
           << "        connect_timeout_ms: 5000\n        command_timeout_ms: 10000\n";
    if (!EnvOr("SMTP_USER").empty()) {
      config << "        username: " << Yaml(EnvOr("SMTP_USER"))
             << "\n        password_secret: SMTP_PASSWORD\n";
    }
    config << "    storage:\n      root: " << Yaml((work_ / "storage").string()) << "\n";
    config.close();
    // Secrets and the second override (the environment) for the child.
    setenv("STOREFLOW_SECRET_ALPHA_ADMIN", kAdminToken, 1);
    setenv("STOREFLOW_SECRET_ALPHA_STOREFRONT", kStorefrontToken, 1);
    setenv("STOREFLOW_SECRET_SMTP_PASSWORD", EnvOr("SMTP_PASS").c_str(), 1);
    setenv("STOREFLOW_WEBHOOKS_SHOPIFY_SECRETS", kWebhookSecret, 1);
    setenv("STOREFLOW_WORKFLOW_ABANDONED_CART_REQUIRE_CONSENT", "false", 1);
  }

  void TearDown() override {
    unsetenv("STOREFLOW_WORKFLOW_ABANDONED_CART_REQUIRE_CONSENT");
    unsetenv("STOREFLOW_WEBHOOKS_SHOPIFY_SECRETS");
    if (engine_.port() != 0 && engine_.pid() > 0) engine_.Stop(SIGTERM);
    proxy_.Stop();
    std::error_code ignored;
    if (!HasFailure()) fs::remove_all(work_, ignored);
    StoreTest::TearDown();
  }

  bool StartEngine(Ms start) {
    return engine_.Start({"--db", url_, "--workflows", (work_ / "workflows").string(), "--config",
                          (work_ / "storeflow.yaml").string(), "--listen", "127.0.0.1:0", "--dev",
                          "--workers", "4", "--clock", "manual", "--clock-start", Iso(start)},
                         work_ / "serve.log");
  }

  // The cart's abandoned-cart runs and the last steps of each (for a failure message).
  std::string RunsOf(const std::string& token) {
    std::string out;
    HttpReply list = Engine("GET", "/api/v1/runs?workflow=abandoned-cart&key=" + token);
    for (const json& run : list.json().value("items", json::array())) {
      const std::string id = std::to_string(run.value("id", 0LL));
      out += "\n  run " + id + " " + run.value("status", "") + " " + run.dump().substr(0, 400);
      HttpReply one = Engine("GET", "/api/v1/runs/" + id);
      const json steps = one.json().value("steps", json::array());
      const std::size_t from = steps.size() > 6 ? steps.size() - 6 : 0;
      for (std::size_t i = from; i < steps.size(); ++i) {
        out += "\n    " + steps[i].value("path", "") + " " + steps[i].value("status", "") + " " +
               steps[i].dump().substr(0, 300);
      }
    }
    return out;
  }

  bool OverBudget() const { return std::chrono::steady_clock::now() - started_ > budget_; }

  HttpReply Sim(const std::string& method, const std::string& target, const json& body = nullptr) {
    return Http(sim_.port(), method, target, body.is_null() ? "" : body.dump());
  }
  HttpReply Engine(const std::string& method, const std::string& target,
                   const json& body = nullptr) {
    return Http(engine_.port(), method, target, body.is_null() ? "" : body.dump());
  }

  // Moves the engine's clock to `t` through every due time on the way, at most
  // six hours per call (each call answers once the engine is idle at its target).
  void AdvanceTo(Ms t) {
    Ms now = 0;
    {
      HttpReply r = Engine("GET", "/api/v1/clock");
      ASSERT_EQ(r.status, 200) << r.body;
      now = r.json()["now_ms"].get<Ms>();
    }
    while (now < t) {
      ASSERT_FALSE(OverBudget()) << "over the test's time budget at " << Iso(now);
      const Ms step = std::min(t, now + 6 * kHour);
      HttpReply r;
      try {
        // As long as the engine's own limit for one advance (504 after 120 s).
        r = Http(engine_.port(), "POST", "/api/v1/clock/advance", json{{"to", step}}.dump(), {},
                 125);
      } catch (const std::exception& e) {
        FAIL() << "advancing the clock to " << Iso(step) << ": " << e.what() << "\n"
               << engine_.log().substr(0, 20000);
      }
      ASSERT_EQ(r.status, 200) << r.body << "\n" << engine_.log().substr(0, 20000);
      ASSERT_EQ(r.json()["now_ms"], step) << r.body;
      now = step;
    }
  }

  // Waits until the simulator delivered every webhook it triggered (duplicates
  // included); the engine has committed each event before it answered 200.
  void WaitDelivered() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    json pending;
    while (std::chrono::steady_clock::now() < deadline) {
      HttpReply r = Sim("GET", std::string("/_sim/shops/") + kShop + "/deliveries");
      ASSERT_EQ(r.status, 200) << r.body;
      pending = json::array();
      const json body = r.json();
      for (const json& d : body["deliveries"]) {
        const std::string state = d.value("state", "");
        ASSERT_NE(state, "failed") << d.dump() << "\n" << engine_.log().substr(0, 20000);
        ASSERT_NE(state, "dropped") << d.dump();
        if (state != "delivered") pending.push_back(d);
      }
      if (pending.empty()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "deliveries still pending after 30 s: " << pending.dump();
  }

  void Subscribe() {
    for (const char* topic : {"carts/create", "carts/update", "checkouts/create",
                              "checkouts/update", "orders/create"}) {
      HttpReply r = Http(sim_.port(), "POST",
                         std::string("/shops/") + kShop + "/admin/api/2025-07/webhooks.json",
                         json{{"webhook",
                               {{"topic", topic},
                                {"address", "http://127.0.0.1:" + std::to_string(engine_.port()) +
                                                "/webhooks/shopify"},
                                {"format", "json"}}}}
                             .dump(),
                         {{"X-Shopify-Access-Token", kAdminToken}});
      ASSERT_EQ(r.status, 201) << topic << ": " << r.body;
    }
  }

  void Fault(const std::string& mode, int count) {
    HttpReply r = Sim("POST", "/_sim/webhooks/faults", {{"mode", mode}, {"count", count}});
    ASSERT_EQ(r.status, 201) << r.body;
  }

  json Lines(const Cart& c, bool updated) {
    json lines = json::array({{{"variant_id", 4000 + c.index},
                               {"quantity", 1},
                               {"price", std::to_string(static_cast<int>(c.price)) + ".00"},
                               {"title", "Mug " + std::to_string(c.index)}}});
    if (updated) {
      lines.push_back({{"variant_id", 9000 + c.index},
                       {"quantity", 2},
                       {"price", "5.00"},
                       {"title", "Coaster " + std::to_string(c.index)}});
    }
    return lines;
  }

  void CreateCart(const Cart& c) {
    if (c.reorder) Fault("reorder", 2);
    if (c.duplicate && !c.reorder) Fault("duplicate", 1);
    json body = {{"token", c.token}, {"lines", Lines(c, false)}};
    if (c.fate == Fate::kNoCheckout) body["email"] = c.email;  // the buyer identity only
    HttpReply r = Sim("POST", std::string("/_sim/shops/") + kShop + "/carts", body);
    ASSERT_EQ(r.status, 201) << r.body;
    if (c.reorder) {
      // A later version of the cart (one more line), delivered before the first.
      HttpReply advance = Sim("POST", "/_sim/clock/advance", {{"ms", 1000}});
      ASSERT_EQ(advance.status, 200) << advance.body;
      HttpReply u = Sim("PUT", std::string("/_sim/shops/") + kShop + "/carts/" + c.token,
                        {{"lines", Lines(c, true)}});
      ASSERT_EQ(u.status, 200) << u.body;
    }
    if (c.fate == Fate::kNoCheckout) return;
    json checkout = {
        {"token", "ck-" + c.token},
        {"cart_token", c.token},
        {"email", c.email},
        {"customer_locale", "en"},
        {"abandoned_checkout_url", "https://alpha.example/recover/" + c.token},
        {"note_attributes", json::array({{{"name", "timezone"}, {"value", "UTC"}}})},
        {"customer", {{"first_name", "Buyer" + std::to_string(c.index)}, {"last_name", "Test"}}}};
    if (c.consent) checkout["buyer_accepts_marketing"] = *c.consent;
    HttpReply k = Sim("POST", std::string("/_sim/shops/") + kShop + "/checkouts", checkout);
    ASSERT_EQ(k.status, 201) << k.body;
  }

  void Order(const Cart& c) {
    HttpReply r =
        Sim("POST", std::string("/_sim/shops/") + kShop + "/carts/" + c.token + "/convert",
            json::object());
    ASSERT_EQ(r.status, 201) << r.body;
  }

  // Every message the SMTP peer holds for `address`.
  json MessagesTo(const std::string& address) {
    std::string query;
    Poco::URI::encode(address, "&=+?#@", query);
    HttpReply r = Http(smtp_http_port_, "GET", "/messages?to=" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? r.json() : json::array();
  }

  std::chrono::steady_clock::time_point started_;
  std::chrono::seconds budget_ = BudgetFor(0);
  std::string tag_;
  fs::path work_;
  shopify_sim::testing::SimProcess sim_;
  SmtpOutageProxy proxy_;
  ServeProcess engine_;
  std::uint16_t smtp_http_port_ = 0;
};

std::string Header(const std::string& raw, const std::string& name) {
  const std::string head = raw.substr(0, raw.find("\r\n\r\n"));
  const std::string lower_name = [&] {
    std::string s = name;
    for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
  }();
  std::size_t start = 0;
  while (start < head.size()) {
    std::size_t end = head.find("\r\n", start);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(start, end - start);
    while (end + 2 < head.size() && (head[end + 2] == ' ' || head[end + 2] == '\t')) {
      const std::size_t next = std::min(head.find("\r\n", end + 2), head.size());
      line += head.substr(end + 2, next - end - 2);
      end = next;
    }
    const std::size_t colon = line.find(':');
    std::string key = line.substr(0, colon);
    for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (colon != std::string::npos && key == lower_name) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
    start = end + 2;
  }
  return "";
}

TEST_P(AbandonedCartsTest, ADayOfCartsGetsExactlyTheEmailsTheRulesSay) {
  int cart_count = 44;
  if (const char* n = std::getenv("STOREFLOW_E2E_CARTS"); n != nullptr && std::atoi(n) >= 32) {
    cart_count = std::atoi(n);
  }
  budget_ = BudgetFor(cart_count);
  const Ms start = Utc(2026, 3, 10, 6, 0);  // a Tuesday, 06:00 UTC
  Scenario scenario(tag_, cart_count, start);
  ASSERT_TRUE(StartEngine(start)) << engine_.log();
  ASSERT_NO_FATAL_FAILURE(Subscribe());

  int actions = 0;
  for (const Action& action : scenario.Actions()) {
    ASSERT_FALSE(OverBudget()) << "over the test's time budget after " << actions << " actions, at "
                               << Iso(action.at);
    ASSERT_NO_FATAL_FAILURE(AdvanceTo(action.at));
    switch (action.kind) {
      case Action::kCreate:
        ASSERT_NO_FATAL_FAILURE(CreateCart(scenario.carts()[action.cart]));
        break;
      case Action::kOrder: ASSERT_NO_FATAL_FAILURE(Order(scenario.carts()[action.cart])); break;
      case Action::kSmtpDown: proxy_.set_down(true); break;
      case Action::kSmtpUp: proxy_.set_down(false); break;
    }
    ASSERT_NO_FATAL_FAILURE(WaitDelivered());
    ++actions;
  }
  ASSERT_NO_FATAL_FAILURE(AdvanceTo(scenario.end()));
  EXPECT_GT(proxy_.refused(), 0) << "the outage refused no connection: nothing was due in it";

  // Every cart's final status, as the script implies.
  std::map<std::string, int> counts;
  std::map<std::string, int> expected_counts;
  for (const Cart& c : scenario.carts()) {
    const std::string want = scenario.expected().status.at(c.index);
    ++expected_counts[want];
    HttpReply r = Engine("GET", "/api/v1/records/carts/" + c.token);
    ASSERT_EQ(r.status, 200) << c.token << ": " << r.body;
    const json value = r.json()["value"];
    const std::string got = value.value("status", "");
    ++counts[got];
    EXPECT_EQ(got, want) << "cart " << c.index << " " << value.dump()
                         << "\nits runs: " << (got == want ? "" : RunsOf(c.token));
    if (auto it = scenario.expected().recovered_after.find(c.index);
        it != scenario.expected().recovered_after.end()) {
      EXPECT_EQ(value.value("recovered_after_email", 0), it->second)
          << "cart " << c.index << " " << value.dump();
    }
  }
  EXPECT_EQ(counts, expected_counts);

  // Exactly the expected emails: recipient, cart, number and (engine) time; at most
  // one per step.
  std::set<std::string> addresses;
  for (const Cart& c : scenario.carts()) addresses.insert(c.email);
  std::map<std::pair<int, int>, Ms> got;  // (cart, number) -> Date
  std::map<std::string, int> token_to_cart;
  for (const Cart& c : scenario.carts()) token_to_cart[c.token] = c.index;
  for (const std::string& address : addresses) {
    for (const json& m : MessagesTo(address)) {
      const std::string raw = m["raw"].get<std::string>();
      const std::string token = Header(raw, "X-Storeflow-Cart");
      ASSERT_EQ(token_to_cart.count(token), 1u) << raw.substr(0, 2000);
      const int cart = token_to_cart[token];
      EXPECT_EQ(scenario.carts()[cart].email, address);
      const int number = std::atoi(Header(raw, "X-Storeflow-Email-Number").c_str());
      const auto key = std::make_pair(cart, number);
      EXPECT_EQ(got.count(key), 0u) << "a second email " << number << " for cart " << cart;
      got[key] = ParseMailDateMs(Header(raw, "Date")).value_or(-1);
      // The content: the cart's items, its total and the recovery URL.
      const std::string body = raw.substr(raw.find("\r\n\r\n"));
      EXPECT_NE(body.find("Mug " + std::to_string(cart)), std::string::npos) << raw;
      if (scenario.carts()[cart].reorder) {
        EXPECT_NE(body.find("Coaster " + std::to_string(cart)), std::string::npos)
            << "the newer cart (delivered first) wins: " << raw;
      }
      if (scenario.carts()[cart].fate != Fate::kNoCheckout) {
        EXPECT_NE(body.find("https://alpha.example/recover/" + token), std::string::npos) << raw;
      }
      EXPECT_NE(Header(raw, "Content-Type").find("multipart/alternative"), std::string::npos)
          << "text and HTML: " << raw.substr(0, 2000);
    }
  }
  std::map<std::pair<int, int>, Ms> want;
  for (const ExpectedEmail& e : scenario.expected().emails) want[{e.cart, e.number}] = e.at;
  for (const auto& [key, at] : want) {
    auto it = got.find(key);
    if (it == got.end()) {
      ADD_FAILURE() << "no email " << key.second << " for cart " << key.first << " (due " << Iso(at)
                    << ")";
      continue;
    }
    EXPECT_EQ(Iso(it->second), Iso(at)) << "email " << key.second << " for cart " << key.first;
  }
  for (const auto& [key, at] : got) {
    EXPECT_EQ(want.count(key), 1u)
        << "an unexpected email " << key.second << " for cart " << key.first << " at " << Iso(at);
  }
  std::printf(
      "[abandoned carts] %d carts, %zu emails, converted %d, recovered %d, abandoned %d, "
      "%d SMTP connections refused in the outage, %lld s\n",
      cart_count, got.size(), counts["converted"], counts["recovered"], counts["abandoned"],
      proxy_.refused(),
      static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::steady_clock::now() - started_)
                                 .count()));
}

STOREFLOW_INSTANTIATE_STORE_TESTS(AbandonedCartsTest);

}  // namespace
}  // namespace storeflow::e2e
