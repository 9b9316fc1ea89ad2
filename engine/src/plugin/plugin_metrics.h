#pragma once

// Plugin metrics: the `metrics` list a plugin declares in its manifest (name,
// type, help, unit) and the names they are exported under at /metrics, following
// Prometheus' conventions: storeflow_plugin_<plugin>_<name>[_<unit>], counters
// ending in `_total`, units in base units (seconds, bytes).

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "common/result.h"

namespace storeflow::plugin {

struct MetricSpec {
  std::string name;  // as the plugin passes it to counter_add / histogram_observe / gauge_set
  metrics::Type type = metrics::Type::kCounter;
  std::string help;
  std::string unit;             // a base unit ("seconds", "bytes"); empty: none
  std::vector<double> buckets;  // histograms; empty: the default seconds buckets
};

// Parses a manifest's `metrics` list; `origin` starts every message. Refuses
// entries without a name, a known type or a help text, names that are not
// [a-zA-Z_][a-zA-Z0-9_]*, duplicate names, and units that are not base units
// ("milliseconds": use "seconds").
Result<std::vector<MetricSpec>> ParseMetricSpecs(const nlohmann::json& list,
                                                 const std::string& origin);

// storeflow_plugin_<plugin>_<name>, then `_<unit>` when `unit` is given and the
// name does not already end with it, then `_total` for a counter that does not.
std::string ExportedMetricName(std::string_view plugin, std::string_view name, metrics::Type type,
                               std::string_view unit = {});

// One plugin's declared metrics. Thread-safe.
class PluginMetrics {
 public:
  explicit PluginMetrics(std::string plugin) : plugin_(std::move(plugin)) {}

  // Describes each declared metric (help, buckets) in `registry`.
  void Declare(std::vector<MetricSpec> specs, metrics::Registry& registry);

  // The exported name of a sample of `name` of `type`. The first sample of a name
  // that is not declared (or declared with another type) describes it with a
  // generic help and calls `warn` with a line saying so; later ones do not.
  std::string Resolve(std::string_view name, metrics::Type type, metrics::Registry& registry,
                      const std::function<void(const std::string&)>& warn);

 private:
  std::string plugin_;
  std::mutex mu_;
  std::map<std::string, MetricSpec, std::less<>> declared_;
  std::set<std::pair<std::string, metrics::Type>> undeclared_seen_;
};

}  // namespace storeflow::plugin
