// How the store commands open the database beside a running engine: the ones
// that only read open a SQLite file an engine holds read-only; the ones that
// write are refused with what to do instead (the admin API, or stop the engine).

#include <cstdlib>
#include <string>

#include "app/commands.h"
#include "store/read_only.h"
#include "store/store.h"

namespace storeflow::app {
namespace {

Result<std::unique_ptr<store::Store>> OpenBesideHolder(const std::string& url) {
  return store::OpenReadOnly(url, /*pool_size=*/2);
}

}  // namespace

Result<std::unique_ptr<store::Store>> OpenReadStore(const std::optional<std::string>& url) {
  const std::string target = url.value_or(kDefaultCommandDatabase);
  if (store::SqliteHolder(target)) return OpenBesideHolder(target);
  auto store = OpenCommandStore(url);
  // An engine may have taken the file between the probe and the open.
  if (!store.ok() && store::SqliteHolder(target)) return OpenBesideHolder(target);
  return store;
}

Result<std::unique_ptr<store::Store>> OpenWriteStore(const std::optional<std::string>& url,
                                                     std::string_view command,
                                                     std::string_view instead, bool migrate) {
  auto store = OpenCommandStore(url, migrate);
  if (store.ok()) return store;
  const std::string target = url.value_or(kDefaultCommandDatabase);
  const auto holder = store::SqliteHolder(target);
  if (!holder) return store;
  return FailedPrecondition(
      "the database " + target + " is in use by a running storeflow process (pid " + *holder +
      "), and `storeflow " + std::string(command) +
      "` writes to it: one process writes a SQLite file. " + std::string(instead) +
      "\n(Commands that only read work beside it: runs list|show, events list, dlq list|show, "
      "records list|get.)");
}

std::string AdminApiForAdvice() {
  const char* env = std::getenv("STOREFLOW_API_URL");
  std::string base = env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8080";
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/api/v1";
}

}  // namespace storeflow::app
