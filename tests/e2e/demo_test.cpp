// `storeflow demo`, the README's main job, as a user runs it: exit 0 and every
// check passed, with the email and the invoice left in its folder; --metrics-out
// writes the live /metrics, where plugin counters end in _total and have a # HELP.
// Then the commerce day (a small one, --carts 12): every summary row matches, the
// counts add up with the files the day left (the outbox) and agree with what its
// script implies (demo_checks.h), the same seed gives the same summary twice, and
// report.html is self-contained. demo_postgres_test.cpp plays it on PostgreSQL.

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <string>

#include "demo_checks.h"
#include "outbox.h"
#include "serve_process.h"

namespace storeflow::e2e {

using test_support::ReadFile;
namespace {

namespace fs = std::filesystem;
using demo::ExpectTheDayItsScriptImplies;
using demo::FreshDir;
using demo::RunDemo;
using demo::SummaryRows;

TEST(DemoTest, PlaysTheShopVisitAndEveryCheckHolds) {
  const fs::path dir = FreshDir("demo-test");
  const auto [status, out] =
      RunDemo(dir, "--carts 0 --metrics-out " + (dir / "metrics.txt").string());  // no day
  EXPECT_EQ(status, 0) << out << ReadFile(dir / "engine.log");
  EXPECT_NE(out.find("demo ok: "), std::string::npos) << out;
  EXPECT_EQ(out.find("CHECK FAILED"), std::string::npos) << out;
  EXPECT_EQ(test_support::OutboxEmails(dir / "outbox").size(), 1u);
  EXPECT_TRUE(fs::exists(dir / "storage" / "invoices")) << out;
  // The excerpt printed and the file: the email plugin's counter, Prometheus-style.
  EXPECT_NE(out.find("storeflow_plugin_email_messages_sent_total{transport=\"outbox\"} 1"),
            std::string::npos)
      << out;
  const std::string metrics = ReadFile(dir / "metrics.txt");
  EXPECT_NE(metrics.find("# HELP storeflow_plugin_email_messages_sent_total "), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("# TYPE storeflow_plugin_storage_objects_written_total counter"),
            std::string::npos)
      << metrics;
  EXPECT_EQ(metrics.find("storeflow_plugin_email_messages_sent{"), std::string::npos) << metrics;
  std::error_code ignored;
  if (!HasFailure()) fs::remove_all(dir, ignored);
}

TEST(DemoTest, ACommerceDayMatchesItsScriptAndWritesASelfContainedReport) {
  const fs::path dir = FreshDir("demo-day-test");
  const auto run = RunDemo(dir / "a", "--carts 12 --seed 5");
  const int status = run.first;
  const std::string& out = run.second;
  ASSERT_EQ(status, 0) << out << ReadFile(dir / "a" / "day" / "engine.log").substr(0, 20000);
  EXPECT_NE(out.find("demo ok: "), std::string::npos) << out;
  EXPECT_EQ(out.find("MISMATCH"), std::string::npos) << out;
  const auto rows = SummaryRows(out);
  ASSERT_GE(rows.size(), 15u) << out;
  for (const auto& [what, figures] : rows) EXPECT_EQ(figures.first, figures.second) << what;

  std::map<std::string, int> fates;
  ExpectTheDayItsScriptImplies(dir / "a" / "day", out, 12, &fates);
  EXPECT_GE(fates.size(), 3u) << "seed 5 should mix the fates";

  // The same seed, the same day; with --days 2 the next day has the next seed, and the
  // last table sums the two.
  const auto [again_status, again] = RunDemo(dir / "b", "--carts 12 --seed 5 --days 2");
  EXPECT_EQ(again_status, 0) << again;
  EXPECT_EQ(SummaryRows(again, "Summary of the day 1 "), rows) << again;
  const auto second = SummaryRows(again, "Summary of the day 2 ");
  const auto summed = SummaryRows(again, "Summary of the 2 days");
  EXPECT_NE(again.find("(seed 6, 12 carts; files in " + (dir / "b" / "day-2").string()),
            std::string::npos)
      << again;
  EXPECT_GE(second.size(), 15u) << again;
  for (const auto& [what, figures] : second) {
    EXPECT_EQ(figures.first, figures.second) << what;
    const auto first = rows.count(what) ? rows.at(what) : std::pair<int, int>{0, 0};
    EXPECT_EQ(summed.count(what) ? summed.at(what).second : -1, first.second + figures.second)
        << what;
  }
  EXPECT_NE(ReadFile(dir / "b" / "report.html").find("Day 2: a commerce day (seed 6"),
            std::string::npos);

  // The report: there, with its charts inline, and nothing to fetch.
  const std::string html = ReadFile(dir / "a" / "report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("recovered"), std::string::npos);
  EXPECT_NE(html.find("Nightly reconciliation"), std::string::npos);
  EXPECT_NE(html.find("Top recommendations"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)\s*=)", std::regex::icase)));

  // It opens in headless Chromium (Debian's `chromium`) with nothing fetched and no
  // console error; the screenshot is kept in the build folder (test-artefacts/).
  // Chromium is a test peer (tools/install-deps.sh --test installs it): missing, the
  // check fails, unless STOREFLOW_TEST_PEERS=off leaves it out on purpose.
  const char* peers = std::getenv("STOREFLOW_TEST_PEERS");
  if (peers != nullptr && std::string(peers) == "off") {
    std::printf("[demo report] STOREFLOW_TEST_PEERS=off: the browser check is left out\n");
  } else if (std::system("command -v chromium >/dev/null 2>&1") != 0) {
    ADD_FAILURE() << "chromium is not installed, so the report cannot be opened in a browser "
                     "(tools/install-deps.sh --test installs Debian's chromium; "
                     "STOREFLOW_TEST_PEERS=off leaves the browser check out)";
  } else {
    const fs::path artefacts =
        fs::path(STOREFLOW_BINARY).parent_path().parent_path() / "test-artefacts";
    fs::create_directories(artefacts);
    const fs::path png = artefacts / "demo-report.png";
    fs::remove(png);
    const std::string browse =
        "timeout 90 chromium --headless --no-sandbox --disable-gpu --no-first-run "
        "--enable-logging=stderr --v=0 --window-size=1000,1900 "
        // Loopback only: no background traffic, and any fetch goes to a closed local port.
        "--disable-background-networking --disable-component-update --disable-sync "
        "--no-default-browser-check --proxy-server=127.0.0.1:9 "
        "--host-resolver-rules='MAP * ~NOTFOUND' --screenshot=" +
        png.string() + " file://" + (dir / "a" / "report.html").string() + " >" +
        (dir / "chromium.log").string() + " 2>&1";
    const int browsed = std::system(browse.c_str());
    const std::string log = ReadFile(dir / "chromium.log");
    EXPECT_TRUE(WIFEXITED(browsed) && WEXITSTATUS(browsed) == 0) << log;
    EXPECT_TRUE(fs::exists(png) && fs::file_size(png) > 10000) << log;
    EXPECT_EQ(log.find("CONSOLE"), std::string::npos) << log;
    EXPECT_EQ(log.find("net::ERR"), std::string::npos) << log;
    EXPECT_EQ(log.find("Uncaught"), std::string::npos) << log;
    std::printf("[demo report] screenshot: %s\n", png.c_str());
  }
  std::error_code ignored;
  if (!HasFailure()) fs::remove_all(dir, ignored);
}

}  // namespace
}  // namespace storeflow::e2e
