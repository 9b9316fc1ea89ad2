#include "app/demo_report.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <sstream>

#include "common/timezone.h"

namespace storeflow::app {
namespace {

int Get(const std::map<std::string, int>& counts, const std::string& key) {
  const auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

bool QuietHour(int hour) {
  return hour >= 21 || hour < 8;  // scripts/email_timing.lua
}

}  // namespace

std::vector<SummaryRow> SummaryRows(const DayScript& script, const DayObserved& seen) {
  const DayExpectation& e = script.expected();
  std::vector<SummaryRow> rows;
  rows.push_back({"webhooks received", e.webhooks_received, seen.webhooks_received, ""});
  rows.push_back({"webhooks accepted",
                  e.webhooks_received - e.webhooks_duplicate - e.webhooks_rejected,
                  seen.webhooks_received - seen.webhooks_duplicate - seen.webhooks_rejected,
                  "stored once each"});
  rows.push_back({"duplicates dropped", e.webhooks_duplicate, seen.webhooks_duplicate, ""});
  rows.push_back(
      {"webhooks rejected", e.webhooks_rejected, seen.webhooks_rejected, "bad signature"});
  std::map<std::string, int> engine_runs = seen.runs_by_workflow();
  std::map<std::string, int> workflows = e.runs_by_workflow;
  for (const auto& [workflow, count] : engine_runs) workflows.emplace(workflow, 0);
  int failed = 0;
  for (const auto& [workflow, expected] : workflows) {
    std::string note;
    if (auto it = seen.runs.find(workflow); it != seen.runs.end()) {
      for (const auto& [status, count] : it->second) {
        note += (note.empty() ? "" : ", ") + status + " " + std::to_string(count);
        if (status == "failed") failed += count;
      }
    }
    rows.push_back(
        {"runs " + workflow, Get(e.runs_by_workflow, workflow), Get(engine_runs, workflow), note});
  }
  rows.push_back({"runs failed", 0, failed, ""});
  for (const char* status : {"converted", "recovered", "abandoned"}) {
    rows.push_back({std::string("carts ") + status, Get(e.carts_by_status, status),
                    Get(seen.carts_by_status, status), ""});
  }
  rows.push_back({"carts emailed", e.carts_emailed, seen.carts_emailed, "at least one email"});
  std::map<std::string, int> templates = e.emails_by_template;
  for (const auto& [name, count] : seen.emails_by_template) templates.emplace(name, 0);
  for (const auto& [name, count] : templates) {
    rows.push_back({"emails " + name, Get(e.emails_by_template, name),
                    Get(seen.emails_by_template, name), ""});
  }
  rows.push_back({"email sends failed", e.email_send_failures, seen.email_send_failures,
                  "the hour the transport is down; each tried again"});
  int emails = 0;  // the recovery emails (an order confirmation has no scripted time)
  for (const DayCart& c : script.carts()) emails += static_cast<int>(c.emails.size());
  rows.push_back({"emails at their scripted time", emails, seen.emails_on_time,
                  "email_timing.lua's schedule"});
  int quiet = 0;
  for (const auto& [hour, count] : seen.emails_by_local_hour) quiet += QuietHour(hour) ? count : 0;
  rows.push_back({"emails in quiet hours", 0, quiet, "21:00-08:00, the customer's local time"});
  rows.push_back({"webhooks dropped", e.webhooks_dropped, seen.webhooks_dropped,
                  "orders made in Shopify whose webhook is lost: the gap"});
  rows.push_back({"orders synced", e.shopify_orders, seen.shopify_orders,
                  "shopify_orders records at the end (webhooks + repair)"});
  rows.push_back({"reconciliations", e.reconciliations, seen.reconciliations,
                  "nightly at 04:00 UTC on the engine's clock"});
  rows.push_back({"reconciliations finding a gap", e.reconciliations_gap, seen.reconciliations_gap,
                  "the first night's"});
  rows.push_back({"reconcile: orders missing", e.reconcile_missing, seen.reconcile_missing, ""});
  rows.push_back({"reconcile: orders repaired", e.reconcile_repaired, seen.reconcile_repaired, ""});
  rows.push_back({"reconciliations ok at the end", e.reconciliations_ok, seen.reconciliations_ok,
                  "status after the repair"});
  rows.push_back({"dead letters created", e.dead_letters, seen.dead_letters,
                  "the reconciliation that met Shopify's 503s"});
  rows.push_back({"dead letters re-driven", e.dead_letters_redriven, seen.dead_letters_redriven,
                  "by the auto-redrive, once Shopify answered"});
  rows.push_back({"dead letters still open", e.dead_letters_open, seen.dead_letters_open, ""});
  if (!script.shop_users().empty()) {
    rows.push_back({"shop events recorded", e.shop_events, seen.shop_events,
                    "POST /events: views, clicks, add_to_cart"});
    rows.push_back({"shop orders processed", e.shop_orders, seen.shop_orders,
                    "POST /orders: paid, confirmed by email, invoiced"});
    rows.push_back({"recommendations on interest", e.recommendations, seen.recommendations_ok,
                    "GET /recommendations: the user's category, all its products"});
  }
  return rows;
}

int PrintRows(const std::vector<SummaryRow>& rows, bool with_notes, std::ostream& out) {
  int mismatches = 0;
  char line[160];
  std::snprintf(line, sizeof(line), "  %-34s %8s %8s\n", "", "expected", "engine");
  out << line;
  for (const SummaryRow& row : rows) {
    std::snprintf(line, sizeof(line), "  %-34s %8d %8d  %s", row.what.c_str(), row.expected,
                  row.engine, row.ok() ? "ok" : "MISMATCH");
    out << line << (with_notes && !row.note.empty() ? "  (" + row.note + ")" : "") << "\n";
    mismatches += row.ok() ? 0 : 1;
  }
  return mismatches;
}

int PrintSummary(const std::vector<SummaryRow>& rows, const DayObserved& seen, std::ostream& out) {
  const int mismatches = PrintRows(rows, /*with_notes=*/true, out);
  char line[160];
  std::snprintf(
      line, sizeof(line),
      "  webhook acknowledgements (the visit's and the day's): %lld, p50 %.1f ms, p99 %.1f ms\n",
      static_cast<long long>(seen.acks), seen.ack_p50_ms, seen.ack_p99_ms);
  out << line;
  for (const auto& rec : seen.reconciliation_list) {
    if (rec.found == "ok" && rec.status == "ok") continue;
    const CivilTime c = TimeZone::Utc()->ToCivil(rec.created / 1000);
    std::snprintf(line, sizeof(line),
                  "  reconciliation %lld (%04d-%02d-%02d): found %s, %d missing, %d repaired, "
                  "now %s\n",
                  static_cast<long long>(rec.id), c.year, c.month, c.day, rec.found.c_str(),
                  rec.missing, rec.repaired, rec.status.c_str());
    out << line;
  }
  for (const std::string& note : seen.dead_letter_notes) out << "  dead letter: " << note << "\n";
  if (!seen.recommendations.empty()) out << "  top recommendations (GET /recommendations):\n";
  for (const auto& [user, rec] : seen.recommendations) {
    out << "    " << user << ": " << (rec.category.empty() ? "(none)" : rec.category);
    for (std::size_t i = 0; i < rec.products.size() && i < 3; ++i) {
      out << (i == 0 ? " -> " : ", ") << rec.products[i];
    }
    out << (rec.products.size() > 3 ? ", ..." : "") << "\n";
  }
  out << "  emails by the customer's local hour:";
  for (const auto& [hour, count] : seen.emails_by_local_hour) {
    std::snprintf(line, sizeof(line), " %02dh %d", hour, count);
    out << line;
  }
  out << "\n";
  return mismatches;
}

namespace {

void HtmlHead(std::ostringstream& h, const std::string& title) {
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" << Escape(title)
    << "</title>\n<style>\n"
    << "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222}\n"
    << "h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\n"
    << "table{border-collapse:collapse;width:100%}td,th{padding:.25rem .6rem;"
       "border-bottom:1px solid #ddd;text-align:left}td.n{text-align:right;"
       "font-variant-numeric:tabular-nums}\n"
    << ".ok{color:#1a7f37}.bad{color:#cf222e;font-weight:bold}.note{color:#666}\n"
    << "svg text{font-size:12px;fill:#222}\n</style></head><body>\n"
    << "<h1>" << Escape(title) << "</h1>\n";
}

void HtmlRows(std::ostringstream& h, const std::vector<SummaryRow>& rows) {
  h << "<table>\n<tr><th></th><th>expected</th><th>engine</th><th></th><th></th></tr>\n";
  for (const SummaryRow& row : rows) {
    h << "<tr><td>" << Escape(row.what) << "</td><td class=\"n\">" << row.expected
      << "</td><td class=\"n\">" << row.engine << "</td><td class=\"" << (row.ok() ? "ok" : "bad")
      << "\">" << (row.ok() ? "ok" : "MISMATCH") << "</td><td class=\"note\">" << Escape(row.note)
      << "</td></tr>\n";
  }
  h << "</table>\n";
}

// One day's charts, tables and summary.
void HtmlDay(std::ostringstream& h, const std::vector<SummaryRow>& rows, const DayObserved& seen) {
  // The funnel.
  const int carts = Get(seen.carts_by_status, "converted") +
                    Get(seen.carts_by_status, "recovered") + Get(seen.carts_by_status, "abandoned");
  const int abandoned =
      Get(seen.carts_by_status, "recovered") + Get(seen.carts_by_status, "abandoned");
  const std::vector<std::pair<std::string, int>> funnel = {
      {"carts", carts},
      {"abandoned", abandoned},
      {"emailed", seen.carts_emailed},
      {"recovered", Get(seen.carts_by_status, "recovered")}};
  h << "<h2>Funnel</h2>\n<svg role=\"img\" aria-label=\"funnel\" width=\"640\" height=\""
    << funnel.size() * 34 + 10 << "\" viewBox=\"0 0 640 " << funnel.size() * 34 + 10 << "\">\n";
  for (std::size_t i = 0; i < funnel.size(); ++i) {
    const int width = carts > 0 ? 460 * funnel[i].second / carts : 0;
    const std::size_t y = 5 + i * 34;
    h << "<text x=\"0\" y=\"" << y + 19 << "\">" << funnel[i].first << "</text>"
      << "<rect x=\"100\" y=\"" << y << "\" width=\"" << std::max(width, 1)
      << "\" height=\"26\" fill=\"#4c78a8\"/>"
      << "<text x=\"" << 106 + width << "\" y=\"" << y + 19 << "\">" << funnel[i].second
      << "</text>\n";
  }
  h << "</svg>\n";

  // Emails by local hour.
  int most = 1;
  for (const auto& [hour, count] : seen.emails_by_local_hour) most = std::max(most, count);
  h << "<h2>Recovery emails by the customer's local hour</h2>\n"
    << "<p class=\"note\">Shaded: quiet hours (21:00&ndash;08:00 local), when "
       "<code>scripts/email_timing.lua</code> sends nothing.</p>\n"
    << "<svg role=\"img\" aria-label=\"emails by local hour\" width=\"640\" height=\"200\" "
       "viewBox=\"0 0 640 200\">\n";
  for (int hour = 0; hour < 24; ++hour) {
    const int x = 20 + hour * 25;
    if (QuietHour(hour)) {
      h << "<rect x=\"" << x << "\" y=\"10\" width=\"25\" height=\"160\" fill=\"#eee\"/>";
    }
    const auto it = seen.emails_by_local_hour.find(hour);
    const int count = it == seen.emails_by_local_hour.end() ? 0 : it->second;
    const int height = 150 * count / most;
    if (count > 0) {
      h << "<rect x=\"" << x + 3 << "\" y=\"" << 170 - height << "\" width=\"19\" height=\""
        << height << "\" fill=\"#f58518\"/><text x=\"" << x + 6 << "\" y=\"" << 165 - height
        << "\">" << count << "</text>";
    }
    if (hour % 3 == 0) h << "<text x=\"" << x << "\" y=\"188\">" << hour << "h</text>";
    h << "\n";
  }
  h << "</svg>\n";

  // Runs started per virtual day, stacked by workflow.
  static constexpr const char* kColors[] = {"#4c78a8", "#f58518", "#54a24b", "#e45756",
                                            "#72b7b2", "#b279a2", "#9d755d", "#bab0ac",
                                            "#eeca3b", "#ff9da6", "#17becf", "#8c564b"};
  int last_day = 0, tallest = 1;
  std::map<int, int> per_day;
  for (const auto& [workflow, days] : seen.runs_by_day) {
    for (const auto& [day, count] : days) {
      last_day = std::max(last_day, day);
      tallest = std::max(tallest, per_day[day] += count);
    }
  }
  const int slot = std::max(18, std::min(60, 560 / (last_day + 1)));
  h << "<h2>Runs started per day of virtual time, by workflow</h2>\n"
    << "<svg role=\"img\" aria-label=\"runs per day\" width=\"640\" height=\""
    << 212 + 18 * ((seen.runs_by_day.size() + 3) / 4) << "\" viewBox=\"0 0 640 "
    << 212 + 18 * ((seen.runs_by_day.size() + 3) / 4) << "\">\n";
  std::map<int, int> stacked;
  std::size_t color = 0;
  for (const auto& [workflow, days] : seen.runs_by_day) {
    const char* fill = kColors[color++ % std::size(kColors)];
    for (const auto& [day, count] : days) {
      const int height = 150 * count / tallest;
      const int y = 170 - stacked[day] - height;
      stacked[day] += height;
      h << "<rect x=\"" << 40 + day * slot << "\" y=\"" << y << "\" width=\"" << slot - 4
        << "\" height=\"" << height << "\" fill=\"" << fill << "\"><title>" << Escape(workflow)
        << ", day " << day + 1 << ": " << count << "</title></rect>";
    }
    h << "<rect x=\"" << 40 + (color - 1) % 4 * 145 << "\" y=\"" << 200 + (color - 1) / 4 * 18
      << "\" width=\"10\" height=\"10\" fill=\"" << fill << "\"/><text x=\""
      << 54 + (color - 1) % 4 * 145 << "\" y=\"" << 209 + (color - 1) / 4 * 18 << "\">"
      << Escape(workflow) << "</text>\n";
  }
  for (int day = 0; day <= last_day; ++day) {
    const CivilTime date = TimeZone::Utc()->ToCivil((seen.day0 + day * DayScript::kDay) / 1000);
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (slot >= 40 || day % 2 == 0) {
      h << "<text x=\"" << 40 + day * slot << "\" y=\"186\">" << kMonths[date.month - 1] << " "
        << date.day << "</text>";
    }
    if (per_day[day] > 0) {
      h << "<text x=\"" << 40 + day * slot << "\" y=\"" << 166 - stacked[day] << "\">"
        << per_day[day] << "</text>";
    }
  }
  h << "\n</svg>\n";

  // The nightly reconciliation and the dead letters.
  h << "<h2>Nightly reconciliation (orders) and dead letters</h2>\n"
    << "<p class=\"note\">A few orders were made in Shopify with their webhook lost. Shopify's "
       "Admin API answered 503 to the first night's run, which became a dead letter; the "
       "auto-redrive retried it and it found and repaired the gap.</p>\n<table>\n"
    << "<tr><th>run</th><th>date (UTC)</th><th>found</th><th>missing</th><th>repaired</th>"
       "<th>status</th></tr>\n";
  for (const auto& rec : seen.reconciliation_list) {
    const CivilTime c = TimeZone::Utc()->ToCivil(rec.created / 1000);
    char date[32];
    std::snprintf(date, sizeof(date), "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour,
                  c.minute);
    h << "<tr><td>" << rec.id << "</td><td>" << date << "</td><td>" << Escape(rec.found)
      << "</td><td class=\"n\">" << rec.missing << "</td><td class=\"n\">" << rec.repaired
      << "</td><td class=\"" << (rec.status == "ok" ? "ok" : "bad") << "\">" << Escape(rec.status)
      << "</td></tr>\n";
  }
  h << "</table>\n<ul>\n";
  for (const std::string& note : seen.dead_letter_notes) {
    h << "<li>dead letter: " << Escape(note) << "</li>\n";
  }
  h << "</ul>\n";

  if (!seen.recommendations.empty()) {
    h << "<h2>Top recommendations for three shoppers</h2>\n<p class=\"note\">"
         "<code>GET /recommendations</code> at the end of the first day: the category "
         "<code>scripts/recommend.lua</code> ranks first from the shopper's clicks, views and "
         "add_to_cart, and its products.</p>\n<table>\n<tr><th>user</th><th>category</th>"
         "<th>products</th></tr>\n";
    for (const auto& [user, rec] : seen.recommendations) {
      std::string products;
      for (const std::string& id : rec.products) products += (products.empty() ? "" : ", ") + id;
      h << "<tr><td>" << Escape(user) << "</td><td>" << Escape(rec.category) << "</td><td>"
        << Escape(products) << "</td></tr>\n";
    }
    h << "</table>\n";
  }

  // The summary.
  h << "<h2>Summary: the engine's counts against the script's</h2>\n";
  HtmlRows(h, rows);
  char acks[160];
  std::snprintf(
      acks, sizeof(acks),
      "Webhook acknowledgements (the visit's and the day's): %lld, p50 %.1f ms, p99 %.1f ms.",
      static_cast<long long>(seen.acks), seen.ack_p50_ms, seen.ack_p99_ms);
  h << "<p class=\"note\">" << acks << "</p>\n";
}

}  // namespace

Status WriteHtmlReport(const std::filesystem::path& file, const std::string& title,
                       const std::vector<SummaryRow>& rows, const DayObserved& seen) {
  return WriteHtmlReport(file, title, {DayReport{"", rows, seen}}, {});
}

Status WriteHtmlReport(const std::filesystem::path& file, const std::string& title,
                       const std::vector<DayReport>& days, const std::vector<SummaryRow>& totals) {
  std::ostringstream h;
  HtmlHead(h, title);
  if (days.size() > 1) {
    h << "<h2>All " << days.size() << " days: the counts summed</h2>\n";
    HtmlRows(h, totals);
  }
  for (const DayReport& day : days) {
    if (days.size() > 1) h << "<h1>" << Escape(day.title) << "</h1>\n";
    HtmlDay(h, day.rows, day.seen);
  }
  h << "</body></html>\n";
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << h.str();
  out.close();
  if (!out) return Unavailable("cannot write " + file.string());
  return Status::Ok();
}

std::vector<SummaryRow> SumRows(const std::vector<DayReport>& days) {
  std::vector<SummaryRow> totals;
  std::map<std::string, std::size_t> at;
  for (const DayReport& day : days) {
    for (const SummaryRow& row : day.rows) {
      auto [it, added] = at.emplace(row.what, totals.size());
      if (added) {
        totals.push_back({row.what, 0, 0, ""});
      }
      totals[it->second].expected += row.expected;
      totals[it->second].engine += row.engine;
    }
  }
  return totals;
}

}  // namespace storeflow::app
