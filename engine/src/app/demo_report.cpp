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
  int emails = 0;
  for (const auto& [name, count] : e.emails_by_template) emails += count;
  rows.push_back({"emails at their scripted time", emails, seen.emails_on_time,
                  "email_timing.lua's schedule"});
  int quiet = 0;
  for (const auto& [hour, count] : seen.emails_by_local_hour) quiet += QuietHour(hour) ? count : 0;
  rows.push_back({"emails in quiet hours", 0, quiet, "21:00-08:00, the customer's local time"});
  return rows;
}

int PrintSummary(const std::vector<SummaryRow>& rows, const DayObserved& seen, std::ostream& out) {
  int mismatches = 0;
  char line[160];
  std::snprintf(line, sizeof(line), "  %-34s %8s %8s\n", "", "expected", "engine");
  out << line;
  for (const SummaryRow& row : rows) {
    std::snprintf(line, sizeof(line), "  %-34s %8d %8d  %s", row.what.c_str(), row.expected,
                  row.engine, row.ok() ? "ok" : "MISMATCH");
    out << line << (row.note.empty() ? "" : "  (" + row.note + ")") << "\n";
    mismatches += row.ok() ? 0 : 1;
  }
  std::snprintf(
      line, sizeof(line),
      "  webhook acknowledgements (the visit's and the day's): %lld, p50 %.1f ms, p99 %.1f ms\n",
      static_cast<long long>(seen.acks), seen.ack_p50_ms, seen.ack_p99_ms);
  out << line;
  out << "  emails by the customer's local hour:";
  for (const auto& [hour, count] : seen.emails_by_local_hour) {
    std::snprintf(line, sizeof(line), " %02dh %d", hour, count);
    out << line;
  }
  out << "\n";
  return mismatches;
}

Status WriteHtmlReport(const std::filesystem::path& file, const std::string& title,
                       const std::vector<SummaryRow>& rows, const DayObserved& seen) {
  std::ostringstream h;
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
                                            "#72b7b2", "#b279a2", "#9d755d", "#bab0ac"};
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
    << "<svg role=\"img\" aria-label=\"runs per day\" width=\"640\" height=\"230\" "
       "viewBox=\"0 0 640 230\">\n";
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
    h << "<rect x=\"" << 40 + (color - 1) % 4 * 145 << "\" y=\"" << (color - 1 < 4 ? 200 : 218)
      << "\" width=\"10\" height=\"10\" fill=\"" << fill << "\"/><text x=\""
      << 54 + (color - 1) % 4 * 145 << "\" y=\"" << (color - 1 < 4 ? 209 : 227) << "\">"
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

  // The summary.
  h << "<h2>Summary: the engine's counts against the script's</h2>\n<table>\n"
    << "<tr><th></th><th>expected</th><th>engine</th><th></th><th></th></tr>\n";
  for (const SummaryRow& row : rows) {
    h << "<tr><td>" << Escape(row.what) << "</td><td class=\"n\">" << row.expected
      << "</td><td class=\"n\">" << row.engine << "</td><td class=\"" << (row.ok() ? "ok" : "bad")
      << "\">" << (row.ok() ? "ok" : "MISMATCH") << "</td><td class=\"note\">" << Escape(row.note)
      << "</td></tr>\n";
  }
  char acks[160];
  std::snprintf(
      acks, sizeof(acks),
      "Webhook acknowledgements (the visit's and the day's): %lld, p50 %.1f ms, p99 %.1f ms.",
      static_cast<long long>(seen.acks), seen.ack_p50_ms, seen.ack_p99_ms);
  h << "</table>\n<p class=\"note\">" << acks << "</p>\n</body></html>\n";

  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << h.str();
  out.close();
  if (!out) return Unavailable("cannot write " + file.string());
  return Status::Ok();
}

}  // namespace storeflow::app
