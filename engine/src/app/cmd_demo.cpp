// `storeflow demo [--dir DIR] [--db URL] [--metrics-out FILE] [--seed N] [--carts N]
// [--sim PATH]`: the main job on the embedded default.
// Starts the engine as `serve` does (SQLite in DIR, the shipped workflows, the
// email plugin writing to an outbox folder, the storage plugin writing to a
// folder) on an ephemeral loopback port, loads the catalogue, and then plays a
// shopper's visit over real HTTP: products, interactions, a recommendation, a
// cart, an order that is paid, confirmed by email and invoiced in the
// background; then a signed Shopify webhook delivered twice (stored once) and a
// forged one (refused). Prints each exchange, checks each answer, and exits 0
// when every check held, 1 otherwise. The outbox, the invoices and the database
// stay in DIR to look at. --metrics-out writes the live /metrics answer at the end
// to FILE (tools/lint.sh feeds it to `promtool check metrics`).
//
// Then a scripted commerce day (app/demo_day.h; --carts, default 40, --seed) in
// DIR/day: a second engine on a manual clock with the Shopify flows (abandoned-cart,
// checkouts, cart-orders, cart-versions, the webhook sync of orders and the nightly
// reconciliation) and the shop API's (events, orders, recommendations), and the
// Shopify simulator as a child (storeflow-shopify-sim next to this binary, or --sim
// PATH); the simulator sends the signed webhooks, duplicated, re-ordered and (for
// the gap the reconciliation repairs) dropped some, three shoppers use the shop API,
// the clock is moved through the day and the weeks after, and the summary compares
// what the engine reports with what the script implies (a mismatch fails the demo).
// DIR/report.html shows it (app/demo_report.h). --carts 0 skips the day.
// The databases (app/demo_databases.h): SQLite files in DIR (DIR/store.db, or --db
// sqlite:PATH, for the visit; DIR/day/store.db, ... for the days), or with --db
// postgresql://USER@HOST/NAME databases of the demo's own on that server
// (NAME_demo, NAME_demo_day, NAME_demo_day_2, ...), made empty before anything runs.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <random>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <iostream>

#include "app/commands.h"
#include "app/demo_databases.h"
#include "app/demo_day.h"
#include "app/demo_day_run.h"
#include "app/demo_report.h"
#include "app/engine_config.h"
#include "app/http_call.h"
#include "app/records_import.h"
#include "app/serve_session.h"
#include "app/sim_child.h"
#include "common/timezone.h"
#include "http/shopify_source.h"
#include "http/webhook_source.h"

namespace storeflow::app {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct Reply {
  int status = 0;
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
};

std::string RandomHex(int bytes) {
  std::random_device rd;
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    unsigned v = rd() & 0xffU;
    out += kHex[v >> 4];
    out += kHex[v & 0xfU];
  }
  return out;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Plays the visit against one running session, printing to `out`.
class DemoScript {
 public:
  DemoScript(std::uint16_t port, std::string token, std::string shopify_secret, fs::path dir,
             std::ostream& out)
      : port_(port),
        token_(std::move(token)),
        shopify_secret_(std::move(shopify_secret)),
        dir_(std::move(dir)),
        out_(out) {}

  int failures() const { return failures_; }
  // GET /metrics with the admin token (/metrics accepts it); empty when refused.
  std::string MetricsText() {
    Reply reply = Call("GET", "/metrics", "", {{"Authorization", "Bearer " + token_}});
    return reply.status == 200 ? reply.body : std::string();
  }
  int checks() const { return checks_; }

  Reply Call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::map<std::string, std::string>& headers = {}) {
    HttpReply got = HttpCall("127.0.0.1", port_, method, target, body, headers);
    Reply reply;
    reply.status = got.status;
    reply.body = got.error.empty() ? std::move(got.body) : "request failed: " + got.error;
    return reply;
  }

