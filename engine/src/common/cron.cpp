#include "common/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

namespace storeflow {
namespace {

constexpr std::int64_t kSecondsPerDay = 86'400;
// How far apart in local time two candidates can be while their instants still
// compete (covers any real DST overlap or gap).
constexpr std::int64_t kTransitionWindow = 3 * 3600;
// How many years ahead NextAfter looks. A date that exists recurs on each
// weekday within 40 years (Feb 29 on a given weekday: 2088 -> 2128 skips the
// non-leap 2100), so `0 0 29 2 */15` (Feb 29 that is a Sunday, the `*`-led
// weekday field meaning AND as in Vixie cron) is found from any start.
constexpr int kHorizonYears = 41;

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED",
                                                       "THU", "FRI", "SAT"};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  const std::string_view* names;  // nullptr when the field has no names
  int name_count;
  int name_base;  // the value of names[0]
};

constexpr FieldSpec kSecondField = {"second", 0, 59, nullptr, 0, 0};
constexpr FieldSpec kFields[] = {
    {"minute", 0, 59, nullptr, 0, 0},
    {"hour", 0, 23, nullptr, 0, 0},
    {"day-of-month", 1, 31, nullptr, 0, 0},
    {"month", 1, 12, kMonthNames.data(), 12, 1},
    {"day-of-week", 0, 7, kDayNames.data(), 7, 0},
};

bool IsLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

int Weekday(int y, int m, int d) {
  std::int64_t days = DaysFromCivil(y, m, d);
  return static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
}

std::int64_t LocalSeconds(const CivilTime& c) {
  return DaysFromCivil(c.year, c.month, c.day) * kSecondsPerDay + c.hour * 3600 + c.minute * 60;
}

bool SameMinute(const CivilTime& a, const CivilTime& b) {
  return a.year == b.year && a.month == b.month && a.day == b.day && a.hour == b.hour &&
         a.minute == b.minute;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return out;
}

class CronParser {
 public:
  explicit CronParser(std::string_view text) : text_(text) {}

  Status Error(const std::string& why) const {
    return InvalidArgument("invalid cron \"" + std::string(text_) + "\": " + why);
  }

  // One value: a number or (for months and days) a name.
  Status ParseValue(std::string_view token, const FieldSpec& spec, int& out) const {
    if (token.empty()) return Error("empty value in " + std::string(spec.name));
    if (std::isdigit(static_cast<unsigned char>(token[0]))) {
      int value = 0;
      for (char ch : token) {
        if (!std::isdigit(static_cast<unsigned char>(ch))) {
          return Error("\"" + std::string(token) + "\" is not a number in " +
                       std::string(spec.name));
        }
        value = value * 10 + (ch - '0');
        if (value > 1000) break;
      }
      if (value < spec.min || value > spec.max) {
        return Error(std::string(spec.name) + " " + std::string(token) + " is out of range " +
                     std::to_string(spec.min) + "-" + std::to_string(spec.max));
      }
      out = value;
      return Status::Ok();
    }
    std::string upper = Upper(token);
    for (int i = 0; i < spec.name_count; ++i) {
      if (spec.names[i] == upper) {
        out = spec.name_base + i;
        return Status::Ok();
      }
    }
    if (token == "?") return Error("'?' is not supported; use '*'");
    std::string msg = "unknown " + std::string(spec.name) + " \"" + std::string(token) + "\"";
    if (spec.name_count > 0) {
      msg += " (use " + std::to_string(spec.min) + "-" + std::to_string(spec.max) + " or " +
             std::string(spec.names[0]) + ".." + std::string(spec.names[spec.name_count - 1]) + ")";
    } else {
      msg += " (use " + std::to_string(spec.min) + "-" + std::to_string(spec.max) + ")";
    }
    return Error(msg);
  }

