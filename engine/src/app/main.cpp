// storeflow: one executable, sub-commands dispatched here.

#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "app/commands.h"
#include "app/version.h"
#include "plugin/plugin_worker.h"

namespace {

constexpr std::string_view kUsage = R"(storeflow — a workflow engine for commerce automation

Usage: storeflow <command> [options]

Commands:
  validate [--root DIR] [PATH...]       check workflow files or folders (default: workflows/);
                                        rule paths resolve against DIR (default: .)
  rules eval SCRIPT.lua#FUNCTION --input FILE.json|-
                                        call a Lua rule and print its result as JSON
  rules test [PATH]                     run the rule test cases next to the scripts (default: scripts/)
  run WORKFLOW.yaml --input FILE.json|- [--db URL] [--clock virtual] [--config FILE]
                                        start one run, drive it to its end, print it as JSON
                                        (exit 1 when it did not complete)
  serve [--db URL] [--workflows DIR] [--workers N] [--listen HOST:PORT] [--dev]
                                        run the engine and its HTTP server (webhooks, REST
                                        triggers, /metrics, the admin API /api/v1) until
                                        SIGTERM/SIGINT, then drain and exit 0; SIGHUP
                                        reloads the workflows and rule scripts
  demo [--dir DIR] [--db URL] [--carts N] [--seed N] [--days N]
                                        the main job: serve the shop API and play a shopper's
                                        visit over HTTP, then a scripted commerce day against
                                        the Shopify simulator (files in DIR, default var/demo;
                                        SQLite there, or --db postgresql://... for databases
                                        of its own on that server); exit 0 when every check
                                        holds (storeflow demo --help)
  migrate [--db URL]                    apply the database migrations
  purge [--db URL] [--config FILE]      delete now what retention.* no longer keeps (serve
                                        does it every retention.interval)
  runs list [--workflow W] [--status S] | show ID
                                        inspect runs
  dlq list | show ID | retry ID... | retry --all --workflow W | discard ID...
                                        the dead-letter list (failed runs)
  events list [--topic T]               inspect stored events
  reconcile [--shop D] [--window 7d] [--wait] | list | show ID
                                        start a reconciliation of the Shopify sync on a running
                                        serve (--api URL, token STOREFLOW_ADMIN_TOKEN); list or
                                        show the reports (exit 1 with --wait unless ok)
  records import COLLECTION FILE.json --key FIELD | list COLLECTION | get COLLECTION KEY
                                        load seed data (e.g. the product catalogue) into
                                        the records store.* actions read; inspect them
  plugins list [--json] | describe NAME
                                        the plugins found (version, ABI, path, actions, load
                                        errors); a plugin's actions with input schemas and
                                        examples (NAME: a plugin, `builtin` or an action)
  help                                  show this text
  --version                             print the version

Exit codes: 0 ok, 1 the checked thing failed, 2 usage error.
The database (run, migrate, purge, runs, dlq, events, records): --db URL or STOREFLOW_DB (sqlite:PATH or
postgresql://...); default sqlite:storeflow.db (run: a fresh temporary one). Beside a running
serve on a SQLite file, runs, events, dlq list|show and records list|get read it read-only; the
commands that write refuse it and say what to do instead (docs/operations.md).
Documentation: docs/quickstart.md, docs/operations.md, docs/workflow-dsl.md, docs/lua-rules.md
)";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string_view command = argv[1];
  storeflow::app::Args rest(argv + 2, argv + argc);
  try {
    if (command == "--version" || command == "version") {
      std::cout << "storeflow " << storeflow::app::kVersion << "\n";
      return 0;
    }
    if (command == "help" || command == "--help" || command == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (command == "validate")
      return storeflow::app::RunValidateCommand(rest, std::cout, std::cerr);
    if (command == "rules") return storeflow::app::RunRulesCommand(rest, std::cout, std::cerr);
    if (command == "run") return storeflow::app::RunRunCommand(rest, std::cout, std::cerr);
    if (command == "serve") return storeflow::app::RunServeCommand(rest, std::cout, std::cerr);
    if (command == "migrate") return storeflow::app::RunMigrateCommand(rest, std::cout, std::cerr);
    if (command == "purge") return storeflow::app::RunPurgeCommand(rest, std::cout, std::cerr);
    if (command == "runs") return storeflow::app::RunRunsCommand(rest, std::cout, std::cerr);
    if (command == "dlq") return storeflow::app::RunDlqCommand(rest, std::cout, std::cerr);
    if (command == "events") return storeflow::app::RunEventsCommand(rest, std::cout, std::cerr);
    if (command == "plugins") return storeflow::app::RunPluginsCommand(rest, std::cout, std::cerr);
    if (command == "records") return storeflow::app::RunRecordsCommand(rest, std::cout, std::cerr);
    if (command == "demo") return storeflow::app::RunDemoCommand(rest, std::cout, std::cerr);
    if (command == "reconcile") {
      return storeflow::app::RunReconcileCommand(rest, std::cout, std::cerr);
    }
    // Not for people: the engine starts it for a plugin in plugins.isolate.
    if (command == storeflow::plugin::kPluginWorkerCommand && rest.size() == 2) {
      return storeflow::plugin::RunPluginWorker(rest[0], std::stoi(rest[1]));
    }
  } catch (const std::exception& e) {
    // Modules report errors as Status; reaching here is a bug worth a clear line.
    std::cerr << "storeflow: internal error: " << e.what() << "\n";
    return 70;
  }
  std::cerr << "storeflow: unknown command \"" << command << "\"; run `storeflow help`\n";
  return 2;
}