  // Prints "METHOD TARGET -> STATUS" and checks the status.
  Reply Step(const std::string& method, const std::string& target, const Json& body, int expected,
             const std::map<std::string, std::string>& headers = {}) {
    Reply reply = Call(method, target, body.is_null() ? "" : body.dump(), headers);
    out_ << "  " << method << " " << target;
    if (!body.is_null()) out_ << " " << body.dump();
    out_ << "\n    -> " << reply.status << "\n";
    Check(reply.status == expected, "expected HTTP " + std::to_string(expected) + ", got " +
                                        std::to_string(reply.status) + ": " + reply.body);
    return reply;
  }

  void Check(bool ok, const std::string& what) {
    ++checks_;
    if (ok) return;
    ++failures_;
    out_ << "    CHECK FAILED: " << what << "\n";
  }

  Json Admin(const std::string& target) {
    return Call("GET", target, "", {{"Authorization", "Bearer " + token_}}).json();
  }

  void Run() {
    const std::string user = "ada";
    out_ << "\n1. Browse the catalogue\n";
    Json shoes = Step("GET", "/products?productType=Shoes", Json(), 200).json();
    for (const auto& p : shoes.value("products", Json::array())) {
      out_ << "       " << p.value("id", "") << "  " << p.value("name", "") << "  "
           << p.value("price_cents", 0) / 100 << "." << p.value("price_cents", 0) % 100 / 10
           << p.value("price_cents", 0) % 10 << " USD\n";
    }
    Check(shoes.value("count", 0) == 3, "3 shoes in the catalogue");

    out_ << "\n2. Record what the shopper looks at\n";
    for (const auto& [type, event] :
         std::vector<std::pair<std::string, std::string>>{{"Jackets", "view"},
                                                          {"Jackets", "click"},
                                                          {"Jackets", "add_to_cart"},
                                                          {"Shoes", "view"},
                                                          {"Hats", "view"}}) {
      Step("POST", "/events",
           {{"userId", user}, {"productId", "p-x"}, {"eventType", event}, {"productType", type}},
           201);
    }

    out_ << "\n3. Recommend (scripts/recommend.lua scores the interactions)\n";
    Json rec = Step("GET", "/recommendations?userId=" + user, Json(), 200).json();
    out_ << "       top category: " << rec.value("category", Json()).dump() << ", "
         << rec.value("products", Json::array()).size() << " products\n";
    Check(rec.value("category", Json()) == "Jackets", "Jackets recommended");

    out_ << "\n4. Fill the cart\n";
    Step("POST", "/cart", {{"userId", user}, {"productId", "p-2001"}, {"quantity", 1}}, 200);
    Json cart =
        Step("POST", "/cart", {{"userId", user}, {"productId", "p-3001"}, {"quantity", 2}}, 200)
            .json();
    out_ << "       total: " << cart.value("total_cents", 0) << " cents\n";
    Check(cart.value("total_cents", 0) == 12900 + 2 * 1900, "cart total 167.00 USD");
    Step("POST", "/cart", {{"userId", user}, {"productId", "p-1001"}, {"quantity", 0}}, 422);

    out_ << "\n5. Order: answered at once, then paid, confirmed and invoiced in the background\n";
    Json order = Step("POST", "/orders", {{"userId", user}, {"email", "ada@example.com"}}, 202,
                      {{"Idempotency-Key", "demo-" + RandomHex(6)}})
                     .json();
    const std::string order_id = order.value("orderId", "");
    out_ << "       " << order.dump() << "\n";
    std::string status;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      Json record = Admin("/api/v1/records/orders/" + order_id);
      status = record.is_object() ? record["value"].value("status", "") : "";
      if (status == "PROCESSED") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    out_ << "       GET /api/v1/records/orders/" << order_id << " -> status " << status << "\n";
    Check(status == "PROCESSED", "order processed");

    const fs::path invoice = dir_ / "storage" / "invoices" / (order_id + ".txt");
    // The invoice step runs after the status step: wait for it too.
    while (std::chrono::steady_clock::now() < deadline && !fs::exists(invoice)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    out_ << "\n6. The invoice (storage plugin): " << invoice.string() << "\n";
    const std::string invoice_text = ReadFile(invoice);
    std::istringstream lines(invoice_text);
    for (std::string line; std::getline(lines, line);) out_ << "       | " << line << "\n";
    Check(invoice_text.find("Total: 167.00 USD") != std::string::npos, "invoice total");

    out_ << "\n7. The confirmation email (email plugin, outbox transport)\n";
    int emails = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_ / "outbox", ec)) {
      if (entry.path().extension() != ".eml") continue;
      ++emails;
      out_ << "       " << entry.path().string() << "\n";
      std::istringstream mail(ReadFile(entry.path()));
      for (std::string line; std::getline(mail, line);) {
        if (line.rfind("To:", 0) == 0 || line.rfind("Subject:", 0) == 0 ||
            line.rfind("From:", 0) == 0) {
          out_ << "       | " << line << "\n";
        }
      }
    }
    Check(emails == 1, "one email in the outbox");