  // A comma list of items; sets the bits of `mask` (bit i = value i).
  Status ParseField(std::string_view field, const FieldSpec& spec, std::uint64_t& mask) const {
    mask = 0;
    size_t start = 0;
    while (true) {
      size_t comma = field.find(',', start);
      std::string_view item = field.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      STOREFLOW_RETURN_IF_ERROR(ParseItem(item, spec, mask));
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    return Status::Ok();
  }

 private:
  Status ParseItem(std::string_view item, const FieldSpec& spec, std::uint64_t& mask) const {
    if (item.empty()) return Error("empty list item in " + std::string(spec.name));
    std::string_view range = item;
    int step = 1;
    bool has_step = false;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      range = item.substr(0, slash);
      std::string_view step_text = item.substr(slash + 1);
      if (step_text.empty() || !std::all_of(step_text.begin(), step_text.end(), [](char ch) {
            return std::isdigit(static_cast<unsigned char>(ch));
          })) {
        return Error("step \"" + std::string(step_text) + "\" in " + std::string(spec.name) +
                     " must be a positive number");
      }
      step = step_text.size() > 4 ? 10000 : std::stoi(std::string(step_text));
      if (step == 0) return Error("step 0 in " + std::string(spec.name) + " must be positive");
      has_step = true;
    }
    // Day of week 7 is Sunday, but `*` and open ranges stop at Saturday.
    int top = spec.name == "day-of-week" ? 6 : spec.max;
    int lo = 0;
    int hi = 0;
    if (range == "*") {
      lo = spec.min;
      hi = top;
    } else if (size_t dash = range.find('-'); dash != std::string_view::npos) {
      STOREFLOW_RETURN_IF_ERROR(ParseValue(range.substr(0, dash), spec, lo));
      STOREFLOW_RETURN_IF_ERROR(ParseValue(range.substr(dash + 1), spec, hi));
      if (lo > hi) {
        return Error("range " + std::string(range) + " in " + std::string(spec.name) +
                     " goes backwards");
      }
    } else {
      STOREFLOW_RETURN_IF_ERROR(ParseValue(range, spec, lo));
      hi = has_step ? std::max(top, lo) : lo;  // `7/2` is Sunday alone
    }
    for (int v = lo; v <= hi; v += step) {
      int bit = spec.name == "day-of-week" && v == 7 ? 0 : v;
      mask |= std::uint64_t{1} << bit;
    }
    return Status::Ok();
  }

  std::string_view text_;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> SplitFields(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace

Result<CronSchedule> ParseCron(std::string_view text) {
  CronSchedule schedule;
  CronParser parser(text);
  std::string_view body = Trim(text);
  if (body.empty()) return parser.Error("empty schedule");

  for (std::string_view prefix : {std::string_view("CRON_TZ="), std::string_view("TZ=")}) {
    if (body.substr(0, prefix.size()) == prefix) {
      body.remove_prefix(prefix.size());
      size_t end = 0;
      while (end < body.size() && !std::isspace(static_cast<unsigned char>(body[end]))) ++end;
      schedule.timezone_ = std::string(body.substr(0, end));
      if (schedule.timezone_.empty()) return parser.Error("CRON_TZ= names no time zone");
      body = Trim(body.substr(end));
      break;
    }
  }

  std::string expanded;
  if (!body.empty() && body[0] == '@') {
    std::string macro = Upper(body);
    if (macro == "@YEARLY" || macro == "@ANNUALLY") {
      expanded = "0 0 1 1 *";
    } else if (macro == "@MONTHLY") {
      expanded = "0 0 1 * *";
    } else if (macro == "@WEEKLY") {
      expanded = "0 0 * * 0";
    } else if (macro == "@DAILY" || macro == "@MIDNIGHT") {
      expanded = "0 0 * * *";
    } else if (macro == "@HOURLY") {
      expanded = "0 * * * *";
    } else {
      return parser.Error("unknown macro \"" + std::string(body) +
                          "\" (use @yearly, @monthly, @weekly, @daily or @hourly)");
    }
    body = expanded;
  }

  std::vector<std::string_view> fields = SplitFields(body);
  if (fields.size() != 5 && fields.size() != 6) {
    return parser.Error(
        "expected 5 fields (minute hour day-of-month month day-of-week), or 6 with a leading "
        "second, got " +
        std::to_string(fields.size()));
  }
  std::uint64_t second_mask = 1;  // five fields: at second 0
  if (fields.size() == 6) {
    STOREFLOW_RETURN_IF_ERROR(parser.ParseField(fields[0], kSecondField, second_mask));
    fields.erase(fields.begin());
  }
  std::uint64_t masks[5] = {};
  for (int i = 0; i < 5; ++i) {
    STOREFLOW_RETURN_IF_ERROR(parser.ParseField(fields[i], kFields[i], masks[i]));
  }
  schedule.expression_ = std::string(body);
  schedule.seconds_ = std::bitset<60>(second_mask);
  schedule.minutes_ = std::bitset<60>(masks[0]);
  schedule.hours_ = std::bitset<24>(masks[1]);
  schedule.days_of_month_ = std::bitset<32>(masks[2]);
  schedule.months_ = std::bitset<13>(masks[3]);
  schedule.days_of_week_ = std::bitset<7>(masks[4]);
  schedule.minute_star_ = fields[0][0] == '*';
  schedule.hour_star_ = fields[1][0] == '*';
  schedule.dom_star_ = fields[2][0] == '*';
  schedule.dow_star_ = fields[4][0] == '*';

  // With AND semantics the day of month alone decides whether the schedule can fire
  // (every weekday falls on every date sooner or later).
  if (schedule.dom_star_ || schedule.dow_star_) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      if (!schedule.months_[m]) continue;
      for (int d = 1; d <= DaysInMonth(2000, m) && !possible; ++d) {
        possible = schedule.days_of_month_[d];
      }
    }
    if (!possible) return parser.Error("the day-of-month never occurs in the given months");
  }
  return schedule;
}

