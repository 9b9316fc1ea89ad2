#pragma once

// The `storeflow` sub-commands. Each takes the arguments after its own name and
// returns the process exit code: 0 success, 1 the checked thing failed (invalid
// workflow, failing rule test, failed run), 2 usage error.

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace storeflow::store {
class Store;
}  // namespace storeflow::store

namespace storeflow::app {

using Args = std::vector<std::string>;

int RunValidateCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunRulesCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunRunCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunServeCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunMigrateCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunRunsCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunDlqCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunEventsCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunPluginsCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunRecordsCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunDemoCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunPurgeCommand(const Args& args, std::ostream& out, std::ostream& err);
int RunReconcileCommand(const Args& args, std::ostream& out, std::ostream& err);

// Shared by the store commands (cmd_migrate.cpp).
// Removes `--db URL` from `args`; returns it, else $STOREFLOW_DB, else nullopt.
std::optional<std::string> TakeDatabaseUrl(Args& args);
// The database of a command without --db and STOREFLOW_DB.
inline constexpr const char* kDefaultCommandDatabase = "sqlite:storeflow.db";
// The database of the runs/dlq/events/migrate commands: `url`, or kDefaultCommandDatabase.
Result<std::unique_ptr<store::Store>> OpenCommandStore(const std::optional<std::string>& url,
                                                       bool migrate = true);
// The database of a command that only reads (runs, events, dlq list|show, records
// list|get): as OpenCommandStore, but when a running engine (or a command that
// writes) holds the SQLite file, opened read-only beside it (WAL reader: no lock,
// no migration; store/read_only.h). See command_store.cpp.
Result<std::unique_ptr<store::Store>> OpenReadStore(const std::optional<std::string>& url);
// The database of a command that writes: OpenCommandStore; when another process
// holds the SQLite file, FailedPrecondition saying so, that `command` (e.g.
// "dlq retry") writes to it, and `instead` (what to do instead, whole sentences).
Result<std::unique_ptr<store::Store>> OpenWriteStore(const std::optional<std::string>& url,
                                                     std::string_view command,
                                                     std::string_view instead, bool migrate = true);
// The running engine's admin API for advice: $STOREFLOW_API_URL, else
// http://127.0.0.1:8080 (as `storeflow reconcile`), with "/api/v1" appended.
std::string AdminApiForAdvice();
// Removes `--NAME VALUE` from `args`; nullopt when absent; "" when the value is missing.
std::optional<std::string> TakeOption(Args& args, const std::string& name);
// Removes `--NAME` from `args`; whether it was there.
bool TakeFlag(Args& args, const std::string& name);

}  // namespace storeflow::app