    out_ << "\n8. A Shopify webhook, signed, delivered twice (stored once), and a forged one\n";
    const std::string payload = ReadFile("tests/fixtures/shopify/carts_create.json");
    const std::string signature = http::ShopifySignature(payload, shopify_secret_).value_or("");
    const std::string webhook_id = "demo-" + RandomHex(8);
    std::map<std::string, std::string> headers = {{"X-Shopify-Topic", "carts/create"},
                                                  {"X-Shopify-Hmac-Sha256", signature},
                                                  {"X-Shopify-Webhook-Id", webhook_id},
                                                  {"X-Shopify-Shop-Domain", "demo.myshopify.com"}};
    for (int i = 0; i < 2; ++i) {
      Reply r = Call("POST", "/webhooks/shopify", payload, headers);
      out_ << "  POST /webhooks/shopify (carts/create, id " << webhook_id << ") -> " << r.status
           << "\n";
      Check(r.status == 200, "signed webhook accepted");
    }
    Json events = Admin("/api/v1/events?source=shopify");
    std::size_t stored = 0;
    for (const auto& e : events.value("items", Json::array())) {
      if (e.value("dedup_key", "") == webhook_id ||
          e.dump().find(webhook_id) != std::string::npos) {
        ++stored;
      }
    }
    out_ << "       events stored for it: " << stored << "\n";
    Check(stored == 1, "the duplicate delivery stored nothing");
    headers["X-Shopify-Hmac-Sha256"] = http::Base64Encode("forged-signature-bytes-000000000");
    headers["X-Shopify-Webhook-Id"] = "demo-forged-" + RandomHex(4);
    Reply forged = Call("POST", "/webhooks/shopify", payload, headers);
    out_ << "  POST /webhooks/shopify (bad signature) -> " << forged.status << "\n";
    Check(forged.status == 401, "forged webhook refused");

    out_ << "\n9. Metrics (GET /metrics, excerpt)\n";
    std::istringstream metrics(MetricsText());
    for (std::string line; std::getline(metrics, line);) {
      if (line.empty() || line[0] == '#' || line.find("_bucket{") != std::string::npos) continue;
      if (line.find("storeflow_webhooks") != std::string::npos ||
          line.find("storeflow_runs_completed") != std::string::npos ||
          line.find("storeflow_plugin_email") != std::string::npos) {
        out_ << "       " << line << "\n";
      }
    }
  }

 private:
  std::uint16_t port_;
  std::string token_;
  std::string shopify_secret_;
  fs::path dir_;
  std::ostream& out_;
  int failures_ = 0;
  int checks_ = 0;
};

