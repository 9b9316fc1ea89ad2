// Benchmark (1)/(4) of issue 3: single-step no-op workflow runs started and completed
// per second with 10 worker threads, through the runtime's public API.
//
//   runtime_bench --db URL [--runs N] [--workers W] [--batch B] [--max-batch M]
//                 [--timeout-s S] [--no-group-commit]
//
// --batch and --max-batch are the engine's claim_batch and max_claim_batch (a
// worker's claims start at B runs and double while they come back full, up to M).
//
// --no-group-commit advances the runs of a claim one transaction per step (the
// executor before group commit), for an A/B comparison on the same machine.
//
// Pre-creates N runs (Engine::StartRun, one after another), then starts the engine's
// workers and times until every run has ended (the engine's run counters, polled
// every millisecond), then counts completed and failed runs in the store. Prints
// the submit rate and the completion rate; exits 0 (a figure, not a timed test). Exit 1 only for
// setup errors (bad URL, workflow rejected).

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

#include "common/metrics.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/engine.h"
#include "store/store.h"

namespace {

using namespace storeflow;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kWorkflow = R"(workflow: bench_noop
on:
  - event: bench.noop
steps:
  - id: noop
    uses: log
    with: { message: noop }
)";

double Seconds(SteadyClock::time_point from, SteadyClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// How many runs of the bench workflow created since `since` have status `status`.
std::int64_t CountWithStatus(store::Store& db, store::RunStatus status, runtime::TimeMs since,
                             int limit) {
  auto tx = db.Begin();
  if (!tx.ok()) return -1;
  store::RunFilter filter;
  filter.workflow = "bench_noop";
  filter.status = status;
  filter.created_from = since;
  filter.limit = limit;
  auto runs = (*tx)->ListRuns(filter);
  return runs.ok() ? static_cast<std::int64_t>(runs->size()) : -1;
}

int Usage() {
  std::fprintf(stderr,
               "usage: runtime_bench --db URL [--runs N] [--workers W] [--batch B] "
               "[--max-batch M] [--timeout-s S] [--no-group-commit]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  int runs = 20'000;
  int workers = 10;
  int batch = 16;
  int max_batch = 64;
  int timeout_s = 60;
  bool group_commit = true;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* value = nullptr;
    if (arg == "--db" && (value = next())) {
      url = value;
    } else if (arg == "--runs" && (value = next())) {
      runs = std::atoi(value);
    } else if (arg == "--workers" && (value = next())) {
      workers = std::atoi(value);
    } else if (arg == "--batch" && (value = next())) {
      batch = std::atoi(value);
    } else if (arg == "--max-batch" && (value = next())) {
      max_batch = std::atoi(value);
    } else if (arg == "--timeout-s" && (value = next())) {
      timeout_s = std::atoi(value);
    } else if (arg == "--no-group-commit") {
      group_commit = false;
    } else {
      return Usage();
    }
  }
  if (url.empty() || runs <= 0 || workers <= 0 || batch <= 0 || max_batch < batch ||
      timeout_s <= 0) {
    return Usage();
  }

  store::OpenOptions open_options;
  open_options.pool_size = workers + 4;
  auto opened = store::Store::Open(url, open_options);
  if (!opened.ok()) {
    std::fprintf(stderr, "runtime_bench: %s\n", opened.status().ToString().c_str());
    return 1;
  }
  store::Store& db = **opened;

  runtime::SystemClock clock;
  runtime::ActionRegistry actions;
  if (auto s = runtime::RegisterBuiltinActions(actions); !s.ok()) {
    std::fprintf(stderr, "runtime_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  runtime::EngineOptions options;
  options.workers = workers;
  options.claim_batch = batch;
  options.max_claim_batch = max_batch;
  options.executor.group_commit = group_commit;
  options.script_root = STOREFLOW_SOURCE_DIR;
  options.executor.log = [](std::string_view, std::string_view) {};  // no-op: measure the engine
  runtime::Engine engine(db, clock, actions, options);
  if (auto loaded = engine.LoadWorkflowSource(kWorkflow, "bench_noop.yaml"); !loaded.ok()) {
    std::fprintf(stderr, "runtime_bench: %s\n", loaded.status().ToString().c_str());
    return 1;
  }

  std::printf(
      "runtime_bench: backend %s, %d runs, %d workers, claim batch %d..%d, group commit %s\n",
      std::string(db.backend()).c_str(), runs, workers, batch, max_batch,
      group_commit ? "on" : "off");
  const runtime::TimeMs since = clock.Now() - 1;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(timeout_s);

  // Submit.
  const auto submit_start = SteadyClock::now();
  int submitted = 0;
  int submit_errors = 0;
  const nlohmann::json input = nlohmann::json::object();
  for (int i = 0; i < runs && SteadyClock::now() < deadline; ++i) {
    auto run = engine.StartRun("bench_noop", input);
    if (run.ok()) {
      ++submitted;
    } else if (++submit_errors == 1) {
      std::fprintf(stderr, "runtime_bench: StartRun: %s\n", run.status().ToString().c_str());
    }
  }
  const double submit_s = Seconds(submit_start, SteadyClock::now());
  std::printf("submit:   %d runs in %.3f s = %.0f runs/s (%d errors)\n", submitted, submit_s,
              submit_s > 0 ? submitted / submit_s : 0.0, submit_errors);

  // Run. Completion is watched through the engine's own counters (bumped after
  // each commit), polled every millisecond: a store query per poll would cost
  // more than it measures once the runs table is large. The store is checked
  // once at the end.
  auto& registry = metrics::Registry::Default();
  const metrics::Labels labels = {{"workflow", "bench_noop"}};
  auto ended = [&] {
    return registry.Value("storeflow_runs_completed_total", labels) +
           registry.Value("storeflow_runs_failed_total", labels);
  };
  const double ended_before = ended();
  const auto run_start = SteadyClock::now();
  engine.Start();
  bool done = false;
  auto done_at = run_start;
  while (SteadyClock::now() - run_start < std::chrono::seconds(timeout_s)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (ended() - ended_before >= submitted) {
      done = true;
      done_at = SteadyClock::now();
      break;
    }
  }
  if (!done) done_at = SteadyClock::now();
  engine.Stop(std::chrono::seconds(5));

  const double run_s = Seconds(run_start, done_at);
  const std::int64_t completed =
      CountWithStatus(db, store::RunStatus::kCompleted, since, submitted + 10);
  const std::int64_t failed = CountWithStatus(db, store::RunStatus::kFailed, since, submitted + 10);
  std::printf("complete: %lld of %d runs in %.3f s = %.0f runs/s%s (failed %lld)\n",
              static_cast<long long>(completed), submitted, run_s,
              run_s > 0 ? static_cast<double>(completed) / run_s : 0.0, done ? "" : " [timed out]",
              static_cast<long long>(failed));
  std::printf("end-to-end (submit + complete): %.0f runs/s\n",
              (submit_s + run_s) > 0 ? static_cast<double>(completed) / (submit_s + run_s) : 0.0);
  return 0;
}
