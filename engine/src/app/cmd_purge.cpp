// `storeflow purge [--db URL] [--config FILE]`: one retention pass now, with the
// configured policy (retention.*), for operators who run it from cron or want
// the space back at once. `storeflow serve` runs the same pass every
// retention.interval on its own.

#include <ostream>

#include "app/commands.h"
#include "app/engine_config.h"
#include "runtime/clock.h"
#include "runtime/retention.h"
#include "store/store.h"

namespace storeflow::app {

int RunPurgeCommand(const Args& raw, std::ostream& out, std::ostream& err) {
  constexpr std::string_view kUsage =
      "usage: storeflow purge [--db URL] [--config FILE]\n"
      "  deletes what retention.* (docs/operations.md) no longer keeps, and prints how much\n";
  Args args = raw;
  const auto db = TakeDatabaseUrl(args);
  const auto config_path = TakeOption(args, "--config");
  if (!args.empty()) {
    err << "storeflow purge: unexpected argument '" << args.front() << "'\n" << kUsage;
    return 2;
  }
  if ((db && db->empty()) || (config_path && config_path->empty())) {
    err << "storeflow purge: --db and --config need a value\n" << kUsage;
    return 2;
  }
  ConfigSources sources;
  if (config_path) sources.file = *config_path;
  auto config = LoadEngineConfig(sources);
  if (!config.ok()) {
    err << "storeflow purge: " << config.status().message() << "\n";
    return 2;
  }
  auto store = OpenWriteStore(
      db, "purge",
      "A running engine makes this pass itself every retention.interval (docs/operations.md, "
      "retention.*); to purge at once, stop it, run `storeflow purge`, and start it again.");
  if (!store.ok()) {
    err << "storeflow purge: " << store.status().message() << "\n";
    return 1;
  }
  runtime::SystemClock clock;
  runtime::RetentionJanitor janitor(**store, clock, config->retention);
  auto counts = janitor.PurgeOnce();
  if (!counts.ok()) {
    err << "storeflow purge: " << counts.status().message() << "\n";
    return 1;
  }
  out << "deleted " << counts->Summary() << "\n";
  return 0;
}

}  // namespace storeflow::app
