#include "app/workflow_reload.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/metrics.h"
#include "http/surface.h"
#include "plugin/plugin_host.h"
#include "plugin/source_publisher.h"
#include "runtime/engine.h"

namespace storeflow::app {
namespace {

constexpr std::string_view kReloadsCounter = "storeflow_reloads_total";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string FileHash(const std::optional<std::string>& path) {
  if (!path) return "";
  std::ifstream in(*path, std::ios::binary);
  if (!in) return "unreadable";
  std::stringstream text;
  text << in.rdbuf();
  return runtime::ContentHash(text.str());
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

Result<std::vector<std::string>> ListWorkflowFiles(const std::string& folder) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      files.push_back(entry.path().string());
    }
  }
  if (ec) return NotFound("cannot read " + folder + ": " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

std::string_view ReloadReport::result() const {
  switch (outcome) {
    case Outcome::kReloaded: return "reloaded";
    case Outcome::kUnchanged: return "unchanged";
    case Outcome::kRejected: return "rejected";
    case Outcome::kFailed: return "failed";
  }
  return "failed";
}

int ReloadReport::http_status() const {
  switch (outcome) {
    case Outcome::kReloaded:
    case Outcome::kUnchanged: return 200;
    case Outcome::kRejected: return 422;
    case Outcome::kFailed: return 503;
  }
  return 500;
}

nlohmann::json ReloadReport::ToJson() const {
  nlohmann::json body = {{"result", result()},
                         {"changes",
                          {{"added", changes.added},
                           {"changed", changes.changed},
                           {"removed", changes.removed},
                           {"unchanged", changes.unchanged}}},
                         {"errors", errors},
                         {"warnings", warnings},
                         {"notes", notes}};
  nlohmann::json list = nlohmann::json::array();
  for (const auto& loaded : workflows) {
    list.push_back({{"name", loaded->workflow->name},
                    {"version", loaded->workflow->version},
                    {"hash", loaded->hash},
                    {"source_path", loaded->source_path}});
  }
  body["workflows"] = std::move(list);
  if (outcome == Outcome::kRejected || outcome == Outcome::kFailed) {
    const std::string code = outcome == Outcome::kRejected ? "invalid_workflows" : "reload_failed";
    std::string message = outcome == Outcome::kRejected
                              ? "the workflows have " + std::to_string(errors.size()) +
                                    " error(s); the workflows loaded before are still served"
                              : "the reload failed; the workflows loaded before are still served";
    if (!errors.empty()) message += ": " + errors.front();
    body["error"] = {{"code", code}, {"message", message}};
  }
  return body;
}

std::string ReloadReport::Summary() const {
  std::string line = "reload: " + std::string(result());
  switch (outcome) {
    case Outcome::kReloaded: {
      std::string parts;
      if (!changes.added.empty()) parts += "added: " + Joined(changes.added);
      if (!changes.changed.empty()) {
        parts += (parts.empty() ? "" : "; ") + ("changed: " + Joined(changes.changed));
      }
      if (!changes.removed.empty()) {
        parts += (parts.empty() ? "" : "; ") + ("removed: " + Joined(changes.removed));
      }
      line += " (" + parts + "); " + std::to_string(workflows.size()) + " workflow(s) current";
      break;
    }
    case Outcome::kUnchanged:
      line += ": the workflows and rules are the versions already loaded (" +
              std::to_string(workflows.size()) + " workflow(s))";
      break;
    case Outcome::kRejected:
    case Outcome::kFailed:
      line += " with " + std::to_string(errors.size()) +
              " error(s); the workflows loaded before are still served";
      break;
  }
  return line;
}

WorkflowReloader::WorkflowReloader(ReloadTargets targets) : targets_(std::move(targets)) {
  config_hash_ = FileHash(targets_.config_file);
  metrics::Registry::Default().Describe(
      kReloadsCounter, metrics::Type::kCounter,
      "Workflow reloads (SIGHUP, POST /api/v1/workflows/reload) by result: reloaded, "
      "unchanged, rejected (errors in the new set), failed.");
}

Status WorkflowReloader::LoadInitial() {
  std::lock_guard lock(mu_);
  runtime::Engine& engine = *targets_.engine;
  auto files = ListWorkflowFiles(targets_.workflows_dir);
  if (!files.ok()) return files.status();
  auto set = engine.catalog().Prepare(*files);
  if (!set.ok()) {
    return set.status().code() == StatusCode::kInvalidArgument
               ? set.status()
               : InvalidArgument(set.status().message());
  }
  auto installed = engine.catalog().Install(*set, engine.store(), engine.clock().Now());
  return installed.status();
}

void WorkflowReloader::set_surface(http::Surface* surface) {
  std::lock_guard lock(mu_);
  targets_.surface = surface;
}

void WorkflowReloader::Shutdown() {
  std::lock_guard lock(mu_);
  stopped_ = true;
}

ReloadReport WorkflowReloader::Reload() {
  ReloadReport report;
  {
    std::lock_guard lock(mu_);
    if (stopped_) {
      report.outcome = ReloadReport::Outcome::kFailed;
      report.errors.push_back("the engine is stopping");
    } else {
      report = ReloadLocked();
    }
  }
  metrics::Registry::Default().CounterAdd(kReloadsCounter,
                                          {{"result", std::string(report.result())}});
  if (targets_.log) {
    const bool bad = report.outcome == ReloadReport::Outcome::kRejected ||
                     report.outcome == ReloadReport::Outcome::kFailed;
    targets_.log(std::string(bad ? "[error] " : "[info] ") + report.Summary());
    for (const std::string& error : report.errors) targets_.log("[error] reload: " + error);
    for (const std::string& warning : report.warnings) {
      targets_.log("[warn] reload: " + warning);
    }
    for (const std::string& note : report.notes) targets_.log("[warn] reload: " + note);
  }
  return report;
}

ReloadReport WorkflowReloader::ReloadLocked() {
  using Outcome = ReloadReport::Outcome;
  ReloadReport report;
  runtime::Engine& engine = *targets_.engine;
  runtime::WorkflowCatalog& catalog = engine.catalog();
  if (targets_.config_file && FileHash(targets_.config_file) != config_hash_) {
    report.notes.push_back("the engine configuration " + *targets_.config_file +
                           " changed since the engine started: a reload reads workflows and "
                           "rule scripts only; restart the engine for its changes (listen "
                           "address, plugins, secrets, webhook sources, workflows: overrides)");
  }
  auto reject = [&](Outcome outcome, const Status& status) {
    report.outcome = outcome;
    report.errors = Lines(status.message());
    if (report.errors.empty()) report.errors.push_back(status.ToString());
    report.workflows = catalog.Currents();
    return report;
  };

  auto files = ListWorkflowFiles(targets_.workflows_dir);
  if (!files.ok()) return reject(Outcome::kRejected, files.status());
  auto set = catalog.Prepare(*files);
  if (!set.ok()) return reject(Outcome::kRejected, set.status());
  std::optional<http::RestTriggers::Table> routes;
  if (targets_.surface != nullptr) {
    auto table = targets_.surface->rest().Prepare(*set);
    if (!table.ok()) return reject(Outcome::kRejected, table.status());
    Status free = targets_.surface->rest().Check(targets_.surface->router(), *table);
    if (!free.ok()) return reject(Outcome::kRejected, free);
    routes = std::move(table).value();
  }
  report.changes = catalog.Compare(*set);
  if (!report.changes.any()) {
    report.outcome = Outcome::kUnchanged;
    report.workflows = catalog.Currents();
    return report;
  }

  const auto old_topics = catalog.QueueTopics();
  const auto new_topics = runtime::QueueTopicsOf(*set);
  if (routes) {
    Status s = targets_.surface->rest().Install(targets_.surface->router(), std::move(*routes));
    if (!s.ok()) return reject(Outcome::kFailed, s);
  }
  auto installed = catalog.Install(*set, engine.store(), engine.clock().Now());
  if (!installed.ok()) {
    if (routes) {
      // Back to the routes of the set still current.
      Status back = targets_.surface->rest().Register(targets_.surface->router());
      if (!back.ok()) report.warnings.push_back("the REST routes: " + back.message());
    }
    return reject(Outcome::kFailed, installed.status());
  }
  report.outcome = Outcome::kReloaded;
  report.changes = std::move(installed).value();
  report.workflows = catalog.Currents();

  if (Status s = engine.SyncSchedules(); !s.ok()) {
    report.warnings.push_back(
        "the schedules were not updated (they are on the next reload or "
        "restart): " +
        s.message());
  }
  if (targets_.plugins != nullptr && old_topics != new_topics) {
    // The event sources of `queue:` triggers: stopped (each finishes the
    // message in hand) and started again for the new set's topics.
    targets_.plugins->StopSources();
    if (!new_topics.empty()) {
      if (targets_.surface == nullptr) {
        report.warnings.push_back("the event sources of queue: triggers were not restarted");
      } else if (Status s = targets_.plugins->StartSources(
                     new_topics, plugin::PublishThrough(targets_.surface->committer()));
                 !s.ok()) {
        report.warnings.push_back(s.message());
      }
    }
  }
  engine.store().Notify();  // idle workers look at the (new) schedules' due times
  return report;
}

}  // namespace storeflow::app
