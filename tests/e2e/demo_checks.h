#pragma once

// What the e2e tests of `storeflow demo` share: running it as a user does, reading
// its summary, and checking a played day against its script (DIR/day/script.json)
// and the files it left, independently of the demo's own model: the counts are
// computed from the script, never pasted. demo_test.cpp (SQLite) and
// demo_postgres_test.cpp (PostgreSQL) use them.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "outbox.h"
#include "serve_process.h"

namespace storeflow::e2e::demo {

namespace fs = std::filesystem;
using test_support::ReadFile;

inline fs::path FreshDir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / ("storeflow-" + name + "-" + std::to_string(getpid()) + "-" +
                                   std::to_string(std::random_device()()));
  fs::create_directories(dir);
  return dir;
}

// Runs `storeflow demo ARGS --dir DIR` from the source tree; the exit status and what
// it printed.
inline std::pair<int, std::string> RunDemo(const fs::path& dir, const std::string& args) {
  fs::create_directories(dir);
  const std::string command = std::string("cd ") + STOREFLOW_SOURCE_DIR + " && " +
                              STOREFLOW_BINARY + " demo --dir " + dir.string() + " " + args + " >" +
                              (dir / "out.txt").string() + " 2>&1";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(dir / "out.txt")};
}

// The rows of the summary under the first line containing `header` (up to the next
// blank line): "  what   expected   engine  ok|MISMATCH ..." -> (expected, engine).
inline std::map<std::string, std::pair<int, int>> SummaryRows(
    const std::string& out, const std::string& header = "Summary of the day") {
  std::map<std::string, std::pair<int, int>> rows;
  const std::regex row(R"(^  (\S.*\S)\s+(\d+)\s+(\d+)  (ok|MISMATCH).*$)");
  const auto at = out.find(header);
  if (at == std::string::npos) return rows;
  std::istringstream lines(out.substr(at));
  std::string line;
  std::getline(lines, line);  // the header
  while (std::getline(lines, line) && !line.empty()) {
    std::smatch m;
    if (std::regex_match(line, m, row)) rows[m[1]] = {std::stoi(m[2]), std::stoi(m[3])};
  }
  return rows;
}

