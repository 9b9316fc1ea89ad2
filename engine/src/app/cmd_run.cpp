// `storeflow run WORKFLOW.yaml --input FILE.json|- [--db URL] [--clock virtual]
// [--config FILE] [--root DIR]`: starts one run, drives the engine on this thread
// until it ends, prints it as JSON. Exit 0 completed, 1 anything else.
// `storeflow serve [--db URL] [--workflows DIR] [--workers N] ...`: the engine with
// its worker threads and schedules until SIGTERM/SIGINT.

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/engine_config.h"
#include "app/plugin_setup.h"
#include "app/serve_session.h"
#include "common/timezone.h"
#include "http/server.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/engine.h"
#include "runtime/run_json.h"
#include "runtime/workflow_config.h"
#include "script/time_text.h"
#include "store/store.h"

namespace storeflow::app {
namespace {

// The clocks `run` and `serve` choose from with --clock (real or virtual).
struct EngineClocks {
  runtime::SystemClock system;
  runtime::VirtualClock virtual_clock{system.Now()};
  runtime::Clock& Pick(std::string_view name) {
    if (name == "virtual") return virtual_clock;
    return system;
  }
};

constexpr std::string_view kRunUsage =
    "usage: storeflow run WORKFLOW.yaml --input FILE.json|- [--db URL] [--clock virtual|real]\n"
    "                     [--config FILE] [--root DIR]\n";

int Usage(std::ostream& err, std::string_view message) {
  err << "storeflow run: " << message << "\n" << kRunUsage;
  return 2;
}

Result<nlohmann::json> ReadInput(const std::string& path) {
  std::stringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound("cannot read input file " + path);
    text << in.rdbuf();
  }
  auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
  if (parsed.is_discarded()) return InvalidArgument(path + ": not valid JSON");
  return parsed;
}

// A fresh SQLite database in a new temporary folder, removed when this goes away
// (declare it before the Store so the Store closes first).
class TemporaryDatabase {
 public:
  TemporaryDatabase() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() /
           ("storeflow-run-" + std::to_string(rd()) + std::to_string(rd() % 10000));
    std::filesystem::create_directories(dir_);
  }
  ~TemporaryDatabase() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TemporaryDatabase(const TemporaryDatabase&) = delete;
  TemporaryDatabase& operator=(const TemporaryDatabase&) = delete;
  std::string url() const { return "sqlite:" + (dir_ / "store.db").string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace

int RunRunCommand(const Args& input, std::ostream& out, std::ostream& err) {
  Args args = input;
  const auto db = TakeDatabaseUrl(args);
  const auto input_path = TakeOption(args, "--input");
  const auto clock_name = TakeOption(args, "--clock");
  const auto config_path = TakeOption(args, "--config");
  const auto root = TakeOption(args, "--root");
  if (args.size() != 1)
    return Usage(err, args.empty() ? "name a workflow file" : "too many arguments");
  if (!input_path || input_path->empty()) return Usage(err, "--input FILE.json (or -) is required");
  if (clock_name && *clock_name != "virtual" && *clock_name != "real") {
    return Usage(err, "--clock is virtual or real");
  }
  if (db && db->empty()) return Usage(err, "--db needs a URL");

  ConfigSources sources;
  if (config_path) sources.file = *config_path;
  auto config = LoadEngineConfig(sources);
  if (!config.ok()) {
    err << "storeflow run: " << config.status().message() << "\n";
    return 2;
  }
  auto payload = ReadInput(*input_path);
  if (!payload.ok()) {
    err << "storeflow run: " << payload.status().message() << "\n";
    return 2;
  }

  store::OpenOptions open_options;
  open_options.pool_size = 2;
  std::optional<TemporaryDatabase> temporary;
  if (!db) temporary.emplace();
  auto store = db ? OpenWriteStore(db, "run",
                                   "Send the event to the running engine instead (a webhook or "
                                   "REST trigger of the workflow), or leave out --db: `storeflow "
                                   "run` then uses a fresh temporary database.")
                  : store::Store::Open(temporary->url(), open_options);
  if (!store.ok()) {
    err << "storeflow run: " << store.status().message() << "\n";
    return 1;
  }

  EngineClocks clocks;
  runtime::Clock& clock = clocks.Pick(clock_name.value_or("real"));
  runtime::ActionRegistry actions;
  runtime::EngineOptions options;
  options.workers = 1;
  options.script_root = root.value_or(".");
  options.lua = config->lua;
  options.executor.log = [&err](std::string_view level, std::string_view message) {
    err << "[" << level << "] " << message << "\n";
  };
  auto plugins = SetUpPlugins(*config, actions, {store->get(), &clock, options.executor.log});
  if (!plugins.ok()) {
    err << "storeflow run: " << plugins.status().message() << "\n";
    return 1;
  }
  options.executor.secrets = (*plugins)->secrets;
  runtime::Engine engine(**store, clock, actions, options);
  engine.catalog().set_action_check((*plugins)->action_check());
  // Values for this workflow's `config:`; entries for other workflows are not
  // checked here (`serve` checks them against every workflow it loads).
  engine.catalog().set_config_overrides(config->workflows);
  for (const std::string& warning : runtime::WorkflowConfigEnvWarnings(config->workflows)) {
    err << "[warn] " << warning << "\n";
  }

  auto loaded = engine.LoadWorkflowFile(args[0]);
  if (!loaded.ok()) {
    err << loaded.status().message() << "\n";
    return 1;
  }
  auto run = engine.StartRun((*loaded)->workflow->name, *payload);
  if (!run.ok()) {
    err << "storeflow run: " << run.status().message() << "\n";
    return 1;
  }
  const std::int64_t id = run->id;
  store::RunRow last = *run;
  Status driven = engine.RunUntil([&] {
    auto tx = (*store)->Begin();
    if (!tx.ok()) return false;
    auto row = (*tx)->GetRun(id);
    if (!row.ok() || !row->has_value()) return false;
    last = **row;
    return store::IsTerminal(last.status);
  });
  if (!driven.ok()) {
    err << "storeflow run: " << driven.message() << "\n";
  }
  std::vector<store::StepRow> steps;
  if (auto tx = (*store)->Begin(); tx.ok()) {
    if (auto rows = (*tx)->ListSteps(id); rows.ok()) steps = *rows;
  }
  out << runtime::RunToJson(last, steps).dump(2) << "\n";
  return last.status == store::RunStatus::kCompleted ? 0 : 1;
}

int RunServeCommand(const Args& input, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kServeUsage =
      "usage: storeflow serve [--db URL] [--workflows DIR] [--workers N]\n"
      "                       [--clock real|virtual|manual] [--clock-start TIME]\n"
      "                       [--config FILE] [--root DIR] [--drain MS] [--lease MS]\n"
      "                       [--listen HOST:PORT] [--dev]\n";
  Args args = input;
  const auto db = TakeDatabaseUrl(args);
  const auto dir = TakeOption(args, "--workflows");
  const auto workers_text = TakeOption(args, "--workers");
  const auto clock_name = TakeOption(args, "--clock");
  const auto clock_start_text = TakeOption(args, "--clock-start");
  const auto config_path = TakeOption(args, "--config");
  const auto root = TakeOption(args, "--root");
  const auto drain_text = TakeOption(args, "--drain");
  const auto lease_text = TakeOption(args, "--lease");
  const auto listen = TakeOption(args, "--listen");
  const bool dev = TakeFlag(args, "--dev");
  auto usage = [&](std::string_view message) {
    err << "storeflow serve: " << message << "\n" << kServeUsage;
    return 2;
  };
  if (!args.empty()) return usage("unexpected argument '" + args[0] + "'");
  if (db && db->empty()) return usage("--db needs a URL");
  if (clock_name && *clock_name != "virtual" && *clock_name != "real" && *clock_name != "manual") {
    return usage("--clock is real, virtual or manual");
  }
  std::optional<std::int64_t> clock_start;
  if (clock_start_text) {
    std::int64_t ms = 0;
    if (clock_name.value_or("real") == "real") {
      return usage("--clock-start needs --clock virtual or --clock manual");
    }
    if (!script::ParseIsoTimestamp(*clock_start_text, *TimeZone::Utc(), &ms)) {
      return usage("--clock-start is an ISO-8601 time such as 2026-03-10T06:00:00Z");
    }
    clock_start = ms;
  }
  int workers = 4;
  if (workers_text) {
    auto [end, ec] =
        std::from_chars(workers_text->data(), workers_text->data() + workers_text->size(), workers);
    if (ec != std::errc() || end != workers_text->data() + workers_text->size() || workers < 1) {
      return usage("--workers is a positive number");
    }
  }
  int drain_ms = 10'000;
  if (drain_text) {
    auto [end, ec] =
        std::from_chars(drain_text->data(), drain_text->data() + drain_text->size(), drain_ms);
    if (ec != std::errc() || drain_ms < 0) return usage("--drain is milliseconds");
  }
  int lease_ms = 30'000;
  if (lease_text) {
    auto [end, ec] =
        std::from_chars(lease_text->data(), lease_text->data() + lease_text->size(), lease_ms);
    if (ec != std::errc() || lease_ms < 100) return usage("--lease is milliseconds (>= 100)");
  }
  // From here on SIGINT/SIGTERM/SIGHUP wait for sigwait below (workers inherit
  // the mask), so a signal during start-up still ends in an orderly stop, and a
  // SIGHUP is handled on this thread (no work in a signal handler): it reloads
  // the workflows. One that comes during start-up is held until it is done.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ConfigSources sources;
  if (config_path) sources.file = *config_path;
  auto config = LoadEngineConfig(sources);
  if (!config.ok()) {
    err << "storeflow serve: " << config.status().message() << "\n";
    return 2;
  }
  std::mutex log_mu;
  ServeOptions options;
  options.config = std::move(config).value();
  options.db = db;
  options.workflows_dir = dir.value_or("workflows");
  options.script_root = root.value_or(".");
  options.workers = workers;
  options.clock = clock_name.value_or("real");
  options.clock_start = clock_start;
  options.lease = std::chrono::milliseconds(lease_ms);
  options.drain = std::chrono::milliseconds(drain_ms);
  options.listen = listen;
  options.dev = dev;
  options.config_file = config_path;
  options.log = [&err, &log_mu](std::string_view line) {
    std::lock_guard lock(log_mu);
    err << line << "\n";
  };
  {
    http::ServerOptions check;
    if (Status s = http::ParseListen(listen.value_or(options.config.http.listen), check); !s.ok()) {
      return usage(s.message());
    }
  }
  auto session = ServeSession::Start(std::move(options));
  if (!session.ok()) {
    // A workflow that does not load is reported as the validator does (file:line:col).
    const Status& s = session.status();
    err << (s.code() == StatusCode::kInvalidArgument ? "" : "storeflow serve: ") << s.message()
        << "\n";
    return 1;
  }
  {
    std::lock_guard lock(log_mu);
    err << "storeflow serve: " << (*session)->summary() << "\n";
    err << "storeflow serve: listening on http://" << (*session)->host() << ":"
        << (*session)->port() << "\n";
  }
  int received = 0;
  for (;;) {
    sigwait(&signals, &received);
    if (received != SIGHUP) break;
    {
      std::lock_guard lock(log_mu);
      err << "storeflow serve: SIGHUP, reloading " << dir.value_or("workflows") << "\n";
    }
    (*session)->Reload();  // logs its outcome (and each error) through options.log
  }
  {
    std::lock_guard lock(log_mu);
    err << "storeflow serve: " << (received == SIGINT ? "SIGINT" : "SIGTERM") << ", draining\n";
  }
  (*session)->Stop();
  out << "stopped\n";
  return 0;
}

}  // namespace storeflow::app
