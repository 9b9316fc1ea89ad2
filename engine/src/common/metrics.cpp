#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace storeflow::metrics {

namespace {

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
    return buffer;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.15g", value);  // shortest that reads back
  if (std::strtod(buffer, nullptr) != value) std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

std::string LabelText(const Labels& labels, const std::string* le = nullptr) {
  if (labels.empty() && le == nullptr) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += SanitizeMetricName(key);
    out += "=\"";
    out += EscapeLabelValue(value);
    out += '"';
  }
  if (le != nullptr) {
    if (!first) out += ',';
    out += "le=\"" + *le + "\"";
  }
  out += '}';
  return out;
}

// HELP text escapes backslash and newline (text format 0.0.4).
std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

const char* TypeName(Type type) {
  switch (type) {
    case Type::kCounter: return "counter";
    case Type::kGauge: return "gauge";
    case Type::kHistogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

const std::vector<double>& DefaultSecondsBuckets() {
  static const std::vector<double> buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                              0.5,   1,      2.5,   5,    10,    30,   60};
  return buckets;
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string SanitizeMetricName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    out += ok ? c : '_';
  }
  if (out.empty()) out = "_";
  return out;
}

Registry& Registry::Default() {
  static Registry* registry = new Registry();  // never destroyed: used until exit
  return *registry;
}

Registry::Family& Registry::FamilyFor(std::string_view name, Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    Family family;
    family.type = type;
    if (type == Type::kHistogram) family.buckets = DefaultSecondsBuckets();
    it = families_.emplace(std::string(name), std::move(family)).first;
  }
  return it->second;
}

void Registry::Describe(std::string_view name, Type type, std::string_view help,
                        std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  Family& family = FamilyFor(name, type);
  family.type = type;
  family.help = std::string(help);
  if (type == Type::kHistogram && !buckets.empty()) {
    std::sort(buckets.begin(), buckets.end());
    family.buckets = std::move(buckets);
  }
}

void Registry::CounterAdd(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  FamilyFor(name, Type::kCounter).series[labels].value += value;
}

void Registry::GaugeSet(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  FamilyFor(name, Type::kGauge).series[labels].value = value;
}

void Registry::GaugeAdd(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  FamilyFor(name, Type::kGauge).series[labels].value += value;
}

void Registry::Observe(std::string_view name, const Labels& labels, double value) {
  std::lock_guard lock(mu_);
  Family& family = FamilyFor(name, Type::kHistogram);
  Series& series = family.series[labels];
  if (series.bucket_counts.size() != family.buckets.size()) {
    series.bucket_counts.assign(family.buckets.size(), 0);
  }
  auto bound = std::lower_bound(family.buckets.begin(), family.buckets.end(), value);
  if (bound != family.buckets.end()) series.bucket_counts[bound - family.buckets.begin()] += 1;
  series.value += value;
  series.count += 1;
}

void Registry::AddCollector(std::function<void(Registry&)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

double Registry::Value(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto series = it->second.series.find(labels);
  if (series == it->second.series.end()) return 0;
  return it->second.type == Type::kHistogram ? series->second.count : series->second.value;
}

std::map<std::string, std::map<Labels, double>> Registry::Values(std::string_view prefix) const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::map<Labels, double>> out;
  for (auto it = families_.lower_bound(prefix);
       it != families_.end() && std::string_view(it->first).substr(0, prefix.size()) == prefix;
       ++it) {
    auto& values = out[it->first];
    for (const auto& [labels, series] : it->second.series) {
      values[labels] = it->second.type == Type::kHistogram ? series.count : series.value;
    }
  }
  return out;
}

std::string Registry::Render() const {
  std::vector<std::function<void(Registry&)>> collectors;
  {
    std::lock_guard lock(mu_);
    collectors = collectors_;
  }
  for (auto& collector : collectors) collector(const_cast<Registry&>(*this));

  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    if (!family.help.empty()) out += "# HELP " + name + " " + EscapeHelp(family.help) + "\n";
    out += "# TYPE " + name + " " + TypeName(family.type) + "\n";
    for (const auto& [labels, series] : family.series) {
      if (family.type != Type::kHistogram) {
        out += name + LabelText(labels) + " " + FormatNumber(series.value) + "\n";
        continue;
      }
      double cumulative = 0;
      for (std::size_t i = 0; i < family.buckets.size(); ++i) {
        if (i < series.bucket_counts.size()) cumulative += series.bucket_counts[i];
        std::string le = FormatNumber(family.buckets[i]);
        out += name + "_bucket" + LabelText(labels, &le) + " " + FormatNumber(cumulative) + "\n";
      }
      std::string inf = "+Inf";
      out += name + "_bucket" + LabelText(labels, &inf) + " " + FormatNumber(series.count) + "\n";
      out += name + "_sum" + LabelText(labels) + " " + FormatNumber(series.value) + "\n";
      out += name + "_count" + LabelText(labels) + " " + FormatNumber(series.count) + "\n";
    }
  }
  return out;
}

void Registry::Clear() {
  std::lock_guard lock(mu_);
  families_.clear();
  collectors_.clear();
}

}  // namespace storeflow::metrics
