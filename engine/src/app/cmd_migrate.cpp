// `storeflow migrate [--db URL]`, and the database helpers of the store commands.

#include <algorithm>
#include <cstdlib>
#include <ostream>

#include "app/commands.h"
#include "store/store.h"

namespace storeflow::app {

std::optional<std::string> TakeOption(Args& args, const std::string& name) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name) {
      std::string value = i + 1 < args.size() ? args[i + 1] : "";
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i),
                 args.begin() + static_cast<std::ptrdiff_t>(std::min(i + 2, args.size())));
      return value;
    }
    if (args[i].rfind(name + "=", 0) == 0) {
      std::string value = args[i].substr(name.size() + 1);
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      return value;
    }
  }
  return std::nullopt;
}

bool TakeFlag(Args& args, const std::string& name) {
  auto it = std::find(args.begin(), args.end(), name);
  if (it == args.end()) return false;
  args.erase(it);
  return true;
}

std::optional<std::string> TakeDatabaseUrl(Args& args) {
  if (auto db = TakeOption(args, "--db")) return db;
  const char* env = std::getenv("STOREFLOW_DB");
  if (env != nullptr && *env != '\0') return std::string(env);
  return std::nullopt;
}

Result<std::unique_ptr<store::Store>> OpenCommandStore(const std::optional<std::string>& url,
                                                       bool migrate) {
  store::OpenOptions options;
  options.migrate = migrate;
  options.pool_size = 2;
  return store::Store::Open(url.value_or(kDefaultCommandDatabase), options);
}

int RunMigrateCommand(const Args& input, std::ostream& out, std::ostream& err) {
  Args args = input;
  const auto url = TakeDatabaseUrl(args);
  if (url && url->empty()) {
    err << "storeflow migrate: --db needs a URL\n";
    return 2;
  }
  if (!args.empty()) {
    err << "storeflow migrate: unexpected argument '" << args[0]
        << "'\nusage: storeflow migrate [--db URL]\n";
    return 2;
  }
  auto store = OpenWriteStore(
      url, "migrate",
      "The engine applied its migrations when it opened the database. To move to a newer "
      "storeflow, stop the engine and start the new release (it migrates as it opens the "
      "database), or run `storeflow migrate` while the engine is stopped.",
      true);
  if (!store.ok()) {
    err << "storeflow migrate: " << store.status().message() << "\n";
    return 1;
  }
  auto version = (*store)->SchemaVersion();
  if (!version.ok()) {
    err << "storeflow migrate: " << version.status().message() << "\n";
    return 1;
  }
  out << (*store)->display_url() << ": schema version " << *version << " (latest "
      << store::Store::LatestSchemaVersion() << ")\n";
  return 0;
}

}  // namespace storeflow::app
