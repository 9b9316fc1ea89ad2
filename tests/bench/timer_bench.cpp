// Benchmark (3) of issue 3: "1,000,000 pending `sleep` timers: fire lateness p99 <= 1 s
// at 5,000 fires/s, and the engine's RSS does not grow with the number pending".
//
//   timer_bench --db URL [--pending N] [--rate R] [--seconds S] [--workers W] [--batch B]
//               [--tx-size T] [--lead-s L] [--drain-s D] [--populate-timeout-s P]
//               [--sample K] [--compare] [--small-pending M] [--small-db URL]
//
// One pass (the default):
//  1. Opens the store and an engine (runtime::Engine, real clock) with the workflow
//     `bench_timer`: a `sleep: { until: ${{ event.wake_at }} }` step `nap`, then a no-op
//     `log` step `done` whose message is the run id (to the bench's in-memory logger). Reads VmRSS
//     (/proc/self/status): "before populating".
//  2. Reference check: starts ONE run through the engine (StartRun + RunDueOnce) and
//     compares the run row and step rows the executor left for it asleep with what this
//     bench writes for a sleeping run (status, cursor state.frames, due_at, lease, the
//     `nap` row: running, seq 1, attempt 1, input {wake_at}). A mismatch is a setup
//     error (exit 1). The reference run is then cancelled.
//  3. Populates N sleeping runs (default 1,000,000) in that exact state with the store's
//     Transaction API, T runs (default 10,000) per transaction: first the N - F that stay
//     pending (due 30 days ahead), then the F = R * S window runs (default 5,000/s for
//     20 s = 100,000), due at R per second starting L seconds (default 5) after the
//     population is expected to be written (twice the time the first part's rate
//     predicts; if it still ends late, a warning says so: rerun, as the first fires'
//     lateness then includes the bench's own delay). Prints the populate rate (runs/s; each run
//     is one runs row and one steps row) and VmRSS "after populating".
//  4. Starts the engine's W workers (default 10, claim batch B, default 16) and waits
//     until every window run completed or D seconds (default 60) after the last due time
//     (progress every 5 s, from the run ids the `done` step logs: no polling of the
//     store during the measurement; once every window run has logged, the bench waits
//     for no run to be ready or running, i.e. the last completions committed), then
//     stops the engine.
//  5. Reads back the window runs: lateness = run finished_at - due_at (engine clock, ms)
//     for every run, and for K sampled runs (default 1,000) also the sleep-step resume
//     lateness = `nap` finished_at - due_at, while checking each sampled run completed,
//     has exactly the two step rows, `nap` completed once with the populated started_at
//     and wake_at (so the populated row was resumed, not replaced), `done` completed.
//     Runs not completed at the end count with lateness = end - due_at (a lower bound:
//     the percentiles are then marked as such). Prints p50/p90/p99/max, the achieved
//     fires/s (completions inside the offered window, and overall), and that the N - F
//     far-future runs are still pending.
//
// RSS is this process's (the engine runs in it): VmRSS before populating, after
// populating, with the engine started and idle just before the first due time, and after
// the window (engine still running, the far-future runs still pending); and VmHWM.
//
// --compare runs two passes, each in a fresh child process (so RSS is not shared):
// first a small one with only M (default 10,000) runs pending beyond the same window
// (N = F + M), then the large one (N as given). On SQLite the small pass uses its own
// file (PATH-small, deleted before and after); on PostgreSQL give --small-db (another
// empty database), else the small pass runs on the same database first (the large pass
// then also sees the M runs still pending from it, and any window run it left unfired
// is overdue and fires first). It ends with a table of both passes' RSS: if RSS does
// not grow with the number pending, the columns are about equal for both.
//
// When R is above what the engine sustains, a backlog builds and lateness grows through
// the window (the figures say so); a lower --rate shows lateness at a sustainable load.
// Runs of an earlier pass on the same database are fine: the far-future ones add to the
// pending count (reported), ready ones are taken up at engine start and not measured.
//
// Bounded: populating stops after P seconds (default 1,800; the runs written by then
// stay), the window waits at most D seconds after its last due time, engine shutdown
// waits at most 10 s, and in --compare the parent kills a child that overruns those
// bounds. Exits 0 with the figures (also when the engine missed the target or timed
// out); 1 only for setup errors (bad flags or URL, a store error while populating, the
// reference check, or a sampled run in a wrong state); 2 for usage. The runs written
// stay in the database: use a throwaway one, e.g.
//
//   tools/postgres-throwaway.sh start /tmp/pg-timer     # prints URL
//   build/release/bench/timer_bench --db URL             # 1M pending, 5,000 fires/s
//   psql ... -c 'CREATE DATABASE storeflow_small'         # then, on a fresh URL:
//   build/release/bench/timer_bench --db URL --small-db URL_small --compare --rate 500
//   build/release/bench/timer_bench --db sqlite:/tmp/timer.db --compare --rate 100
//   tools/postgres-throwaway.sh stop /tmp/pg-timer

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/engine.h"
#include "runtime/run_cursor.h"
#include "store/store.h"

