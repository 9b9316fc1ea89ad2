// Benchmark (2) of issue 3: schedule-to-start latency under an offered load. Runs of a
// single-step workflow are started at a steady rate (default 500/s for 10 s) while the
// engine's workers run; the latency of a run is the time from its creation (due at
// once) to the start of its first step, both on the engine clock (milliseconds).
//
//   schedule_latency_bench --db URL [--rate R] [--seconds S] [--workers W]
//
// Prints p50/p90/p99/max and the rate actually offered; exits 0 (a figure, not a
// timed test). Exit 1 only for setup errors.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/engine.h"
#include "store/store.h"

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr const char* kWorkflow = R"(workflow: bench_latency
on:
  - event: bench.latency
steps:
  - id: noop
    uses: log
    with: { message: noop }
)";

double Percentile(std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(index, sorted.size() - 1)]);
}

int Usage() {
  std::fprintf(stderr,
               "usage: schedule_latency_bench --db URL [--rate R] [--seconds S] [--workers W]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace store = storeflow::store;
  namespace runtime = storeflow::runtime;
  std::string url;
  int rate = 500;
  int seconds = 10;
  int workers = 10;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    if (value == nullptr) return Usage();
    ++i;
    if (arg == "--db") {
      url = value;
    } else if (arg == "--rate") {
      rate = std::atoi(value);
    } else if (arg == "--seconds") {
      seconds = std::atoi(value);
    } else if (arg == "--workers") {
      workers = std::atoi(value);
    } else {
      return Usage();
    }
  }
  if (url.empty() || rate <= 0 || seconds <= 0 || workers <= 0) return Usage();

  store::OpenOptions open_options;
  open_options.pool_size = workers + 4;
  auto opened = store::Store::Open(url, open_options);
  if (!opened.ok()) {
    std::fprintf(stderr, "schedule_latency_bench: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  store::Store& db = **opened;
  runtime::SystemClock clock;
  runtime::ActionRegistry actions;
  if (auto s = runtime::RegisterBuiltinActions(actions); !s.ok()) return 1;
  runtime::EngineOptions options;
  options.workers = workers;
  options.script_root = STOREFLOW_SOURCE_DIR;
  options.executor.log = [](std::string_view, std::string_view) {};
  runtime::Engine engine(db, clock, actions, options);
  if (auto loaded = engine.LoadWorkflowSource(kWorkflow, "bench_latency.yaml"); !loaded.ok()) {
    std::fprintf(stderr, "schedule_latency_bench: %s\n", loaded.status().ToString().c_str());
    return 1;
  }
  std::printf("schedule_latency_bench: backend %s, %d runs/s offered for %d s, %d workers\n",
              std::string(db.backend()).c_str(), rate, seconds, workers);
  engine.Start();

  // Offer runs at a steady pace (absolute schedule, so a slow submit does not lower
  // the rate for the rest).
  std::vector<std::int64_t> ids;
  ids.reserve(static_cast<std::size_t>(rate) * seconds);
  const auto start = SteadyClock::now();
  const auto interval = std::chrono::nanoseconds(1'000'000'000LL / rate);
  int errors = 0;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(rate) * seconds; ++i) {
    std::this_thread::sleep_until(start + interval * i);
    auto run = engine.StartRun("bench_latency", nlohmann::json::object());
    if (run.ok()) {
      ids.push_back(run->id);
    } else if (++errors == 1) {
      std::fprintf(stderr, "schedule_latency_bench: StartRun: %s\n",
                   run.status().ToString().c_str());
    }
  }
  const double offered_s = std::chrono::duration<double>(SteadyClock::now() - start).count();

  // Wait for the last runs (bounded), then stop the workers.
  const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
  while (SteadyClock::now() < deadline) {
    auto tx = db.Begin();
    if (!tx.ok()) break;
    auto last = (*tx)->GetRun(ids.empty() ? 0 : ids.back());
    if (!last.ok() || !last->has_value() || store::IsTerminal((*last)->status)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  engine.Stop(std::chrono::seconds(5));

  std::vector<std::int64_t> latencies;
  int not_started = 0;
  for (std::int64_t id : ids) {
    auto tx = db.Begin();
    if (!tx.ok()) return 1;
    auto run = (*tx)->GetRun(id);
    auto steps = (*tx)->ListSteps(id);
    if (!run.ok() || !run->has_value() || !steps.ok() || steps->empty()) {
      ++not_started;
      continue;
    }
    latencies.push_back(steps->front().started_at - (*run)->created_at);
  }
  std::sort(latencies.begin(), latencies.end());
  std::printf("offered:  %zu runs in %.2f s = %.0f runs/s (%d submit errors)\n", ids.size(),
              offered_s, offered_s > 0 ? ids.size() / offered_s : 0.0, errors);
  std::printf(
      "schedule-to-start latency (ms): p50 %.0f  p90 %.0f  p99 %.0f  max %.0f  "
      "(%zu measured, %d not started)\n",
      Percentile(latencies, 0.50), Percentile(latencies, 0.90), Percentile(latencies, 0.99),
      latencies.empty() ? 0.0 : double(latencies.back()), latencies.size(), not_started);
  return 0;
}