// Checks the day played in `day_dir` (DIR/day) with `carts` carts, whose output is
// `out`, against its script: every summary row matches, the counts add up with the
// outbox, each cart's fate implies its emails, the gap is reconciled and the shop
// API's users got what their events imply. `fates_out`: carts by fate.
inline void ExpectTheDayItsScriptImplies(const fs::path& day_dir, const std::string& out, int carts,
                                         std::map<std::string, int>* fates_out) {
  const auto rows = SummaryRows(out);
  ASSERT_GE(rows.size(), 15u) << out;
  for (const auto& [what, figures] : rows) EXPECT_EQ(figures.first, figures.second) << what;

  // The counts add up, and agree with the files the day left.
  auto engine = [&](const std::string& what) {
    auto it = rows.find(what);
    EXPECT_NE(it, rows.end()) << what << "\n" << out;
    return it == rows.end() ? -1 : it->second.second;
  };
  EXPECT_EQ(engine("carts converted") + engine("carts recovered") + engine("carts abandoned"),
            carts);
  EXPECT_EQ(
      engine("webhooks received"),
      engine("webhooks accepted") + engine("duplicates dropped") + engine("webhooks rejected"));
  EXPECT_EQ(engine("webhooks rejected"), 1);
  EXPECT_EQ(engine("runs failed"), 0);
  EXPECT_EQ(engine("runs cart-orders"), engine("carts converted") + engine("carts recovered"));
  int emails_in_summary = 0;
  for (const auto& [what, figures] : rows) {
    if (what.rfind("emails cart-reminder-", 0) == 0 || what == "emails order-confirmation") {
      emails_in_summary += figures.second;
    }
  }
  const int eml = static_cast<int>(test_support::OutboxEmails(day_dir / "outbox").size());
  EXPECT_GT(eml, 0);
  EXPECT_EQ(eml, emails_in_summary);
  EXPECT_EQ(engine("emails at their scripted time"), eml - engine("emails order-confirmation"));
  EXPECT_EQ(engine("emails cart-reminder-1"), engine("carts emailed"));

  // Independently of the demo's model: each cart's fate (DIR/day/script.json) implies
  // its status and which recovery emails it gets (the outbox's X-Storeflow-Cart and
  // X-Storeflow-Email-Number headers).
  const nlohmann::json script =
      nlohmann::json::parse(ReadFile(day_dir / "script.json"), nullptr, false);
  ASSERT_TRUE(script.is_object()) << ReadFile(day_dir / "script.json");
  std::map<std::string, std::string> fate;  // token -> fate
  std::map<std::string, int> fates;
  int received = 1, duplicates = 0, high_value_thirds = 0;  // 1: the forged delivery
  for (const auto& c : script["carts"]) {
    const std::string f = c["fate"];
    fate[c["token"]] = f;
    ++fates[f];
    const bool ordered = f == "before_delay" || f == "after_email_1" || f == "after_last";
    received += 2 + (c["duplicate"] ? 1 : 0) + (c["reorder"] ? 1 : 0) + (ordered ? 2 : 0);
    duplicates += c["duplicate"] ? 1 : 0;
    if ((f == "after_last" || f == "never") && c["value"].get<double>() > 200) ++high_value_thirds;
  }
  ASSERT_EQ(fate.size(), static_cast<std::size_t>(carts));
  *fates_out = fates;
  std::map<std::string, std::set<int>> emails_of;  // token -> email numbers
  std::vector<std::int64_t> dates;                 // unix seconds
  std::multiset<std::string> confirmations;        // To of the emails of no cart
  for (const auto& entry : fs::directory_iterator(day_dir / "outbox")) {
    if (entry.path().extension() != ".eml") continue;
    const std::string raw = "\r\n" + ReadFile(entry.path());  // every header after a CRLF
    auto header = [&](const std::string& name) {
      const auto at = raw.find("\r\n" + name + ": ");
      if (at == std::string::npos) return std::string();
      const auto from = at + name.size() + 4;
      return raw.substr(from, raw.find("\r\n", from) - from);
    };
    const std::string token = header("X-Storeflow-Cart");
    if (token.empty()) {  // an order confirmation of the shop API (below)
      confirmations.insert(header("To"));
      continue;
    }
    std::tm tm{};
    const std::string date = header("Date");
    ASSERT_NE(strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S +0000", &tm), nullptr) << date;
    dates.push_back(timegm(&tm));
    EXPECT_EQ(fate.count(token), 1u) << raw.substr(0, 1500);
    EXPECT_TRUE(emails_of[token].insert(std::stoi("0" + header("X-Storeflow-Email-Number"))).second)
        << "a second email of one number for " << token;
  }
  for (const auto& [token, f] : fate) {
    const std::set<int> want = f == "after_email_1"                ? std::set<int>{1}
                               : f == "after_last" || f == "never" ? std::set<int>{1, 2, 3}
                                                                   : std::set<int>{};
    EXPECT_EQ(emails_of[token], want) << token << " (" << f << ")";
  }
  // The email transport is down for an hour: some sends failed, and no email is dated
  // inside the outage (each went out later).
  EXPECT_GT(engine("email sends failed"), 0) << out;
  const std::int64_t down = script["email_outage"]["from_ms"].get<std::int64_t>() / 1000;
  const std::int64_t up = script["email_outage"]["until_ms"].get<std::int64_t>() / 1000;
  EXPECT_EQ(up - down, 3600);
  for (const std::int64_t at : dates) {
    EXPECT_TRUE(at <= down || at > up) << "an email dated " << at << " in the outage";
  }
  EXPECT_EQ(engine("carts converted"), fates["before_delay"]);
  EXPECT_EQ(engine("carts recovered"), fates["after_email_1"] + fates["after_last"]);
  EXPECT_EQ(engine("carts abandoned"), fates["never"] + fates["no_consent"]);
  EXPECT_EQ(engine("webhooks received"), received);
  EXPECT_EQ(engine("duplicates dropped"), duplicates);
  // email_timing.lua: the third email of a cart worth more than 200 offers a discount.
  if (high_value_thirds > 0) {
    EXPECT_EQ(engine("emails cart-reminder-3-discount"), high_value_thirds);
  } else {
    EXPECT_EQ(rows.count("emails cart-reminder-3-discount"), 0u) << out;
  }

  // The gap: orders made in Shopify whose webhook the simulator dropped. The nightly
  // reconciliation runs at each 04:00 UTC the clock passes; the first one meets
  // Shopify's 503s, becomes a dead letter, is re-driven and repairs the gap.
  const int gap = static_cast<int>(script["gap_orders"].size());
  EXPECT_GE(gap, 2);
  const std::int64_t day_ms = 86400000;
  const std::int64_t start = script["start_ms"].get<std::int64_t>();
  const std::int64_t end = script["end_ms"].get<std::int64_t>();
  int nights = 0;
  for (std::int64_t t = start - start % day_ms + day_ms + 4 * 3600000; t <= end; t += day_ms) {
    ++nights;
  }
  for (const auto& g : script["gap_orders"]) {
    EXPECT_LT(g["at_ms"].get<std::int64_t>(), start - start % day_ms + day_ms + 4 * 3600000);
  }
  const int ordered = fates["before_delay"] + fates["after_email_1"] + fates["after_last"];
  EXPECT_EQ(engine("webhooks dropped"), gap);
  EXPECT_EQ(engine("runs sync-orders"), ordered);
  EXPECT_EQ(engine("orders synced"), ordered + gap);
  EXPECT_EQ(engine("reconciliations"), nights);
  EXPECT_EQ(engine("runs reconcile"), nights);
  EXPECT_EQ(engine("reconciliations finding a gap"), 1);
  EXPECT_EQ(engine("reconcile: orders missing"), gap);
  EXPECT_EQ(engine("reconcile: orders repaired"), gap);
  EXPECT_EQ(engine("reconciliations ok at the end"), nights);
  EXPECT_EQ(engine("dead letters created"), 1);
  EXPECT_EQ(engine("dead letters re-driven"), 1);
  EXPECT_EQ(engine("dead letters still open"), 0);
  EXPECT_TRUE(std::regex_search(
      out, std::regex(R"(dead letter: run \d+ reconcile: step \S+ failed \(\S+\), retried by )"
                      R"(auto_redrive, now completed)")))
      << out;
  EXPECT_TRUE(std::regex_search(
      out,
      std::regex("reconciliation \\d+ \\(\\d{4}-\\d\\d-\\d\\d\\): found warning, " +
                 std::to_string(gap) + " missing, " + std::to_string(gap) + " repaired, now ok")))
      << out;

  // The shop API's users: their events, an order each (confirmed by email) and what
  // GET /recommendations answered: the category their events favour (recommend.lua's
  // weights: view 1, click 2, add_to_cart 4) and every catalogue product of it.
  const nlohmann::json catalogue = nlohmann::json::parse(
      ReadFile(fs::path(STOREFLOW_SOURCE_DIR) / "workflows" / "data" / "catalogue.json"));
  std::map<std::string, std::string> type_of;  // product id -> type
  for (const auto& p : catalogue) type_of[p["id"]] = p["productType"];
  int shop_events = 0;
  std::multiset<std::string> shoppers;
  ASSERT_EQ(script["shop_users"].size(), 3u);
  for (const auto& u : script["shop_users"]) {
    shoppers.insert("<" + u["email"].get<std::string>() + ">");  // the To header
    std::map<std::string, int> weight;                           // category -> weight of its events
    for (const auto& ev : u["events"]) {
      ++shop_events;
      EXPECT_EQ(type_of[ev["productId"]], ev["productType"]);
      const std::string kind = ev["eventType"];
      weight[ev["productType"]] += kind == "click" ? 2 : kind == "add_to_cart" ? 4 : 1;
    }
    std::string top;
    for (const auto& [type, w] : weight) {
      if (top.empty() || w > weight[top]) top = type;
    }
    EXPECT_EQ(top, u["interest"]);
    std::string want = "    " + u["userId"].get<std::string>() + ": " + top;
    std::vector<std::string> ids;
    for (const auto& [id, type] : type_of) {
      if (type == top) ids.push_back(id);
    }
    for (std::size_t i = 0; i < ids.size() && i < 3; ++i) want += (i == 0 ? " -> " : ", ") + ids[i];
    EXPECT_NE(out.find(want + (ids.size() > 3 ? ", ...\n" : "\n")), std::string::npos)
        << want << "\n"
        << out;
  }
  EXPECT_EQ(engine("shop events recorded"), shop_events);
  EXPECT_EQ(engine("runs shop-events"), shop_events);
  EXPECT_EQ(engine("shop orders processed"), 3);
  EXPECT_EQ(engine("recommendations on interest"), 3);
  EXPECT_EQ(engine("emails order-confirmation"), 3);
  EXPECT_EQ(confirmations, shoppers);
}

}  // namespace storeflow::e2e::demo
