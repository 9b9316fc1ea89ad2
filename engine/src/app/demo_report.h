#pragma once

// What `storeflow demo` shows after the day: the summary table (each engine count
// next to what the script implies; a mismatch is a failed check) and the
// self-contained HTML report (inline CSS and SVG, nothing fetched).

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include "app/demo_day.h"
#include "app/demo_day_run.h"
#include "common/status.h"

namespace storeflow::app {

// One line of the summary: expected (from the script) and what the engine reports.
struct SummaryRow {
  std::string what;
  int expected = 0;
  int engine = 0;
  std::string note;  // shown after the figures (e.g. runs by status)
  bool ok() const { return expected == engine; }
};

std::vector<SummaryRow> SummaryRows(const DayScript& script, const DayObserved& seen);

// Prints the table; returns how many rows do not match.
// The expected/engine table (with each row's note when `with_notes`); returns
// the rows that do not match.
int PrintRows(const std::vector<SummaryRow>& rows, bool with_notes, std::ostream& out);
int PrintSummary(const std::vector<SummaryRow>& rows, const DayObserved& seen, std::ostream& out);

// Writes report.html: the summary, the funnel carts -> abandoned -> emailed ->
// recovered, and the emails by the customer's local hour (quiet hours shaded).
Status WriteHtmlReport(const std::filesystem::path& file, const std::string& title,
                       const std::vector<SummaryRow>& rows, const DayObserved& seen);

// One played day of `--days N`: its title, summary rows and what the engine reported.
struct DayReport {
  std::string title;
  std::vector<SummaryRow> rows;
  DayObserved seen;
};
// The rows of several days summed by name (in the first day's order).
std::vector<SummaryRow> SumRows(const std::vector<DayReport>& days);
// Several days in one report: the summed table, then each day's part.
Status WriteHtmlReport(const std::filesystem::path& file, const std::string& title,
                       const std::vector<DayReport>& days, const std::vector<SummaryRow>& totals);

}  // namespace storeflow::app
