#include "app/demo_day_run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "app/http_call.h"
#include "common/ack_window.h"
#include "common/mail_date.h"
#include "common/timezone.h"

namespace storeflow::app {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string ClockText(DayMs t) {
  const CivilTime c = TimeZone::Utc()->ToCivil(t / 1000);
  char text[40];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d UTC", c.year, c.month, c.day, c.hour,
                c.minute);
  return text;
}

// The header lines of a message (unfolded), name lower-cased -> value.
std::map<std::string, std::string> MailHeaders(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::map<std::string, std::string> headers;
  std::string current;
  auto flush = [&] {
    const auto colon = current.find(':');
    if (colon == std::string::npos) return;
    std::string name = current.substr(0, colon);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    std::string value = current.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    headers.emplace(std::move(name), std::move(value));
  };
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      current += line;
      continue;
    }
    flush();
    current = line;
  }
  flush();
  return headers;
}

// A string member, or "" (also when it is null or not a string).
std::string Str(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

// An integer member, or 0.
int Int(const Json& object, const char* key) {
  if (!object.is_object()) return 0;
  const auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : 0;
}

// One phase's progress line: rewritten in place on a terminal, printed once otherwise.
class Progress {
 public:
  Progress(std::ostream& out, bool tty) : out_(out), tty_(tty) {}
  void Begin(std::string phase) {
    phase_ = std::move(phase);
    started_ = std::chrono::steady_clock::now();
    if (tty_) out_ << "  " << phase_ << " ..." << std::flush;
  }
  // On one terminal line (79 columns): a longer one would wrap, and "\r" only
  // rewrites its last part.
  void Update(const std::string& detail) {
    if (!tty_) return;
    std::string line = "  " + phase_ + ": " + detail;
    if (line.size() > 79) line = "  " + phase_.substr(0, phase_.find(' ', 3)) + " " + detail;
    out_ << "\r\033[K" << line.substr(0, 79) << std::flush;
  }
  void End(const std::string& detail) {
    if (tty_) out_ << "\r\033[K";
    char took[32];
    std::snprintf(
        took, sizeof(took), " (%.1f s)",
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count());
    out_ << "  " << phase_ << ": " << detail << took << "\n" << std::flush;
  }

 private:
  std::ostream& out_;
  bool tty_;
  std::string phase_;
  std::chrono::steady_clock::time_point started_;
};

class DayPlayer {
 public:
  DayPlayer(const DayScript& script, const DayTarget& target) : script_(script), t_(target) {}

  Status Subscribe() {
    for (const char* topic : {"carts/create", "carts/update", "checkouts/create",
                              "checkouts/update", "orders/create"}) {
      const Json body = {
          {"webhook",
           {{"topic", topic},
            {"address", "http://127.0.0.1:" + std::to_string(t_.engine_port) + "/webhooks/shopify"},
            {"format", "json"}}}};
      HttpReply r = HttpCall("127.0.0.1", t_.sim_port, "POST",
                             "/shops/" + t_.shop + "/admin/api/2025-07/webhooks.json", body.dump(),
                             {{"X-Shopify-Access-Token", t_.admin_api_token}});
      if (r.status != 201) return Failed("subscribing to " + std::string(topic), r);
    }
    return Status::Ok();
  }

  Status Do(const DayAction& action) {
    switch (action.kind) {
      case DayAction::kCreate: return CreateCart(script_.carts()[action.cart]);
      case DayAction::kOrder: return Order(script_.carts()[action.cart]);
      case DayAction::kEmailDown: return EmailTransport(false);
      case DayAction::kEmailUp: return EmailTransport(true);
      case DayAction::kGapOrder: return GapOrderAction(script_.gap_orders()[action.cart]);
      case DayAction::kShopifyDown: return ShopifyDown();
      case DayAction::kAwaitRedrive: return AwaitRedrive();
      case DayAction::kShopEvent:
        return ShopEventAction(script_.shop_users()[action.cart], action.event);
      case DayAction::kShopOrder: return ShopOrder(script_.shop_users()[action.cart]);
      case DayAction::kRecommend: return Recommend(script_.shop_users()[action.cart]);
    }
    return Internal("an unknown action");
  }

  // The outage of the outbox transport: the folder is put aside and a plain file
  // takes its place, so that writing a message fails (for root too); then back.
  Status EmailTransport(bool up) {
    const fs::path aside = t_.outbox.string() + ".aside";
    std::error_code ec;
    if (!up) {
      fs::rename(t_.outbox, aside, ec);
      if (!ec) std::ofstream(t_.outbox) << "the demo's email outage: not a folder for an hour\n";
    } else {
      fs::remove(t_.outbox, ec);
      if (!ec) fs::rename(aside, t_.outbox, ec);
    }
    if (ec) {
      return Internal(std::string(up ? "ending" : "starting") + " the email outage at " +
                      t_.outbox.string() + ": " + ec.message());
    }
    return Status::Ok();
  }

  // Moves the engine's clock to `t` through every due time, six hours per call at
  // most (each call answers once the engine is idle at its target).
  Status AdvanceTo(DayMs t) {
    HttpReply r = Engine("GET", "/api/v1/clock");
    if (r.status != 200) return Failed("reading the engine's clock", r);
    DayMs now = Json::parse(r.body, nullptr, false).value("now_ms", DayMs{0});
    while (now < t) {
      const DayMs step = std::min(t, now + 6 * DayScript::kHour);
      r = Engine("POST", "/api/v1/clock/advance", Json{{"to", step}}.dump());
      if (r.status != 200) return Failed("advancing the clock to " + ClockText(step), r);
      now = step;
    }
    return Status::Ok();
  }

  // Waits until the simulator delivered every webhook it triggered.
  Status WaitDelivered() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      HttpReply r = Sim("GET", "/_sim/shops/" + t_.shop + "/deliveries");
      if (r.status != 200) return Failed("reading the simulator's deliveries", r);
      const Json body = Json::parse(r.body, nullptr, false);
      bool pending = false;
      for (const Json& d : body.value("deliveries", Json::array())) {
        const std::string state = d.value("state", "");
        if (state == "dropped") continue;  // the gap orders' (a fault the demo set)
        if (state == "failed") {
          return Internal("a webhook delivery " + state + ": " + d.dump());
        }
        pending = pending || state != "delivered";
      }
      if (!pending) return Status::Ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return DeadlineExceeded("webhook deliveries still pending after 30 s");
  }

  // A delivery signed with a wrong secret: the engine must refuse it.
  Status Forged() {
    HttpReply r =
        HttpCall("127.0.0.1", t_.engine_port, "POST", "/webhooks/shopify", R"({"token":"forged"})",
                 {{"X-Shopify-Topic", "carts/update"},
                  {"X-Shopify-Hmac-Sha256", "Zm9yZ2VkLXNpZ25hdHVyZS1ieXRlcy0wMDAwMDAwMA=="},
                  {"X-Shopify-Webhook-Id", "day-forged-1"},
                  {"X-Shopify-Shop-Domain", t_.shop}});
    if (r.status != 401) return Failed("the forged delivery was not refused", r);
    return Status::Ok();
  }

  // The webhook counters of the shopify source and the outbox's failed sends (the process's
  // registry: the demo subtracts what it read before the day).
  Result<std::map<std::string, int>> Counters() {
    HttpReply r = Engine("GET", "/metrics");
    if (r.status != 200) return Failed("reading /metrics", r);
    // The last answer stays in the day's folder (metrics.txt) to look at.
    std::ofstream(t_.outbox.parent_path() / "metrics.txt", std::ios::trunc) << r.body;
    std::map<std::string, int> counters;
    std::istringstream lines(r.body);
    for (std::string line; std::getline(lines, line);) {
      for (const char* name :
           {"storeflow_webhooks_received_total", "storeflow_webhooks_duplicate_total",
            "storeflow_webhooks_rejected_total", "storeflow_plugin_email_messages_failed_total"}) {
        if (line.rfind(std::string(name) + "{", 0) != 0) continue;
        if (line.find("source=\"shopify\"") == std::string::npos &&
            line.find("transport=\"outbox\"") == std::string::npos) {
          continue;
        }
        counters[name] += static_cast<int>(std::atof(line.c_str() + line.rfind(' ') + 1));
      }
    }
    return counters;
  }

  Status Collect(DayObserved& seen) {
    // Runs, newest first, page by page.
    std::string cursor;
    do {
      HttpReply r =
          Engine("GET", "/api/v1/runs?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor));
      if (r.status != 200) return Failed("listing runs", r);
      const Json page = Json::parse(r.body, nullptr, false);
      for (const Json& run : page.value("items", Json::array())) {
        ++seen.runs[run.value("workflow", "")][run.value("status", "")];
        const bool failed = run.value("status", "") == "failed";
        if (failed || (run.contains("dead_letter") && run["dead_letter"].is_object())) {
          const Json dl = run.value("dead_letter", Json::object());
          ++seen.dead_letters;
          const std::string resolution = Str(dl, "resolution");
          const std::string by = Str(dl, "resolved_by");
          if (resolution == "retried" && by == "auto_redrive") ++seen.dead_letters_redriven;
          const Json last =
              failed ? run.value("error", Json::object()) : dl.value("last_error", Json::object());
          seen.dead_letter_notes.push_back(
              "run " + std::to_string(run.value("id", std::int64_t{0})) + " " +
              run.value("workflow", "") + ": " + "step " + Str(last, "step") + " failed (" +
              Str(last, "code") + "), " + (resolution.empty() ? "open" : resolution + " by " + by) +
              ", now " + Str(run, "status"));
        }
        const DayMs created = run.value("created_at", DayMs{0});
        if (created >= seen.day0) {
          ++seen.runs_by_day[run.value("workflow", "")]
                            [static_cast<int>((created - seen.day0) / DayScript::kDay)];
        }
      }
      cursor = page.contains("next_cursor") && page["next_cursor"].is_string()
                   ? page["next_cursor"].get<std::string>()
                   : "";
    } while (!cursor.empty());
    // The cart records.
    cursor.clear();
    do {
      HttpReply r = Engine(
          "GET", "/api/v1/records/carts?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor));
      if (r.status != 200) return Failed("listing the carts records", r);
      const Json page = Json::parse(r.body, nullptr, false);
      for (const Json& record : page.value("items", Json::array())) {
        const Json value = record.value("value", Json::object());
        ++seen.carts_by_status[value.value("status", "?")];
        if (value.value("emails_sent", 0) > 0) ++seen.carts_emailed;
      }
      cursor = page.contains("next_cursor") && page["next_cursor"].is_string()
                   ? page["next_cursor"].get<std::string>()
                   : "";
    } while (!cursor.empty());
    STOREFLOW_RETURN_IF_ERROR(CollectSync(seen));
    // The outbox: the template by subject, the local hour by the cart's zone.
    std::map<std::string, std::string> subjects;  // subject -> template
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(t_.templates_dir, ec)) {
      const std::string name = entry.path().filename().string();
      const std::string suffix = ".subject.txt";
      if (name.size() <= suffix.size() ||
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        continue;
      }
      std::ifstream in(entry.path());
      std::string subject;
      std::getline(in, subject);
      subjects[subject] = name.substr(0, name.size() - suffix.size());
    }
    std::map<std::string, const DayCart*> by_token;
    for (const DayCart& c : script_.carts()) by_token[c.token] = &c;
    for (const auto& entry : fs::directory_iterator(t_.outbox, ec)) {
      if (entry.path().extension() != ".eml") continue;
      auto headers = MailHeaders(entry.path());
      const auto named = subjects.find(headers["subject"]);
      std::string template_name =
          named != subjects.end() ? named->second : "(other: " + headers["subject"] + ")";
      for (const auto& [subject, name] : subjects) {
        const auto placeholder = subject.find("${{");
        if (named == subjects.end() && placeholder != std::string::npos && placeholder > 0 &&
            headers["subject"].rfind(subject.substr(0, placeholder), 0) == 0) {
          template_name = name;
        }
      }
      ++seen.emails_by_template[template_name];
      const auto cart = by_token.find(headers["x-storeflow-cart"]);
      const DayMs at = ParseMailDateMs(headers["date"]).value_or(-1);
      if (cart == by_token.end() || at < 0) continue;
      const int number = std::atoi(headers["x-storeflow-email-number"].c_str());
      if (auto due = cart->second->emails.find(number);
          due != cart->second->emails.end() && due->second == at) {
        ++seen.emails_on_time;
      }
      auto zone = TimeZone::Load(cart->second->timezone);
      if (zone.ok()) ++seen.emails_by_local_hour[(*zone)->ToCivil(at / 1000).hour];
    }
    return Status::Ok();
  }

 private:
  HttpReply Engine(const std::string& method, const std::string& target,
                   const std::string& body = "") {
    return HttpCall("127.0.0.1", t_.engine_port, method, target, body,
                    {{"Authorization", "Bearer " + t_.admin_token}});
  }
  HttpReply Sim(const std::string& method, const std::string& target,
                const std::string& body = "") {
    return HttpCall("127.0.0.1", t_.sim_port, method, target, body);
  }
  // The reconciliations, the synced orders, the dead letters, the dropped deliveries.
  Status CollectSync(DayObserved& seen) {
    std::string cursor;
    do {
      HttpReply r = Engine(
          "GET", "/api/v1/reconciliations?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor));
      if (r.status != 200) return Failed("listing the reconciliations", r);
      const Json page = Json::parse(r.body, nullptr, false);
      for (const Json& item : page.value("items", Json::array())) {
        DayObserved::Reconciliation rec;
        rec.id = item.value("id", std::int64_t{0});
        rec.created = item.value("created_at", DayMs{0});
        rec.found = Str(item, "found");
        rec.status = Str(item, "status");
        rec.run_status = Str(item, "run_status");
        rec.missing = Int(item, "missing");
        rec.repaired = Int(item, "repaired");
        ++seen.reconciliations;
        seen.reconciliations_gap += rec.found != "ok" ? 1 : 0;
        seen.reconciliations_ok += rec.status == "ok" ? 1 : 0;
        seen.reconcile_missing += rec.missing;
        seen.reconcile_repaired += rec.repaired;
        seen.reconciliation_list.push_back(std::move(rec));
      }
      cursor = page.contains("next_cursor") && page["next_cursor"].is_string()
                   ? page["next_cursor"].get<std::string>()
                   : "";
    } while (!cursor.empty());
    std::sort(seen.reconciliation_list.begin(), seen.reconciliation_list.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    do {
      HttpReply r = Engine("GET", "/api/v1/records/shopify_orders?limit=500" +
                                      (cursor.empty() ? "" : "&cursor=" + cursor));
      if (r.status != 200) return Failed("listing the shopify_orders records", r);
      const Json page = Json::parse(r.body, nullptr, false);
      for (const Json& record : page.value("items", Json::array())) {
        const Json value = record.value("value", Json::object());
        if (!(value.contains("deleted") && value["deleted"] == true)) ++seen.shopify_orders;
      }
      cursor = page.contains("next_cursor") && page["next_cursor"].is_string()
                   ? page["next_cursor"].get<std::string>()
                   : "";
    } while (!cursor.empty());
    for (const char* collection : {"interactions", "orders"}) {
      do {
        HttpReply r = Engine("GET", std::string("/api/v1/records/") + collection + "?limit=500" +
                                        (cursor.empty() ? "" : "&cursor=" + cursor));
        if (r.status != 200)
          return Failed(std::string("listing the ") + collection + " records", r);
        const Json page = Json::parse(r.body, nullptr, false);
        for (const Json& record : page.value("items", Json::array())) {
          if (std::string(collection) == "interactions") {
            ++seen.shop_events;
          } else if (Str(record.value("value", Json::object()), "status") == "PROCESSED") {
            ++seen.shop_orders;
          }
        }
        cursor = page.contains("next_cursor") && page["next_cursor"].is_string()
                     ? page["next_cursor"].get<std::string>()
                     : "";
      } while (!cursor.empty());
    }
    seen.recommendations = recommendations_;
    for (const ShopUser& u : script_.shop_users()) {
      const auto it = recommendations_.find(u.id);
      if (it != recommendations_.end() && it->second.category == u.interest &&
          it->second.products == u.recommended) {
        ++seen.recommendations_ok;
      }
    }
    HttpReply r = Engine("GET", "/api/v1/dead-letters?limit=500");
    if (r.status != 200) return Failed("listing the dead letters", r);
    seen.dead_letters_open =
        static_cast<int>(Json::parse(r.body, nullptr, false).value("items", Json::array()).size());
    r = Sim("GET", "/_sim/shops/" + t_.shop + "/deliveries");
    if (r.status != 200) return Failed("reading the simulator's deliveries", r);
    for (const Json& d : Json::parse(r.body, nullptr, false).value("deliveries", Json::array())) {
      seen.webhooks_dropped += d.value("state", "") == "dropped" ? 1 : 0;
    }
    return Status::Ok();
  }

  static Status Failed(const std::string& what, const HttpReply& r) {
    return Internal(what + ": HTTP " + std::to_string(r.status) + " " +
                    (r.error.empty() ? r.body.substr(0, 500) : r.error));
  }

  Status Fault(const std::string& mode, int count) {
    HttpReply r =
        Sim("POST", "/_sim/webhooks/faults", Json{{"mode", mode}, {"count", count}}.dump());
    return r.status == 201 ? Status::Ok() : Failed("a simulator fault", r);
  }

  static Json Lines(const DayCart& c, bool updated) {
    Json lines = Json::array({{{"variant_id", 4000 + c.index},
                               {"quantity", 1},
                               {"price", std::to_string(c.price) + ".00"},
                               {"title", "Mug " + std::to_string(c.index)}}});
    if (updated) {
      lines.push_back({{"variant_id", 9000 + c.index},
                       {"quantity", 2},
                       {"price", "5.00"},
                       {"title", "Coaster " + std::to_string(c.index)}});
    }
    return lines;
  }

  // An order made in Shopify whose orders/create delivery is dropped.
  Status GapOrderAction(const GapOrder& g) {
    STOREFLOW_RETURN_IF_ERROR(Fault("drop", 1));
    const Json order = {
        {"email", g.email},
        {"financial_status", "paid"},
        {"currency", "USD"},
        {"total_price", std::to_string(g.price) + ".00"},
        {"line_items", Json::array({{{"variant_id", 7000 + g.index},
                                     {"quantity", 1},
                                     {"price", std::to_string(g.price) + ".00"},
                                     {"title", "Walk-in " + std::to_string(g.index)}}})}};
    HttpReply r = Sim("POST", "/_sim/shops/" + t_.shop + "/orders", order.dump());
    return r.status == 201 ? Status::Ok() : Failed("creating gap order " + g.email, r);
  }

  // Shopify's Admin REST API answers 503 to the next calls (the first nightly
  // reconciliation's count step, all its attempts).
  Status ShopifyDown() {
    HttpReply r = Sim(
        "POST", "/_sim/shops/" + t_.shop + "/faults",
        Json{{"api", "rest"}, {"status", 503}, {"count", DayScript::kShopifyFailedCalls}}.dump());
    return r.status == 201 ? Status::Ok() : Failed("the Admin API outage", r);
  }

  // The first reconciliation failed (a dead letter); the auto-redrive retries it once
  // the engine's clock has moved its interval on. Moves the clock a minute at a time
  // (the redrive thread polls the engine's time) until the run completed.
  Status AwaitRedrive() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (int minutes = 0; std::chrono::steady_clock::now() < deadline; ++minutes) {
      HttpReply r = Engine("GET", "/api/v1/runs?workflow=reconcile&limit=5");
      if (r.status != 200) return Failed("listing the reconcile runs", r);
      const Json items = Json::parse(r.body, nullptr, false).value("items", Json::array());
      if (!items.empty() && items[0].value("status", "") == "completed" &&
          items[0].contains("dead_letter")) {
        redriven_at_ = Json::parse(Engine("GET", "/api/v1/clock").body, nullptr, false)
                           .value("now_ms", DayMs{0});
        return Status::Ok();
      }
      if (minutes < 120) {
        HttpReply now = Engine("GET", "/api/v1/clock");
        const DayMs t = Json::parse(now.body, nullptr, false).value("now_ms", DayMs{0});
        STOREFLOW_RETURN_IF_ERROR(AdvanceTo(t + DayScript::kMinute));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
    }
    return DeadlineExceeded(
        "the first reconciliation was not re-driven and completed within 60 s (GET "
        "/api/v1/runs?workflow=reconcile, /api/v1/dead-letters)");
  }

 public:
  DayMs redriven_at() const { return redriven_at_; }

 private:
  // The REST shop API, as a storefront calls it (no token).
  Status ShopEventAction(const ShopUser& u, int index) {
    const ShopEvent& ev = u.events[static_cast<std::size_t>(index)];
    const Json body = {{"userId", u.id},
                       {"productId", ev.product},
                       {"eventType", ev.event},
                       {"productType", ev.type}};
    HttpReply r = HttpCall("127.0.0.1", t_.engine_port, "POST", "/events", body.dump());
    return r.status == 201 ? Status::Ok() : Failed("POST /events for " + u.id, r);
  }

  Status ShopOrder(const ShopUser& u) {
    const Json body = {{"userId", u.id},
                       {"email", u.email},
                       {"items", Json::array({{{"productId", u.ordered}, {"quantity", 1}}})}};
    HttpReply r = HttpCall("127.0.0.1", t_.engine_port, "POST", "/orders", body.dump(),
                           {{"Idempotency-Key", "day-order-" + u.id}});
    return r.status == 202 ? Status::Ok() : Failed("POST /orders for " + u.id, r);
  }

  Status Recommend(const ShopUser& u) {
    HttpReply r =
        HttpCall("127.0.0.1", t_.engine_port, "GET", "/recommendations?userId=" + u.id, "");
    if (r.status != 200) return Failed("GET /recommendations for " + u.id, r);
    const Json body = Json::parse(r.body, nullptr, false);
    DayObserved::Recommendation rec;
    rec.category = Str(body, "category");
    for (const Json& p : body.value("products", Json::array()))
      rec.products.push_back(Str(p, "id"));
    recommendations_[u.id] = std::move(rec);
    return Status::Ok();
  }

  const std::map<std::string, DayObserved::Recommendation>& recommendations() const {
    return recommendations_;
  }

  Status CreateCart(const DayCart& c) {
    const std::string carts = "/_sim/shops/" + t_.shop + "/carts";
    if (c.reorder) STOREFLOW_RETURN_IF_ERROR(Fault("reorder", 2));
    if (c.duplicate) STOREFLOW_RETURN_IF_ERROR(Fault("duplicate", 1));
    HttpReply r = Sim("POST", carts, Json{{"token", c.token}, {"lines", Lines(c, false)}}.dump());
    if (r.status != 201) return Failed("creating cart " + c.token, r);
    if (c.reorder) {
      // A later version of the cart (one more line), delivered before the first.
      r = Sim("POST", "/_sim/clock/advance", Json{{"ms", 1000}}.dump());
      if (r.status != 200) return Failed("advancing the simulator's clock", r);
      r = Sim("PUT", carts + "/" + c.token, Json{{"lines", Lines(c, true)}}.dump());
      if (r.status != 200) return Failed("updating cart " + c.token, r);
    }
    const Json checkout = {
        {"token", "ck-" + c.token},
        {"cart_token", c.token},
        {"email", c.email},
        {"customer_locale", "en"},
        {"abandoned_checkout_url", "https://alpha.example/recover/" + c.token},
        {"note_attributes", Json::array({{{"name", "timezone"}, {"value", c.timezone}}})},
        {"buyer_accepts_marketing", c.fate != CartFate::kNoConsent},
        {"customer", {{"first_name", "Shopper" + std::to_string(c.index)}, {"last_name", "Demo"}}}};
    r = Sim("POST", "/_sim/shops/" + t_.shop + "/checkouts", checkout.dump());
    if (r.status != 201) return Failed("creating the checkout of " + c.token, r);
    return Status::Ok();
  }

  Status Order(const DayCart& c) {
    HttpReply r = Sim("POST", "/_sim/shops/" + t_.shop + "/carts/" + c.token + "/convert", "{}");
    return r.status == 201 ? Status::Ok() : Failed("ordering cart " + c.token, r);
  }

  const DayScript& script_;
  const DayTarget& t_;
  DayMs redriven_at_ = 0;
  std::map<std::string, DayObserved::Recommendation> recommendations_;
};

}  // namespace

std::map<std::string, int> DayObserved::runs_by_workflow() const {
  std::map<std::string, int> totals;
  for (const auto& [workflow, statuses] : runs) {
    for (const auto& [status, count] : statuses) totals[workflow] += count;
  }
  return totals;
}

Result<DayObserved> PlayDay(const DayScript& script, const DayTarget& target, std::ostream& out,
                            bool tty) {
  const auto started = std::chrono::steady_clock::now();
  DayPlayer player(script, target);
  Progress progress(out, tty);
  DayObserved seen;
  seen.day0 = script.start() - script.start() % DayScript::kDay;

  progress.Begin("1. subscribe the engine to " + target.shop + "'s webhooks");
  auto before = player.Counters();
  if (!before.ok()) return before.status();
  STOREFLOW_RETURN_IF_ERROR(player.Subscribe());
  progress.End("5 topics");

  const std::vector<DayAction> actions = script.Actions();
  int carts = 0, orders = 0, gaps = 0, shop = 0;
  bool outage = false;
  progress.Begin("2. carts, checkouts and orders through the simulator and the shop API");
  for (const DayAction& action : actions) {
    STOREFLOW_RETURN_IF_ERROR(player.AdvanceTo(action.at));
    STOREFLOW_RETURN_IF_ERROR(player.Do(action));
    STOREFLOW_RETURN_IF_ERROR(player.WaitDelivered());
    carts += action.kind == DayAction::kCreate ? 1 : 0;
    orders += action.kind == DayAction::kOrder ? 1 : 0;
    gaps += action.kind == DayAction::kGapOrder ? 1 : 0;
    shop += action.kind == DayAction::kShopEvent || action.kind == DayAction::kShopOrder ||
                    action.kind == DayAction::kRecommend
                ? 1
                : 0;
    outage = action.kind == DayAction::kEmailDown || (outage && action.kind != DayAction::kEmailUp);
    progress.Update(ClockText(action.at) + ", " + std::to_string(carts) + " carts, " +
                    std::to_string(orders) + " orders" +
                    (gaps > 0 ? ", " + std::to_string(gaps) + " lost" : "") +
                    (outage ? ", EMAIL DOWN" : ""));
  }
  STOREFLOW_RETURN_IF_ERROR(player.Forged());
  progress.End(std::to_string(carts) + " carts, " + std::to_string(orders) + " orders and " +
               std::to_string(gaps) + " whose webhook is lost, " + std::to_string(shop) +
               " shop API requests, 1 forged delivery, the email transport down from " +
               ClockText(script.outage_down()) + " for an hour, Shopify's Admin API down for " +
               "the first reconciliation (re-driven at " + ClockText(player.redriven_at()) +
               "); clock at " + ClockText(actions.back().at));

  progress.Begin("3. run out the clock: recovery emails, quiet hours, tracking");
  for (DayMs t = actions.back().at; t < script.end();) {
    t = std::min(script.end(), t + DayScript::kDay);
    STOREFLOW_RETURN_IF_ERROR(player.AdvanceTo(t));
    progress.Update(ClockText(t));
  }
  progress.End("clock at " + ClockText(script.end()));

  progress.Begin("4. read the engine's counts");
  auto after = player.Counters();
  if (!after.ok()) return after.status();
  seen.webhooks_received = (*after)["storeflow_webhooks_received_total"] -
                           (*before)["storeflow_webhooks_received_total"];
  seen.webhooks_duplicate = (*after)["storeflow_webhooks_duplicate_total"] -
                            (*before)["storeflow_webhooks_duplicate_total"];
  seen.email_send_failures = (*after)["storeflow_plugin_email_messages_failed_total"] -
                             (*before)["storeflow_plugin_email_messages_failed_total"];
  seen.webhooks_rejected = (*after)["storeflow_webhooks_rejected_total"] -
                           (*before)["storeflow_webhooks_rejected_total"];
  STOREFLOW_RETURN_IF_ERROR(player.Collect(seen));
  seen.redriven_at = player.redriven_at();
  const AckSummary acks =
      AckWindow::Default().Summary(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  seen.acks = acks.requests;
  seen.ack_p50_ms = acks.p50_ms;
  seen.ack_p99_ms = acks.p99_ms;
  seen.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  progress.End("done");
  return seen;
}

}  // namespace storeflow::app