bool CronSchedule::DayMatches(int year, int month, int day) const {
  bool dom = days_of_month_[day];
  bool dow = days_of_week_[Weekday(year, month, day)];
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;
}

bool CronSchedule::Matches(const CivilTime& t) const {
  return seconds_[t.second] && minutes_[t.minute] && hours_[t.hour] && months_[t.month] &&
         DayMatches(t.year, t.month, t.day);
}

namespace {

// Advances `c` (seconds ignored) to the first civil minute at or after it that
// the fields accept (`day_ok` decides days); false past `last_year`.
template <typename DayPredicate>
bool NextCivilMatch(const DayPredicate& day_ok, CivilTime& c, int last_year,
                    const std::bitset<13>& months, const std::bitset<24>& hours,
                    const std::bitset<60>& minutes) {
  c.second = 0;
  while (c.year <= last_year) {
    if (!months[c.month]) {
      c.day = 1;
      c.hour = 0;
      c.minute = 0;
      if (++c.month > 12) {
        c.month = 1;
        ++c.year;
      }
      continue;
    }
    if (c.day > DaysInMonth(c.year, c.month) || !day_ok(c.year, c.month, c.day)) {
      c.hour = 0;
      c.minute = 0;
      if (++c.day > DaysInMonth(c.year, c.month)) {
        c.day = 1;
        if (++c.month > 12) {
          c.month = 1;
          ++c.year;
        }
      }
      continue;
    }
    if (!hours[c.hour]) {
      c.minute = 0;
      if (++c.hour > 23) {
        c.hour = 0;
        ++c.day;  // normalised at the top of the loop
      }
      continue;
    }
    if (!minutes[c.minute]) {
      if (++c.minute > 59) {
        c.minute = 0;
        if (++c.hour > 23) {
          c.hour = 0;
          ++c.day;
        }
      }
      continue;
    }
    c.weekday = Weekday(c.year, c.month, c.day);
    return true;
  }
  return false;
}

void AddMinute(CivilTime& c) {
  if (++c.minute <= 59) return;
  c.minute = 0;
  if (++c.hour <= 23) return;
  c.hour = 0;
  ++c.day;  // NextCivilMatch normalises an overflowing day
}

}  // namespace

std::int64_t CronSchedule::NextAfter(std::int64_t unix_seconds, const TimeZone& zone) const {
  // Candidates are enumerated in civil (local) time from a little before `unix_seconds`
  // so that the second pass of a repeated (fall-back) hour is seen; each candidate's
  // instant is then computed and the smallest one after `unix_seconds` wins.
  CivilTime c = zone.ToCivil(unix_seconds - kTransitionWindow);
  const int last_year = c.year + kHorizonYears;
  const bool wall = follows_wall_clock();
  auto day_ok = [this](int y, int m, int d) { return DayMatches(y, m, d); };

  std::int64_t best = kNever;
  std::int64_t best_local = 0;
  // `instant` is the start of a matching minute: its first matching second after
  // `unix_seconds` competes.
  auto consider = [&](std::int64_t instant, std::int64_t local) {
    for (int second = 0; second < 60; ++second) {
      if (!seconds_[second]) continue;
      if (instant + second > unix_seconds && instant + second < best) {
        best = instant + second;
        best_local = local + second;
      }
      if (instant + second > unix_seconds) break;
    }
  };
  while (NextCivilMatch(day_ok, c, last_year, months_, hours_, minutes_)) {
    std::int64_t local = LocalSeconds(c);
    if (best != kNever && local > best_local + kTransitionWindow) break;
    std::int64_t first = zone.FromCivil(c);
    bool exists = SameMinute(zone.ToCivil(first), c);
    if (exists) {
      consider(first, local);
      if (wall) {
        // A repeated civil time has a second instant under the later, smaller offset.
        std::int32_t later_offset = zone.OffsetAt(first + kTransitionWindow);
        if (later_offset < zone.OffsetAt(first)) {
          std::int64_t second = local - later_offset;
          if (second > first && zone.OffsetAt(second) == later_offset &&
              SameMinute(zone.ToCivil(second), c)) {
            consider(second, local);
          }
        }
      }
    } else if (!wall) {
      consider(first, local);  // skipped by a spring-forward: fire where the jump leads
    }
    AddMinute(c);
  }
  return best;
}

}  // namespace storeflow
