#include "plugin/plugin_metrics.h"

#include <algorithm>
#include <array>
#include <utility>

namespace storeflow::plugin {
namespace {

using Json = nlohmann::json;

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool IsPlainName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Units Prometheus wants in another (base) unit: the unit, then what to use.
constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kNonBaseUnits = {{
    {"milliseconds", "seconds"},
    {"microseconds", "seconds"},
    {"nanoseconds", "seconds"},
    {"ms", "seconds"},
    {"minutes", "seconds"},
    {"hours", "seconds"},
    {"days", "seconds"},
    {"weeks", "seconds"},
    {"kilobytes", "bytes"},
    {"megabytes", "bytes"},
    {"gigabytes", "bytes"},
    {"kibibytes", "bytes"},
    {"mebibytes", "bytes"},
    {"gibibytes", "bytes"},
    {"bits", "bytes"},
    {"percent", "ratio"},
}};

const char* TypeWord(metrics::Type type) {
  switch (type) {
    case metrics::Type::kCounter: return "counter";
    case metrics::Type::kGauge: return "gauge";
    case metrics::Type::kHistogram: return "histogram";
  }
  return "metric";
}

}  // namespace

Result<std::vector<MetricSpec>> ParseMetricSpecs(const Json& list, const std::string& origin) {
  auto bad = [&](const std::string& message) {
    return InvalidArgument(origin + ": manifest: " + message);
  };
  if (!list.is_array()) return bad("'metrics' must be a list of {name, type, help, unit}");
  std::vector<MetricSpec> specs;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& m = list[i];
    const std::string where = "metrics[" + std::to_string(i) + "]";
    if (!m.is_object()) return bad(where + " must be an object");
    if (!m.contains("name") || !m["name"].is_string() ||
        !IsPlainName(m["name"].get<std::string>())) {
      return bad(where + ": 'name' must be a string of letters, digits and '_' (not first)");
    }
    MetricSpec spec;
    spec.name = m["name"].get<std::string>();
    const std::string what = where + " ('" + spec.name + "')";
    const std::string type = m.value("type", std::string());
    if (type == "counter") {
      spec.type = metrics::Type::kCounter;
    } else if (type == "gauge") {
      spec.type = metrics::Type::kGauge;
    } else if (type == "histogram") {
      spec.type = metrics::Type::kHistogram;
    } else {
      return bad(what + ": 'type' must be \"counter\", \"gauge\" or \"histogram\"");
    }
    if (!m.contains("help") || !m["help"].is_string() || m["help"].get<std::string>().empty()) {
      return bad(what + ": 'help' (a non-empty string saying what it counts) is required");
    }
    spec.help = m["help"].get<std::string>();
    if (m.contains("unit") && !m["unit"].is_null()) {
      if (!m["unit"].is_string()) return bad(what + ": 'unit' must be a string");
      spec.unit = m["unit"].get<std::string>();
      if (!IsPlainName(spec.unit) || spec.unit.front() == '_') {
        return bad(what + ": 'unit' must be a word such as \"seconds\" or \"bytes\"");
      }
      for (const auto& [unit, base] : kNonBaseUnits) {
        if (spec.unit == unit) {
          return bad(what + ": unit '" + spec.unit + "' is not a base unit; use '" +
                     std::string(base) + "' (Prometheus convention)");
        }
      }
    }
    if (m.contains("buckets")) {
      if (spec.type != metrics::Type::kHistogram) {
        return bad(what + ": 'buckets' is for histograms only");
      }
      if (!m["buckets"].is_array() || m["buckets"].empty()) {
        return bad(what + ": 'buckets' must be a non-empty list of numbers");
      }
      for (const Json& bound : m["buckets"]) {
        if (!bound.is_number()) return bad(what + ": 'buckets' must be a list of numbers");
        spec.buckets.push_back(bound.get<double>());
      }
    }
    for (const MetricSpec& other : specs) {
      if (other.name == spec.name) return bad("metric '" + spec.name + "' is listed twice");
    }
    specs.push_back(std::move(spec));
  }
  return specs;
}

std::string ExportedMetricName(std::string_view plugin, std::string_view name, metrics::Type type,
                               std::string_view unit) {
  std::string stem =
      "storeflow_plugin_" + std::string(plugin) + "_" + metrics::SanitizeMetricName(name);
  const bool counter = type == metrics::Type::kCounter;
  if (counter && EndsWith(stem, "_total")) stem.resize(stem.size() - 6);
  if (!unit.empty() && !EndsWith(stem, "_" + std::string(unit))) stem += "_" + std::string(unit);
  if (counter) stem += "_total";
  return stem;
}

void PluginMetrics::Declare(std::vector<MetricSpec> specs, metrics::Registry& registry) {
  std::lock_guard lock(mu_);
  for (MetricSpec& spec : specs) {
    registry.Describe(ExportedMetricName(plugin_, spec.name, spec.type, spec.unit), spec.type,
                      spec.help, spec.buckets);
    std::string name = spec.name;
    declared_.insert_or_assign(std::move(name), std::move(spec));
  }
}

std::string PluginMetrics::Resolve(std::string_view name, metrics::Type type,
                                   metrics::Registry& registry,
                                   const std::function<void(const std::string&)>& warn) {
  std::unique_lock lock(mu_);
  if (auto it = declared_.find(name); it != declared_.end() && it->second.type == type) {
    return ExportedMetricName(plugin_, name, type, it->second.unit);
  }
  const std::string exported = ExportedMetricName(plugin_, name, type);
  if (!undeclared_seen_.emplace(std::string(name), type).second) return exported;
  lock.unlock();
  const std::string kind = TypeWord(type);
  registry.Describe(exported, type,
                    "Plugin " + plugin_ + " " + kind + " '" + std::string(name) +
                        "' (not declared in the plugin's manifest).");
  if (warn) {
    warn(kind + " '" + std::string(name) +
         "' is not declared in the manifest's `metrics` list (name, type, help, unit); exported "
         "as " +
         exported + " with a generic help");
  }
  return exported;
}

}  // namespace storeflow::plugin