namespace {

using namespace storeflow;
using SteadyClock = std::chrono::steady_clock;
using store::TimeMs;
using Json = nlohmann::json;

constexpr const char* kWorkflowName = "bench_timer";
constexpr const char* kWorkflow = R"(workflow: bench_timer
on:
  - event: bench.timer
steps:
  - id: nap
    sleep: { until: "${{ event.wake_at }}" }
  - id: done
    uses: log
    with: { message: "${{ run.id }}" }
)";
constexpr const char* kSleepStep = "nap";
constexpr const char* kLogStep = "done";
constexpr const char* kResultTag = "timer_bench-result";
constexpr TimeMs kFarAhead = 30LL * 24 * 3600 * 1000;  // pending runs: due 30 days ahead

struct Options {
  std::string url;
  std::int64_t pending = 1'000'000;
  int rate = 5'000;
  int seconds = 20;
  int workers = 10;
  int batch = 16;
  int tx_size = 10'000;
  int lead_s = 5;
  int drain_s = 60;
  int populate_timeout_s = 1'800;
  int sample = 1'000;
  bool compare = false;
  std::int64_t small_pending = 10'000;
  std::string small_url;

  std::int64_t window() const { return static_cast<std::int64_t>(rate) * seconds; }
};

double Seconds(SteadyClock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// VmRSS / VmHWM of this process in kB (0 when unreadable).
std::int64_t ProcStatusKb(std::string_view field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, field.size(), field) == 0 && line.size() > field.size() &&
        line[field.size()] == ':') {
      return std::atoll(line.c_str() + field.size() + 1);
    }
  }
  return 0;
}
std::int64_t RssKb() {
  return ProcStatusKb("VmRSS");
}
std::int64_t HwmKb() {
  return ProcStatusKb("VmHWM");
}

double Percentile(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  std::size_t index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return static_cast<double>(sorted[std::min(index, sorted.size() - 1)]);
}

