#pragma once

// Process-wide metrics in the Prometheus data model: counters, gauges and
// histograms, each a family (name, help, type) of series told apart by labels.
// Thread-safe. Render() writes the Prometheus text exposition format (0.0.4).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace storeflow::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class Type { kCounter, kGauge, kHistogram };

// Histogram bucket bounds for durations in seconds (1 ms .. 60 s).
const std::vector<double>& DefaultSecondsBuckets();

class Registry {
 public:
  // The registry the engine, the HTTP server and plugins report into.
  static Registry& Default();

  // Declares a family's help text (and a histogram's buckets). Optional: an
  // undeclared family gets an empty help and the default buckets.
  void Describe(std::string_view name, Type type, std::string_view help,
                std::vector<double> buckets = {});

  void CounterAdd(std::string_view name, const Labels& labels = {}, double value = 1);
  void GaugeSet(std::string_view name, const Labels& labels, double value);
  void GaugeAdd(std::string_view name, const Labels& labels, double value);
  void Observe(std::string_view name, const Labels& labels, double value);

  // Called at the start of every Render, outside the registry's lock: refreshes
  // gauges that are read from elsewhere (queue depth from the store, ...).
  void AddCollector(std::function<void(Registry&)> collector);

  // The value of a counter or gauge series (0 when absent); a histogram's count.
  double Value(std::string_view name, const Labels& labels = {}) const;
  // Every series of the families whose names start with `prefix`, as Value
  // reads them: family name -> labels -> value (the plugin test kit's counters).
  std::map<std::string, std::map<Labels, double>> Values(std::string_view prefix) const;

  std::string Render() const;

  // Forgets every series and collector (tests).
  void Clear();

 private:
  struct Series {
    double value = 0;                   // counter/gauge; histogram: sum
    std::vector<double> bucket_counts;  // histogram: per bound (not cumulative)
    double count = 0;                   // histogram
  };
  struct Family {
    Type type = Type::kCounter;
    std::string help;
    std::vector<double> buckets;
    std::map<Labels, Series> series;
  };
  Family& FamilyFor(std::string_view name, Type type);  // mu_ held

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<std::function<void(Registry&)>> collectors_;
};

// Escapes a label value for the text format (backslash, quote, newline).
std::string EscapeLabelValue(std::string_view value);
// A valid metric name from arbitrary text: [a-zA-Z0-9_:], other bytes become '_'.
std::string SanitizeMetricName(std::string_view name);

}  // namespace storeflow::metrics