// The simulator's shop (config/demo/shopify-sim/shops.json).
constexpr char kDayShop[] = "alpha.myshopify.com";
constexpr char kDayAdminToken[] = "shpat_alpha_admin_token_0001";
constexpr char kDayStorefrontToken[] = "sf_alpha_storefront_token_0001";
constexpr char kDayWebhookSecret[] = "hush";
constexpr const char* kDayWorkflows[] = {
    "abandoned-cart.yaml", "checkouts.yaml",   "cart-orders.yaml",
    "cart-versions.yaml",  "sync-orders.yaml", "reconcile.yaml",
    "shop-events.yaml",    "shop-orders.yaml", "shop-recommendations.yaml"};

struct DayOptions {
  std::uint64_t seed = 1;
  int carts = 40;
  int days = 1;  // --days N: each its own script (seed + k), engine and simulator
  fs::path sim;
};

// The folder of day `index` (0-based): DIR/day, then DIR/day-2, DIR/day-3, ...
fs::path DayFolder(const fs::path& dir, int index) {
  return index == 0 ? dir / "day" : dir / ("day-" + std::to_string(index + 1));
}

// Plays day `index` of --days in DayFolder(dir, index) (seed + index, starting index
// days after the first); returns the number of failed checks, or kDayNotPlayed when
// the day could not be played (the reason is on `err`). `report` gets its rows.
constexpr int kDayNotPlayed = -1;
int RunDay(const DayOptions& plan, int index, const fs::path& dir, const DemoDatabases& dbs,
           std::ostream& out, std::ostream& err, DayReport& report) {
  DayOptions day = plan;
  day.seed += static_cast<std::uint64_t>(index);
  const fs::path work = DayFolder(dir, index);
  std::error_code ec;
  fs::remove_all(work, ec);
  fs::create_directories(work / "workflows", ec);
  for (const char* name : kDayWorkflows) {
    fs::copy_file(fs::path("workflows") / name, work / "workflows" / name, ec);
    if (ec) break;
  }
  if (!ec)
    fs::copy("workflows/schemas", work / "workflows" / "schemas", fs::copy_options::recursive, ec);
  if (ec) {
    err << "storeflow demo: cannot copy the Shopify workflows into " << work.string() << ": "
        << ec.message() << " (run the demo from the source tree)\n";
    return kDayNotPlayed;
  }
  const DayMs start = (DaysFromCivil(2026, 3, 10) + index) * DayScript::kDay + 6 * DayScript::kHour;
  // The shop API's catalogue, for the script's shoppers and the engine's products.
  std::vector<CatalogueItem> catalogue;
  {
    const Json products = Json::parse(ReadFile("workflows/data/catalogue.json"), nullptr, false);
    for (const Json& p : products.is_array() ? products : Json::array()) {
      if (p.is_object() && p.contains("id") && p["id"].is_string() && p.contains("productType") &&
          p["productType"].is_string()) {
        catalogue.push_back(
            {p["id"].get<std::string>(),
             p.contains("name") && p["name"].is_string() ? p["name"].get<std::string>() : "",
             p["productType"].get<std::string>()});
      }
    }
  }
  auto script = DayScript::Make(day.seed, day.carts, start, catalogue);
  if (!script.ok()) {
    err << "storeflow demo: " << script.status().message() << "\n";
    return kDayNotPlayed;
  }
  std::ofstream(work / "script.json") << script->ToJson();
  auto sim = SimChild::Start(day.sim, "config/demo/shopify-sim", work / "sim.log");
  if (!sim.ok()) {
    err << "storeflow demo: " << sim.status().message() << "\n";
    return kDayNotPlayed;
  }
  {
    std::ofstream secrets(work / "secrets.yaml");
    secrets << "DEMO_ALPHA_ADMIN: " << kDayAdminToken
            << "\nDEMO_ALPHA_STOREFRONT: " << kDayStorefrontToken << "\n";
  }
  fs::permissions(work / "secrets.yaml", fs::perms::owner_read | fs::perms::owner_write, ec);

  auto config = LoadEngineConfig({});
  if (!config.ok()) {
    err << "storeflow demo: " << config.status().message() << "\n";
    return kDayNotPlayed;
  }
  ServeOptions options;
  options.config = std::move(config).value();
  const std::string token = RandomHex(16);
  options.config.admin.token = token;
  options.config.webhooks.shopify_secrets = {kDayWebhookSecret};
  options.config.http.access_log = false;
  options.config.secrets_file = (work / "secrets.yaml").string();
  options.config.plugins.configs["email"] = {{"transport", "outbox"},
                                             {"from", "Alpha Goods <shop@storeflow.local>"},
                                             {"templates_dir", "config/email-templates"},
                                             {"outbox", {{"folder", (work / "outbox").string()}}}};
  options.config.plugins.configs["storage"] = {{"root", (work / "storage").string()}};
  options.config.plugins.configs["shopify"] = {
      {"shops", Json::array({{{"domain", kDayShop},
                              {"admin_token_secret", "DEMO_ALPHA_ADMIN"},
                              {"storefront_token_secret", "DEMO_ALPHA_STOREFRONT"},
                              {"endpoint", "http://127.0.0.1:" + std::to_string((*sim)->port()) +
                                               "/shops/" + kDayShop}}})}};
  // The nightly reconciliation of the orders the webhook sync keeps (its schedule,
  // window and thresholds are the shipped defaults).
  options.config.workflows.file["reconcile"] = {
      {"shop", {Json(kDayShop), "storeflow demo"}},
      {"resources", {Json::array({"orders"}), "storeflow demo"}}};
  options.config.workflows.file_origins["reconcile"] = "storeflow demo";
  options.db = dbs.days.at(static_cast<std::size_t>(index));
  options.workflows_dir = (work / "workflows").string();
  options.listen = "127.0.0.1:0";
  options.workers = 4;
  options.clock = "manual";
  options.clock_start = start;
  auto log = std::make_shared<std::ofstream>(work / "engine.log");
  auto log_mu = std::make_shared<std::mutex>();
  options.log = [log, log_mu](std::string_view line) {
    std::lock_guard lock(*log_mu);
    *log << line << "\n";
    log->flush();
  };

  const std::string which = plan.days > 1 ? "Day " + std::to_string(index + 1) + " of " +
                                                std::to_string(plan.days) + ": a"
                                          : "A";
  out << "\n10. " << which << " commerce day against the Shopify simulator (seed " << day.seed
      << ", " << day.carts << " carts; files in " << work.string() << ")\n";
  auto session = ServeSession::Start(std::move(options));
  if (!session.ok()) {
    err << "storeflow demo: the day's engine: " << session.status().message() << "\n";
    return kDayNotPlayed;
  }
  out << "  engine: " << (*session)->summary() << ", manual clock\n";
  auto imported =
      ImportRecordsFile((*session)->store(), "products", "workflows/data/catalogue.json", "id");
  if (!imported.ok()) {
    err << "storeflow demo: the day's catalogue: " << imported.status().message() << "\n";
    (*session)->Stop();
    (*sim)->Stop();
    return kDayNotPlayed;
  }
  out << "  simulator: http://127.0.0.1:" << (*sim)->port() << " (" << day.sim.string() << ")\n";
  DayTarget target;
  target.engine_port = (*session)->port();
  target.admin_token = token;
  target.sim_port = (*sim)->port();
  target.shop = kDayShop;
  target.admin_api_token = kDayAdminToken;
  target.outbox = work / "outbox";
  target.templates_dir = "config/email-templates";
  const bool tty = &out == &std::cout && isatty(STDOUT_FILENO) == 1;
  auto seen = PlayDay(*script, target, out, tty);
  (*session)->Stop();
  (*sim)->Stop();
  if (!seen.ok()) {
    err << "storeflow demo: the day stopped: " << seen.status().message()
        << " (logs: " << (work / "engine.log").string() << ", " << (work / "sim.log").string()
        << ")\n";
    return kDayNotPlayed;
  }
  char took[64];
  std::snprintf(took, sizeof(took), "%.1f", seen->wall_seconds);
  out << "\n11. Summary of the day" << (plan.days > 1 ? " " + std::to_string(index + 1) : "")
      << " (" << took << " s of wall time)\n";
  report.rows = SummaryRows(*script, *seen);
  report.seen = std::move(seen).value();
  const int mismatches = PrintSummary(report.rows, report.seen, out);
  report.title =
      (plan.days > 1 ? "Day " + std::to_string(index + 1) + ": a" : "storeflow demo: a") +
      std::string(" commerce day (seed ") + std::to_string(day.seed) + ", " +
      std::to_string(day.carts) + " carts" + (dbs.postgres() ? ", on PostgreSQL)" : ")");
  return mismatches;
}

}  // namespace