std::string Fmt(const char* format, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

// The wake time the executor computes for `sleep: { until }` given unix seconds:
// static_cast<TimeMs>(seconds * 1000). The run's input carries `seconds`, so what we
// store is exactly what the executor would have stored for the same input.
TimeMs WakeFor(double seconds) {
  return static_cast<TimeMs>(seconds * 1000);
}

// A run of bench_timer as the executor leaves it asleep in `nap` (see executor.cpp:
// Handle kSuspend + Persist): status sleeping, due_at = wake, no lease, the cursor on
// the first step, updated when the step was written.
store::RunRow SleepingRun(const std::string& version_hash, double wake_seconds, TimeMs now) {
  store::RunRow run;
  run.workflow = kWorkflowName;
  run.version_hash = version_hash;
  run.status = store::RunStatus::kSleeping;
  run.input = {{"wake_at", wake_seconds}};
  run.state = Json::object();
  runtime::RunCursor().WriteTo(run.state);  // at the first step
  run.due_at = WakeFor(wake_seconds);
  run.created_at = now;
  run.updated_at = now;
  return run;
}

// The `nap` row of such a run: running (suspended), first step (seq 1), attempt 1,
// input {wake_at}, started when it was suspended.
store::StepRow SleepingStep(std::int64_t run_id, TimeMs wake, TimeMs now) {
  store::StepRow row;
  row.run_id = run_id;
  row.step_path = kSleepStep;
  row.seq = 1;
  row.status = store::StepStatus::kRunning;
  row.attempts = 1;
  row.input = {{"wake_at", wake}};
  row.started_at = now;
  return row;
}

// Differences between the reference run (made by the engine) and what SleepingRun and
// SleepingStep write, ignoring ids and times that differ by construction.
std::vector<std::string> CompareWithEngine(const store::RunRow& got,
                                           const std::vector<store::StepRow>& got_steps,
                                           const std::string& version_hash, double wake_seconds) {
  std::vector<std::string> diffs;
  const store::RunRow want = SleepingRun(version_hash, wake_seconds, got.created_at);
  auto check = [&](bool same, const std::string& what, const std::string& g, const std::string& w) {
    if (!same) diffs.push_back(what + ": engine wrote " + g + ", bench writes " + w);
  };
  auto opt = [](const auto& v) { return v ? Json(*v).dump() : std::string("null"); };
  check(got.workflow == want.workflow, "workflow", got.workflow, want.workflow);
  check(got.version_hash == want.version_hash, "version_hash", got.version_hash, want.version_hash);
  check(got.status == want.status, "status", std::string(store::RunStatusName(got.status)),
        std::string(store::RunStatusName(want.status)));
  check(got.key == want.key, "key", opt(got.key), opt(want.key));
  check(got.input == want.input, "input", got.input.dump(), want.input.dump());
  check(got.output == want.output, "output", got.output.dump(), want.output.dump());
  check(got.error == want.error, "error", got.error.dump(), want.error.dump());
  check(got.state == want.state, "state", got.state.dump(), want.state.dump());
  check(got.event_id == want.event_id, "event_id", opt(got.event_id), opt(want.event_id));
  check(got.due_at == want.due_at, "due_at", opt(got.due_at), opt(want.due_at));
  check(got.lease_owner == want.lease_owner, "lease_owner", opt(got.lease_owner),
        opt(want.lease_owner));
  check(got.lease_until == want.lease_until, "lease_until", opt(got.lease_until),
        opt(want.lease_until));
  check(got.finished_at == want.finished_at, "finished_at", opt(got.finished_at),
        opt(want.finished_at));
  check(got.updated_at >= got.created_at, "updated_at >= created_at",
        std::to_string(got.updated_at), std::to_string(got.created_at));
  if (got_steps.size() != 1) {
    diffs.push_back("steps: engine wrote " + std::to_string(got_steps.size()) +
                    " rows, bench writes 1");
    return diffs;
  }
  const store::StepRow& s = got_steps.front();
  const store::StepRow w = SleepingStep(got.id, *want.due_at, got.updated_at);
  check(s.step_path == w.step_path, "step_path", s.step_path, w.step_path);
  check(s.seq == w.seq, "seq", std::to_string(s.seq), std::to_string(w.seq));
  check(s.status == w.status, "step status", std::string(store::StepStatusName(s.status)),
        std::string(store::StepStatusName(w.status)));
  check(s.attempts == w.attempts, "attempts", std::to_string(s.attempts),
        std::to_string(w.attempts));
  check(s.input == w.input, "step input", s.input.dump(), w.input.dump());
  check(s.output == w.output, "step output", s.output.dump(), w.output.dump());
  check(s.error == w.error, "step error", s.error.dump(), w.error.dump());
  check(s.finished_at == w.finished_at, "step finished_at", opt(s.finished_at), opt(w.finished_at));
  // Both are "now" of the same step commit (taken a moment apart).
  check(s.started_at >= got.created_at && s.started_at <= got.updated_at,
        "step started_at within [run created_at, updated_at]", std::to_string(s.started_at),
        std::to_string(got.updated_at));
  return diffs;
}

int SetupError(const std::string& what, const Status& s) {
  std::fprintf(stderr, "timer_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

// Runs by status (empty when the store fails: the counts are only reported).
std::map<store::RunStatus, std::int64_t> CountByStatus(store::Store& db) {
  auto tx = db.Begin();
  if (!tx.ok()) return {};
  auto counts = (*tx)->CountRunsByStatus(
      {store::RunStatus::kSleeping, store::RunStatus::kReady, store::RunStatus::kRunning});
  return counts.ok() ? *counts : std::map<store::RunStatus, std::int64_t>();
}
std::int64_t Count(const std::map<store::RunStatus, std::int64_t>& counts,
                   store::RunStatus status) {
  auto it = counts.find(status);
  return it == counts.end() ? 0 : it->second;
}
// Not terminal and not asleep: runs a worker takes up at once (a previous pass's stop
// returns the runs in hand as ready).
std::int64_t CountDueNow(const std::map<store::RunStatus, std::int64_t>& counts) {
  return Count(counts, store::RunStatus::kReady) + Count(counts, store::RunStatus::kRunning);
}

// Writes `count` sleeping runs with the wake times `wake_seconds(i)`, `tx_size` per
// transaction, until `deadline`. Appends (id, due_at) to `written` when `keep` is set.
// Returns how many were written; an error is a setup error.
Result<std::int64_t> Populate(store::Store& db, runtime::Clock& clock,
                              const std::string& version_hash, std::int64_t count, int tx_size,
                              const std::function<double(std::int64_t)>& wake_seconds,
                              SteadyClock::time_point deadline, bool keep,
                              std::vector<std::pair<std::int64_t, TimeMs>>* written,
                              const char* label) {
  std::int64_t done = 0;
  std::int64_t next_report = 100'000;
  const auto start = SteadyClock::now();
  while (done < count && SteadyClock::now() < deadline) {
    auto tx = db.Begin();
    if (!tx.ok()) return tx.status();
    const TimeMs now = clock.Now();
    const std::int64_t end = std::min<std::int64_t>(count, done + tx_size);
    std::vector<std::pair<std::int64_t, TimeMs>> batch;
    for (std::int64_t i = done; i < end; ++i) {
      store::RunRow run = SleepingRun(version_hash, wake_seconds(i), now);
      auto id = (*tx)->InsertRun(run);
      if (!id.ok()) return id.status();
      STOREFLOW_RETURN_IF_ERROR((*tx)->UpsertStep(SleepingStep(*id, *run.due_at, now)));
      if (keep) batch.emplace_back(*id, *run.due_at);
    }
    STOREFLOW_RETURN_IF_ERROR((*tx)->Commit());
    if (keep) written->insert(written->end(), batch.begin(), batch.end());
    done = end;
    if (done >= next_report) {
      const double s = Seconds(SteadyClock::now() - start);
      std::printf("  %s: %" PRId64 " of %" PRId64 " written, %.0f runs/s\n", label, done, count,
                  s > 0 ? done / s : 0.0);
      std::fflush(stdout);
      next_report += 100'000;
    }
  }
  return done;
}

// Which window runs reached the `done` step: its log line is the run id. Set up
// before the workers start; Mark is called from every worker thread.
class WindowTracker {
 public:
  void Reset(std::vector<std::int64_t> sorted_ids) {
    ids_ = std::move(sorted_ids);
    seen_ = std::make_unique<std::atomic<bool>[]>(ids_.size());
  }
  void Mark(std::string_view message) {
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(message.data(), message.data() + message.size(), id);
    if (ec != std::errc() || end != message.data() + message.size()) return;
    const auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
    if (it == ids_.end() || *it != id) return;  // not a run of this window
    if (!seen_[it - ids_.begin()].exchange(true)) count_.fetch_add(1);
  }
  std::int64_t count() const { return count_.load(); }

 private:
  std::vector<std::int64_t> ids_;
  std::unique_ptr<std::atomic<bool>[]> seen_;
  std::atomic<std::int64_t> count_{0};
};

// Whether a run of the bench workflow is ready or running (claimed, not yet committed).
bool AnyInHand(store::Store& db) {
  auto tx = db.Begin();
  if (!tx.ok()) return true;
  for (const auto status : {store::RunStatus::kReady, store::RunStatus::kRunning}) {
    store::RunFilter filter;
    filter.workflow = kWorkflowName;
    filter.status = status;
    filter.limit = 1;
    auto runs = (*tx)->ListRuns(filter);
    if (!runs.ok() || !runs->empty()) return true;
  }
  return false;
}

struct PassResult {
  std::int64_t pending = 0;  // runs left pending beyond the window
  std::int64_t rss_before = 0, rss_populated = 0, rss_idle = 0, rss_window = 0, hwm = 0;
  double populate_rate = 0;
  std::int64_t fired = 0;
  double p99 = 0;
};

// One pass: populate, fire the window, measure. Returns the exit code.
int RunPass(const Options& o) {
  const std::int64_t window = o.window();
  const std::int64_t far = o.pending - window;

  store::OpenOptions open_options;
  open_options.pool_size = o.workers + 4;
  auto opened = store::Store::Open(o.url, open_options);
  if (!opened.ok()) return SetupError("open", opened.status());
  store::Store& db = **opened;

  runtime::SystemClock clock;
  runtime::ActionRegistry actions;
  if (auto s = runtime::RegisterBuiltinActions(actions); !s.ok()) return SetupError("actions", s);
  WindowTracker woke;
  std::atomic<int> errors{0};
  runtime::EngineOptions options;
  options.workers = o.workers;
  options.claim_batch = o.batch;
  options.script_root = STOREFLOW_SOURCE_DIR;
  // The `done` step logs its run id: progress without polling the store.
  options.executor.log = [&](std::string_view level, std::string_view message) {
    if (level != "error") {
      woke.Mark(message);
    } else if (errors.fetch_add(1) < 5) {
      std::fprintf(stderr, "timer_bench: engine: %.*s\n", static_cast<int>(message.size()),
                   message.data());
    }
  };
  runtime::Engine engine(db, clock, actions, options);
  auto loaded = engine.LoadWorkflowSource(kWorkflow, "bench_timer.yaml");
  if (!loaded.ok()) return SetupError("workflow", loaded.status());
  const std::string hash = (*loaded)->hash;

  PassResult r;
  r.pending = far;
  r.rss_before = RssKb();
  std::printf("timer_bench: backend %s, %" PRId64 " sleeping runs (%" PRId64
              " fire at %d/s for %d s, %" PRId64 " stay pending), %d workers, claim batch %d\n",
              std::string(db.backend()).c_str(), o.pending, window, o.rate, o.seconds, far,
              o.workers, o.batch);
  std::printf("rss before populating:   %7.1f MB\n", r.rss_before / 1024.0);
  std::fflush(stdout);

  // 2. Reference: one run put to sleep by the engine itself.
  {
    const double wake_s = static_cast<double>(clock.Now() + kFarAhead) / 1000.0 + 0.123;
    auto ref = engine.StartRun(kWorkflowName, Json{{"wake_at", wake_s}});
    if (!ref.ok()) return SetupError("reference run", ref.status());
    std::optional<store::RunRow> got;
    for (int i = 0; i < 100 && !got; ++i) {
      if (auto n = engine.RunDueOnce(); !n.ok()) return SetupError("reference run", n.status());
      auto tx = db.Begin();
      if (!tx.ok()) return SetupError("reference run", tx.status());
      auto row = (*tx)->GetRun(ref->id);
      if (!row.ok()) return SetupError("reference run", row.status());
      if (row->has_value() && (*row)->status == store::RunStatus::kSleeping) got = **row;
    }
    if (!got) {
      std::fprintf(stderr, "timer_bench: the reference run %" PRId64 " did not go to sleep\n",
                   ref->id);
      return 1;
    }
    auto tx = db.Begin();
    if (!tx.ok()) return SetupError("reference run", tx.status());
    auto steps = (*tx)->ListSteps(got->id);
    if (!steps.ok()) return SetupError("reference run", steps.status());
    (void)(*tx)->Commit();
    const auto diffs = CompareWithEngine(*got, *steps, hash, wake_s);
    if (!diffs.empty()) {
      std::fprintf(stderr,
                   "timer_bench: the state this bench writes differs from what the executor "
                   "leaves (run %" PRId64 "):\n",
                   got->id);
      for (const auto& d : diffs) std::fprintf(stderr, "  %s\n", d.c_str());
      return 1;
    }
    std::printf("reference: run %" PRId64
                " put to sleep by the engine matches the populated state "
                "(run row, cursor, nap step row)\n",
                got->id);
    std::fflush(stdout);
    if (auto c = engine.CancelRun(got->id, "timer_bench reference"); !c.ok()) {
      return SetupError("cancel reference run", c.status());
    }
  }
  const auto counts_before = CountByStatus(db);
  const std::int64_t sleeping_before = Count(counts_before, store::RunStatus::kSleeping);
  const std::int64_t due_before = CountDueNow(counts_before);
  if (sleeping_before > 0 || due_before > 0) {
    std::printf("note: the database already holds %" PRId64
                " sleeping runs (they stay pending) "
                "and %" PRId64 " ready or running ones (taken up at engine start)\n",
                sleeping_before, due_before);
  }

  // 3. Populate.
  const auto populate_deadline = SteadyClock::now() + std::chrono::seconds(o.populate_timeout_s);
  const TimeMs pass_start = clock.Now();
  const auto t0 = SteadyClock::now();
  const double far_base = static_cast<double>(pass_start + kFarAhead) / 1000.0;
  auto far_written = Populate(
      db, clock, hash, far, o.tx_size,
      [&](std::int64_t i) { return far_base + static_cast<double>(i) / 1000.0; }, populate_deadline,
      false, nullptr, "pending");
  if (!far_written.ok()) return SetupError("populate", far_written.status());
  const double far_s = Seconds(SteadyClock::now() - t0);
  if (*far_written < far) {
    std::printf("populate: timed out after %d s: %" PRId64 " of %" PRId64
                " pending runs written (they are what stays pending)\n",
                o.populate_timeout_s, *far_written, far);
  }
  // The window starts `lead` seconds after the window runs are expected to be written
  // (at the rate just measured, with 100% margin: the machine is shared and the rate
  // varies; 2,000 runs/s if too few to measure).
  const double rate_guess = (*far_written >= 10'000 && far_s > 0) ? *far_written / far_s : 2'000;
  const TimeMs window_start =
      clock.Now() + static_cast<TimeMs>(2.0 * 1000.0 * window / rate_guess) + o.lead_s * 1000LL;
  std::vector<std::pair<std::int64_t, TimeMs>> due;  // (run id, due_at) of the window runs
  due.reserve(static_cast<std::size_t>(window));
  auto window_written = Populate(
      db, clock, hash, window, o.tx_size,
      [&](std::int64_t i) {
        return static_cast<double>(window_start) / 1000.0 + static_cast<double>(i) / o.rate;
      },
      SteadyClock::time_point::max(), true, &due, "window");
  if (!window_written.ok()) return SetupError("populate", window_written.status());
  const double populate_s = Seconds(SteadyClock::now() - t0);
  const std::int64_t written = *far_written + *window_written;
  r.populate_rate = populate_s > 0 ? written / populate_s : 0;
  r.pending = *far_written + std::max<std::int64_t>(sleeping_before, 0);
  std::printf("populate: %" PRId64 " runs (+ %" PRId64
              " step rows) in %.1f s = %.0f runs/s, %d per transaction\n",
              written, written, populate_s, r.populate_rate, o.tx_size);
  r.rss_populated = RssKb();
  std::printf("rss after populating:    %7.1f MB\n", r.rss_populated / 1024.0);
  const std::int64_t sleeping_start = Count(CountByStatus(db), store::RunStatus::kSleeping);
  std::printf("sleeping runs in the database at engine start: %" PRId64 "\n", sleeping_start);
  const TimeMs late_by = clock.Now() - window_start;
  if (late_by > -1000) {
    std::printf(
        "warning: the engine starts %.1f s %s the first due time (%d s ahead planned): the "
        "first fires' lateness includes the bench's own delay; rerun for clean figures\n",
        std::abs(late_by) / 1000.0, late_by < 0 ? "before" : "AFTER", o.lead_s);
  }
  std::fflush(stdout);

  // 4. Fire.
  std::sort(due.begin(), due.end());
  {
    std::vector<std::int64_t> ids;
    ids.reserve(due.size());
    for (const auto& d : due) ids.push_back(d.first);
    woke.Reset(std::move(ids));
  }
  TimeMs window_last = window_start;
  for (const auto& d : due) window_last = std::max(window_last, d.second);
  engine.Start();
  std::this_thread::sleep_for(
      std::chrono::milliseconds(std::clamp<TimeMs>(window_start - clock.Now() - 500, 0, 60'000)));
  r.rss_idle = RssKb();
  std::printf("rss engine idle (started, before the first due time): %.1f MB\n",
              r.rss_idle / 1024.0);
  std::fflush(stdout);
  const TimeMs wait_until = window_last + o.drain_s * 1000LL;
  TimeMs next_progress = window_start + 5000;
  std::int64_t last_count = 0;
  TimeMs last_at = window_start;
  while (clock.Now() < wait_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // Every window run logged: done once the last ones' commits are in.
    if (woke.count() >= *window_written && !AnyInHand(db)) break;
    const TimeMs now = clock.Now();
    if (now >= next_progress) {
      const std::int64_t n = woke.count();
      const std::int64_t offered =
          std::clamp<std::int64_t>((now - window_start) * o.rate / 1000 + 1, 0, window);
      std::printf(
          "  t=%5.1f s: %" PRId64 " fired of %" PRId64 " due (%.0f fires/s over the last %.0f s)\n",
          (now - window_start) / 1000.0, n, offered,
          (n - last_count) * 1000.0 / std::max<TimeMs>(1, now - last_at), (now - last_at) / 1000.0);
      std::fflush(stdout);
      last_count = n;
      last_at = now;
      while (next_progress <= now) next_progress += 5000;
    }
  }
  const TimeMs end_at = clock.Now();
  const bool timed_out = clock.Now() >= wait_until;
  r.rss_window = RssKb();
  engine.Stop(std::chrono::seconds(10));
  r.hwm = std::max(HwmKb(), r.rss_window);

  // 5. Read back.
  std::unordered_map<std::int64_t, TimeMs> due_of;
  due_of.reserve(due.size());
  for (const auto& [id, at] : due) due_of.emplace(id, at);
  std::unordered_map<std::int64_t, TimeMs> finished_of;  // window run id -> finished_at
  {
    store::RunFilter filter;
    filter.workflow = kWorkflowName;
    filter.status = store::RunStatus::kCompleted;
    filter.created_from = pass_start;
    filter.limit = 10'000;
    for (;;) {
      auto tx = db.Begin();
      if (!tx.ok()) return SetupError("read back", tx.status());
      auto page = (*tx)->ListRuns(filter);
      if (!page.ok()) return SetupError("read back", page.status());
      (void)(*tx)->Commit();
      for (const auto& run : *page) {
        if (due_of.count(run.id) != 0 && run.finished_at) finished_of[run.id] = *run.finished_at;
      }
      if (static_cast<int>(page->size()) < filter.limit) break;
      filter.before_id = page->back().id;
    }
  }
  std::vector<std::int64_t> lateness;
  lateness.reserve(due.size());
  std::int64_t not_completed = 0;
  TimeMs first_done = 0, last_done = 0;
  std::int64_t in_window = 0;  // completed by the last due time
  for (const auto& [id, at] : due) {
    auto it = finished_of.find(id);
    if (it == finished_of.end()) {
      ++not_completed;
      lateness.push_back(std::max<TimeMs>(0, end_at - at));
      continue;
    }
    lateness.push_back(it->second - at);
    first_done = first_done == 0 ? it->second : std::min(first_done, it->second);
    last_done = std::max(last_done, it->second);
    if (it->second <= window_last) ++in_window;
  }
  std::sort(lateness.begin(), lateness.end());
  const std::int64_t completed = static_cast<std::int64_t>(finished_of.size());
  r.fired = completed;
  r.p99 = Percentile(lateness, 0.99);

  // Sampled runs: completed once, through the populated sleep row.
  std::vector<std::int64_t> resume;
  int checked = 0, bad = 0;
  const std::size_t step = std::max<std::size_t>(1, due.size() / std::max(1, o.sample));
  for (std::size_t k = 0; k < due.size() && checked < o.sample; k += step) {
    const auto [id, at] = due[k];
    if (finished_of.count(id) == 0) continue;
    auto tx = db.Begin();
    if (!tx.ok()) return SetupError("verify", tx.status());
    auto run = (*tx)->GetRun(id);
    auto steps = (*tx)->ListSteps(id);
    if (!run.ok() || !steps.ok()) {
      return SetupError("verify", run.ok() ? steps.status() : run.status());
    }
    (void)(*tx)->Commit();
    ++checked;
    std::string why;
    const store::RunRow& rr = **run;
    if (rr.status != store::RunStatus::kCompleted) why = "not completed";
    if (why.empty()) {
      auto cursor = runtime::RunCursor::FromState(rr.state);
      if (!cursor.ok() || cursor->nested() || cursor->top().step != 2 ||
          cursor->top().generation != 0 || !rr.state.contains("cursor")) {
        why = "cursor " + rr.state.dump();
      }
    }
    if (why.empty() && steps->size() != 2) why = std::to_string(steps->size()) + " step rows";
    if (why.empty()) {
      const store::StepRow& nap = (*steps)[0];
      const store::StepRow& log = (*steps)[1];
      if (nap.step_path != kSleepStep || nap.seq != 1 ||
          nap.status != store::StepStatus::kCompleted || nap.attempts != 1 ||
          nap.input != Json{{"wake_at", at}} || nap.started_at != rr.created_at ||
          !nap.finished_at || *nap.finished_at < at) {
        why = "sleep row " + Fmt("%s seq %" PRId64 " %s attempts %" PRId64
                                 " input %s started %" PRId64,
                                 nap.step_path.c_str(), nap.seq,
                                 std::string(store::StepStatusName(nap.status)).c_str(),
                                 nap.attempts, nap.input.dump().c_str(), nap.started_at);
      } else if (log.step_path != kLogStep || log.seq != 2 ||
                 log.status != store::StepStatus::kCompleted || log.attempts != 1 ||
                 (log.output.value("message", Json()) != Json(id) &&
                  log.output.value("message", Json()) != Json(std::to_string(id)))) {
        why = "log row " + log.step_path + " " + std::string(store::StepStatusName(log.status)) +
              " " + log.output.dump();
      } else {
        resume.push_back(*nap.finished_at - at);
      }
    }
    if (!why.empty() && ++bad <= 3) {
      std::fprintf(stderr, "timer_bench: run %" PRId64 ": %s\n", id, why.c_str());
    }
  }
  std::sort(resume.begin(), resume.end());
  const auto counts_end = CountByStatus(db);
  const std::int64_t sleeping_end = Count(counts_end, store::RunStatus::kSleeping);
  const std::int64_t due_end = CountDueNow(counts_end);

  // Report.
  const double window_s = static_cast<double>(window_last - window_start) / 1000.0;
  const double overall_s =
      last_done > window_start ? static_cast<double>(last_done - window_start) / 1000.0 : 0;
  std::printf("fired:    %" PRId64 " of %" PRId64 " window runs completed%s; %" PRId64
              " not completed when measurement ended %.1f s after the last due time\n",
              completed, *window_written, timed_out ? " [timed out]" : "", not_completed,
              (end_at - window_last) / 1000.0);
  std::printf("fires/s:  offered %d; achieved %.0f during the window (%" PRId64
              " completed by its last due time, %.1f s), %.0f overall (%" PRId64
              " from the first due time to the last completion, %.1f s)\n",
              o.rate, window_s > 0 ? in_window / window_s : 0.0, in_window, window_s,
              overall_s > 0 ? completed / overall_s : 0.0, completed, overall_s);
  std::printf("lateness (ms, run finished_at - due_at%s): p50 %.0f  p90 %.0f  p99 %.0f  max %.0f\n",
              not_completed > 0 ? "; LOWER BOUNDS: not-completed runs count as end - due_at" : "",
              Percentile(lateness, 0.5), Percentile(lateness, 0.9), Percentile(lateness, 0.99),
              lateness.empty() ? 0.0 : static_cast<double>(lateness.back()));
  std::printf(
      "sleep-step resume lateness (ms, nap finished_at - due_at, %zu sampled): p50 %.0f  "
      "p90 %.0f  p99 %.0f  max %.0f\n",
      resume.size(), Percentile(resume, 0.5), Percentile(resume, 0.9), Percentile(resume, 0.99),
      resume.empty() ? 0.0 : static_cast<double>(resume.back()));
  std::printf(
      "target:   p99 <= 1000 ms at %d fires/s: %s\n", o.rate,
      (not_completed == 0 && r.p99 <= 1000 && in_window >= window * 95 / 100) ? "met" : "NOT met");
  std::printf(
      "verified: %d of %d sampled completed runs: completed, cursor past both steps, "
      "the populated sleep row resumed once (seq 1, attempt 1, same started_at and "
      "wake_at), log step completed%s\n",
      checked - bad, checked, bad > 0 ? " — FAILURES above" : "");
  std::printf("pending:  %" PRId64 " runs sleeping + %" PRId64
              " ready or running (in hand at the stop) after the window = %" PRId64
              "; expected %" PRId64 " (%" PRId64 " far-future + %" PRId64 " not completed)%s\n",
              sleeping_end, due_end, sleeping_end + due_end, r.pending + not_completed, r.pending,
              not_completed,
              sleeping_end + due_end == r.pending + not_completed ? "" : " — MISMATCH");
  std::printf(
      "rss:      before populating %.1f MB, after populating %.1f MB, engine idle %.1f MB, "
      "after the window %.1f MB, peak (VmHWM) %.1f MB\n",
      r.rss_before / 1024.0, r.rss_populated / 1024.0, r.rss_idle / 1024.0, r.rss_window / 1024.0,
      r.hwm / 1024.0);
  std::printf("%s pending=%" PRId64 " populate_rate=%.0f rss_before_kb=%" PRId64
              " rss_populated_kb=%" PRId64 " rss_idle_kb=%" PRId64 " rss_window_kb=%" PRId64
              " hwm_kb=%" PRId64 " fired=%" PRId64 " p99_ms=%.0f\n",
              kResultTag, r.pending, r.populate_rate, r.rss_before, r.rss_populated, r.rss_idle,
              r.rss_window, r.hwm, r.fired, r.p99);
  std::fflush(stdout);
  return bad > 0 ? 1 : 0;
}

// --compare: runs `args` as a child pass of this executable, echoes its output, and
// returns its result line (empty on failure). Kills the child after `limit`.
std::string RunChild(const std::vector<std::string>& args, std::chrono::seconds limit) {
  int fds[2];
  if (pipe(fds) != 0) return "";
  const pid_t pid = fork();
  if (pid < 0) return "";
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  close(fds[1]);
  const auto deadline = SteadyClock::now() + limit;
  std::string buffer, result;
  bool killed = false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0 && !killed) {
      std::fprintf(stderr, "timer_bench: pass overran %lld s; killing it\n",
                   static_cast<long long>(limit.count()));
      kill(pid, SIGKILL);
      killed = true;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::clamp<std::int64_t>(left.count(), 100, 1000))) <= 0) {
      continue;
    }
    char chunk[4096];
    const ssize_t n = read(fds[0], chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      if (line.rfind(kResultTag, 0) == 0) result = line;
      std::printf("  | %s\n", line.c_str());
      std::fflush(stdout);
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return result;
}

std::int64_t Field(const std::string& line, const std::string& name) {
  const auto at = line.find(" " + name + "=");
  return at == std::string::npos ? -1 : std::atoll(line.c_str() + at + name.size() + 2);
}

void RemoveSqlite(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-lock"}) std::remove((path + suffix).c_str());
}

int Compare(const Options& o) {
  const bool sqlite = o.url.rfind("sqlite:", 0) == 0;
  std::string small_url = o.small_url;
  std::string small_file;
  if (small_url.empty() && sqlite) {
    small_file = o.url.substr(7) + "-small";
    small_url = "sqlite:" + small_file;
    RemoveSqlite(small_file);
  }
  if (small_url.empty()) small_url = o.url;
  auto args = [&](const std::string& url, std::int64_t pending) {
    return std::vector<std::string>{"timer_bench",
                                    "--db",
                                    url,
                                    "--pending",
                                    std::to_string(pending),
                                    "--rate",
                                    std::to_string(o.rate),
                                    "--seconds",
                                    std::to_string(o.seconds),
                                    "--workers",
                                    std::to_string(o.workers),
                                    "--batch",
                                    std::to_string(o.batch),
                                    "--tx-size",
                                    std::to_string(o.tx_size),
                                    "--lead-s",
                                    std::to_string(o.lead_s),
                                    "--drain-s",
                                    std::to_string(o.drain_s),
                                    "--populate-timeout-s",
                                    std::to_string(o.populate_timeout_s),
                                    "--sample",
                                    std::to_string(o.sample)};
  };
  // A pass's own bounds, plus slack for the read-back and verification.
  const auto limit = std::chrono::seconds(o.populate_timeout_s * 2 + o.seconds + o.drain_s + 600);
  const std::int64_t small = o.window() + o.small_pending;
  std::printf("timer_bench --compare: pass 1: %" PRId64 " runs (%" PRId64
              " stay pending) on %s; pass 2: %" PRId64 " runs (%" PRId64 " stay pending) on %s\n",
              small, o.small_pending, small_url == o.url ? "the same database" : "its own database",
              o.pending, o.pending - o.window(), "the database");
  std::fflush(stdout);
  const std::string a = RunChild(args(small_url, small), limit);
  const std::string b = RunChild(args(o.url, o.pending), limit);
  if (!small_file.empty()) RemoveSqlite(small_file);
  if (a.empty() || b.empty()) {
    std::fprintf(stderr, "timer_bench: a pass failed (see its output above)\n");
    return 1;
  }
  auto mb = [](std::int64_t kb) { return kb / 1024.0; };
  std::printf("\nRSS (MB) by number of runs pending beyond the window:\n");
  std::printf("  %12s %10s %10s %10s %10s %10s %8s %8s\n", "pending", "before", "populated", "idle",
              "window", "peak", "fired", "p99 ms");
  for (const std::string* line : {&a, &b}) {
    std::printf("  %12" PRId64 " %10.1f %10.1f %10.1f %10.1f %10.1f %8" PRId64 " %8" PRId64 "\n",
                Field(*line, "pending"), mb(Field(*line, "rss_before_kb")),
                mb(Field(*line, "rss_populated_kb")), mb(Field(*line, "rss_idle_kb")),
                mb(Field(*line, "rss_window_kb")), mb(Field(*line, "hwm_kb")),
                Field(*line, "fired"), Field(*line, "p99_ms"));
  }
  const double growth = mb(Field(b, "rss_window_kb") - Field(a, "rss_window_kb"));
  const double pending_ratio =
      static_cast<double>(Field(b, "pending")) / std::max<std::int64_t>(1, Field(a, "pending"));
  std::printf("after the window: %+.1f MB with %.0fx the runs pending\n", growth, pending_ratio);
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: timer_bench --db URL [--pending N] [--rate R] [--seconds S] [--workers W] "
               "[--batch B] [--tx-size T] [--lead-s L] [--drain-s D] [--populate-timeout-s P] "
               "[--sample K] [--compare] [--small-pending M] [--small-db URL]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--compare") {
      o.compare = true;
      continue;
    }
    const char* value = i + 1 < argc ? argv[++i] : nullptr;
    if (value == nullptr) return Usage();
    if (arg == "--db") {
      o.url = value;
    } else if (arg == "--small-db") {
      o.small_url = value;
    } else if (arg == "--pending") {
      o.pending = std::atoll(value);
    } else if (arg == "--small-pending") {
      o.small_pending = std::atoll(value);
    } else if (arg == "--rate") {
      o.rate = std::atoi(value);
    } else if (arg == "--seconds") {
      o.seconds = std::atoi(value);
    } else if (arg == "--workers") {
      o.workers = std::atoi(value);
    } else if (arg == "--batch") {
      o.batch = std::atoi(value);
    } else if (arg == "--tx-size") {
      o.tx_size = std::atoi(value);
    } else if (arg == "--lead-s") {
      o.lead_s = std::atoi(value);
    } else if (arg == "--drain-s") {
      o.drain_s = std::atoi(value);
    } else if (arg == "--populate-timeout-s") {
      o.populate_timeout_s = std::atoi(value);
    } else if (arg == "--sample") {
      o.sample = std::atoi(value);
    } else {
      return Usage();
    }
  }
  if (o.url.empty() || o.rate <= 0 || o.seconds <= 0 || o.workers <= 0 || o.batch <= 0 ||
      o.tx_size <= 0 || o.lead_s < 0 || o.drain_s < 0 || o.populate_timeout_s <= 0 ||
      o.sample < 0 || o.small_pending < 0) {
    return Usage();
  }
  if (o.pending < o.window()) {
    std::fprintf(stderr,
                 "timer_bench: --pending %" PRId64 " is less than the window's %" PRId64
                 " fires (--rate x --seconds)\n",
                 o.pending, o.window());
    return 2;
  }
  return o.compare ? Compare(o) : RunPass(o);
}