int RunDemoCommand(const Args& input, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kUsage =
      "usage: storeflow demo [--dir DIR] [--db URL] [--metrics-out FILE] [--seed N] [--carts N] "
      "[--days N] [--sim PATH]\n";
  constexpr std::string_view kHelp =
      "Serves the shop API flows and plays a shopper's visit over HTTP, then a scripted\n"
      "commerce day against the Shopify simulator on a manual clock, and prints the\n"
      "engine's counts next to the ones the script implies (exit 0 when all match).\n"
      "\n"
      "  --dir DIR          where the files go (default var/demo): outbox, invoices, logs,\n"
      "                     each day's folder (DIR/day, DIR/day-2, ...), report.html\n"
      "  --db URL           the database. Default: SQLite files in DIR (the visit's\n"
      "                     DIR/store.db, each day's DIR/day/store.db, ...). sqlite:PATH: the\n"
      "                     visit's file. postgresql://USER[:PASSWORD]@HOST[:PORT]/NAME: the\n"
      "                     whole demo on that server, in databases of its own that it makes\n"
      "                     there, empty, before anything runs: NAME_demo (the visit),\n"
      "                     NAME_demo_day, NAME_demo_day_2, ... (the days). It connects to NAME\n"
      "                     only to make them; the role needs CREATEDB. Each is marked as the\n"
      "                     demo's (COMMENT ON DATABASE) and dropped and made again by the next\n"
      "                     run; when one of those names is taken by a database the demo did\n"
      "                     not make, it stops before changing anything (exit 1).\n"
      "  --metrics-out FILE the final /metrics answer of the visit\n"
      "  --seed N           the day's script (default 1); the same seed, the same counts\n"
      "  --carts N          carts in a day, 0 to 10000 (default 40; 0: the visit only)\n"
      "  --days N           days to play, 1 to 30 (day k has seed N+k-1); the counts summed\n"
      "  --sim PATH         the Shopify simulator (default: storeflow-shopify-sim next to\n"
      "                     storeflow)\n"
      "Exit codes: 0 every check held, 1 a check failed or the demo could not run (the\n"
      "reason on stderr), 2 usage error.\n";
  Args args = input;
  if (TakeFlag(args, "--help") || TakeFlag(args, "-h")) {
    out << kUsage << "\n" << kHelp;
    return 0;
  }
  const auto dir_option = TakeOption(args, "--dir");
  const auto db_option = TakeOption(args, "--db");
  const auto metrics_option = TakeOption(args, "--metrics-out");
  const auto seed_option = TakeOption(args, "--seed");
  const auto carts_option = TakeOption(args, "--carts");
  const auto days_option = TakeOption(args, "--days");
  const auto sim_option = TakeOption(args, "--sim");
  DayOptions day;
  try {
    std::size_t used = 0;
    if (seed_option) {
      day.seed = std::stoull(*seed_option, &used);
      if (used != seed_option->size()) throw std::invalid_argument("seed");
    }
    if (carts_option) {
      day.carts = std::stoi(*carts_option, &used);
      if (used != carts_option->size() || day.carts < 0 || day.carts > 10000) {
        throw std::invalid_argument("carts");
      }
    }
    if (days_option) {
      day.days = std::stoi(*days_option, &used);
      if (used != days_option->size() || day.days < 1 || day.days > 30) {
        throw std::invalid_argument("days");
      }
    }
  } catch (const std::exception&) {
    err << "storeflow demo: --seed takes a whole number >= 0, --carts one from 0 to 10000, "
           "--days one from 1 to 30\n"
        << kUsage;
    return 2;
  }
  if (sim_option && sim_option->empty()) {
    err << "storeflow demo: --sim needs a path\n" << kUsage;
    return 2;
  }
  day.sim = sim_option ? fs::path(*sim_option) : SimulatorNextToSelf();
  if (!args.empty()) {
    err << "storeflow demo: unexpected argument '" << args[0] << "'\n" << kUsage;
    return 2;
  }
  if (db_option && db_option->empty()) {
    err << "storeflow demo: --db needs a URL\n" << kUsage;
    return 2;
  }
  const fs::path dir = fs::absolute(dir_option.value_or("var/demo"));
  std::vector<fs::path> day_folders;
  for (int k = 0; day.carts > 0 && k < day.days; ++k) day_folders.push_back(DayFolder(dir, k));
  std::error_code ec;
  for (const char* part : {"store.db", "store.db-wal", "store.db-shm", "store.db.lock", "outbox",
                           "storage", "engine.log", "report.html"}) {
    fs::remove_all(dir / part, ec);
  }
  fs::create_directories(dir, ec);
  if (ec) {
    err << "storeflow demo: cannot create " << dir.string() << ": " << ec.message() << "\n";
    return 1;
  }
  // Before anything runs: a server that cannot be reached, or a name taken by a
  // database the demo did not make, stops it here with nothing changed.
  auto dbs = PrepareDemoDatabases(db_option, dir, day_folders);
  if (!dbs.ok()) {
    err << "storeflow demo: " << dbs.status().message() << "\n";
    if (dbs.status().code() != StatusCode::kInvalidArgument) return 1;
    err << kUsage;
    return 2;
  }

  auto config = LoadEngineConfig({});
  if (!config.ok()) {
    err << "storeflow demo: " << config.status().message() << "\n";
    return 2;
  }
  ServeOptions options;
  options.config = std::move(config).value();
  const std::string token = RandomHex(16);
  const std::string shopify_secret = RandomHex(16);
  options.config.admin.token = token;
  options.config.webhooks.shopify_secrets = {shopify_secret};
  options.config.http.access_log = false;
  options.config.plugins.configs["email"] = {{"transport", "outbox"},
                                             {"from", "shop@storeflow.local"},
                                             {"templates_dir", "config/email-templates"},
                                             {"outbox", {{"folder", (dir / "outbox").string()}}}};
  options.config.plugins.configs["storage"] = {{"root", (dir / "storage").string()}};
  options.db = dbs->visit;
  options.listen = "127.0.0.1:0";
  options.workers = 2;
  auto log = std::make_shared<std::ofstream>(dir / "engine.log");
  auto log_mu = std::make_shared<std::mutex>();
  options.log = [log, log_mu](std::string_view line) {
    std::lock_guard lock(*log_mu);
    *log << line << "\n";
    log->flush();
  };

  if (dbs->postgres()) {
    out << "storeflow demo: the shop API flows on PostgreSQL (the server of " << dbs->server
        << ": the demo's databases";
    for (const std::string& name : dbs->made) out << " " << name;
    out << ", made for this run; files in " << dir.string() << ")\n";
  } else {
    out << "storeflow demo: the shop API flows on the embedded default (files in " << dir.string()
        << ")\n";
  }
  auto session = ServeSession::Start(std::move(options));
  if (!session.ok()) {
    err << "storeflow demo: " << session.status().message() << "\n";
    return 1;
  }
  out << "  engine: " << (*session)->summary() << "\n";
  out << "  listening on http://127.0.0.1:" << (*session)->port() << "\n";
  auto imported =
      ImportRecordsFile((*session)->store(), "products", "workflows/data/catalogue.json", "id");
  if (!imported.ok()) {
    err << "storeflow demo: " << imported.status().message() << "\n";
    return 1;
  }
  out << "  catalogue: " << *imported << " products loaded from workflows/data/catalogue.json\n";

  DemoScript script((*session)->port(), token, shopify_secret, dir, out);
  script.Run();
  if (metrics_option) {
    const std::string metrics = script.MetricsText();
    std::ofstream file(*metrics_option, std::ios::binary | std::ios::trunc);
    file << metrics;
    file.close();
    if (metrics.empty() || !file) {
      err << "storeflow demo: could not write /metrics to " << *metrics_option << "\n";
      (*session)->Stop();
      return 1;
    }
    out << "  /metrics written to " << *metrics_option << "\n";
  }
  (*session)->Stop();
  session->reset();

  int day_failures = 0;
  std::vector<DayReport> reports;
  for (int k = 0; day.carts > 0 && k < day.days && day_failures != kDayNotPlayed; ++k) {
    DayReport report;
    const int failed = RunDay(day, k, dir, *dbs, out, err, report);
    day_failures = failed == kDayNotPlayed ? kDayNotPlayed : day_failures + failed;
    if (failed != kDayNotPlayed) reports.push_back(std::move(report));
  }
  if (!reports.empty()) {
    const std::vector<SummaryRow> totals = SumRows(reports);
    if (reports.size() > 1) {
      out << "\n12. Summary of the " << reports.size() << " days (the counts summed)\n";
      PrintRows(totals, /*with_notes=*/false, out);
    }
    const std::string title = reports.size() > 1
                                  ? "storeflow demo: " + std::to_string(reports.size()) +
                                        " commerce days (seed " + std::to_string(day.seed) + ", " +
                                        std::to_string(day.carts) + " carts a day" +
                                        (dbs->postgres() ? ", on PostgreSQL)" : ")")
                                  : reports.front().title;
    const Status written = WriteHtmlReport(dir / "report.html", title, reports, totals);
    if (!written.ok()) {
      err << "storeflow demo: " << written.message() << "\n";
      if (day_failures != kDayNotPlayed) ++day_failures;
    } else {
      out << "  report: " << (dir / "report.html").string() << "\n";
    }
  }

  out << "\n";
  if (day_failures == kDayNotPlayed) {
    out << "demo FAILED: the commerce day could not be played (the reason is above; logs in "
        << (dir / "day").string() << ")\n";
    return 1;
  }
  if (day_failures > 0) {
    out << "demo FAILED: the commerce day: " << day_failures << " check(s) failed (logs in "
        << (dir / "day").string() << ")\n";
    return 1;
  }
  if (script.failures() > 0) {
    out << "demo FAILED: " << script.failures() << " of " << script.checks()
        << " checks failed (engine log: " << (dir / "engine.log").string() << ")\n";
    return 1;
  }
  out << "demo ok: " << script.checks() << " checks passed"
      << (day.carts > 0 ? ", and the day's counts matched the script" : "")
      << ". Look around: " << dir.string() << "/{outbox,storage,"
      << (dbs->postgres() ? "" : "store.db,") << "engine.log"
      << (day.carts > 0 ? ",day,report.html" : "") << "}";
  if (dbs->postgres()) {
    out << " and the databases";
    for (const std::string& name : dbs->made) out << " " << name;
    out << " on the server of " << dbs->server;
  }
  out << "\n";
  return 0;
}

}  // namespace storeflow::app
