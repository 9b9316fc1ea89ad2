#include "script/time_text.h"

#include <cstdio>

namespace storeflow::script {
namespace {

bool IsLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // Exactly `n` digits.
  bool Digits(int n, int* out) {
    int v = 0;
    for (int i = 0; i < n; ++i) {
      char c = Peek();
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
      ++pos_;
    }
    *out = v;
    return true;
  }
  bool IsDigit() const { return Peek() >= '0' && Peek() <= '9'; }
  void Advance() { ++pos_; }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

constexpr const char* kWeekdays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

void AppendOffset(std::string* out, std::int32_t offset, bool colon) {
  char sign = offset < 0 ? '-' : '+';
  std::int32_t a = offset < 0 ? -offset : offset;
  char buf[16];
  std::snprintf(buf, sizeof buf, colon ? "%c%02d:%02d" : "%c%02d%02d", sign, a / 3600, a / 60 % 60);
  out->append(buf);
}

}  // namespace

bool ParseIsoTimestamp(std::string_view text, const TimeZone& zone,
                       std::int64_t* unix_ms) noexcept {
  Scanner in(text);
  int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
  if (!in.Digits(4, &year) || !in.Consume('-') || !in.Digits(2, &month) || !in.Consume('-') ||
      !in.Digits(2, &day)) {
    return false;
  }
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > DaysIn(year, month)) return false;
  bool has_offset = false;
  std::int32_t offset = 0;
  if (!in.AtEnd()) {
    if (!in.Consume('T') && !in.Consume('t') && !in.Consume(' ')) return false;
    if (!in.Digits(2, &hour) || !in.Consume(':') || !in.Digits(2, &minute)) return false;
    if (in.Consume(':')) {
      if (!in.Digits(2, &second)) return false;
      if (in.Consume('.') || in.Consume(',')) {
        if (!in.IsDigit()) return false;
        int scale = 100;
        while (in.IsDigit()) {
          millis += (in.Peek() - '0') * scale;
          scale /= 10;
          in.Advance();
        }
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return false;  // 60: a leap second rolls over
    if (in.Consume('Z') || in.Consume('z')) {
      has_offset = true;
    } else if (in.Peek() == '+' || in.Peek() == '-') {
      int sign = in.Peek() == '-' ? -1 : 1;
      in.Advance();
      int oh = 0, om = 0;
      if (!in.Digits(2, &oh)) return false;
      if (in.Consume(':')) {
        if (!in.Digits(2, &om)) return false;
      } else if (in.IsDigit() && !in.Digits(2, &om)) {
        return false;
      }
      if (oh > 18 || om > 59) return false;
      has_offset = true;
      offset = sign * (oh * 3600 + om * 60);
    }
    if (!in.AtEnd()) return false;
  }
  std::int64_t seconds;
  if (has_offset) {
    seconds = DaysFromCivil(year, month, day) * 86400 + std::int64_t{hour} * 3600 +
              std::int64_t{minute} * 60 + second - offset;
  } else {
    CivilTime local;
    local.year = year;
    local.month = month;
    local.day = day;
    local.hour = hour;
    local.minute = minute;
    local.second = second;
    seconds = zone.FromCivil(local);
  }
  if (seconds < kMinUnixSeconds || seconds > kMaxUnixSeconds) return false;
  *unix_ms = seconds * 1000 + millis;
  return true;
}

bool FormatTimestamp(std::int64_t unix_ms, const TimeZone& zone, std::string_view format,
                     std::string* out) noexcept {
  try {
    std::int64_t seconds = unix_ms >= 0 ? unix_ms / 1000 : -((-unix_ms + 999) / 1000);
    int millis = static_cast<int>(unix_ms - seconds * 1000);
    std::int32_t offset = zone.OffsetAt(seconds);
    CivilTime c = CivilFromUnix(seconds + offset);
    char buf[64];
    out->clear();
    if (format.empty()) {
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day,
                    c.hour, c.minute, c.second);
      out->append(buf);
      if (millis != 0) {
        std::snprintf(buf, sizeof buf, ".%03d", millis);
        out->append(buf);
      }
      if (zone.name() == "UTC") {
        out->push_back('Z');
      } else {
        AppendOffset(out, offset, true);
      }
      return true;
    }
    int yday =
        static_cast<int>(DaysFromCivil(c.year, c.month, c.day) - DaysFromCivil(c.year, 1, 1)) + 1;
    for (std::size_t i = 0; i < format.size(); ++i) {
      char ch = format[i];
      if (ch != '%') {
        out->push_back(ch);
        continue;
      }
      if (++i >= format.size()) {
        *out = "format ends with '%'";
        return false;
      }
      buf[0] = '\0';
      switch (format[i]) {
        case 'Y': std::snprintf(buf, sizeof buf, "%04d", c.year); break;
        case 'y': std::snprintf(buf, sizeof buf, "%02d", c.year % 100); break;
        case 'm': std::snprintf(buf, sizeof buf, "%02d", c.month); break;
        case 'd': std::snprintf(buf, sizeof buf, "%02d", c.day); break;
        case 'e': std::snprintf(buf, sizeof buf, "%2d", c.day); break;
        case 'H': std::snprintf(buf, sizeof buf, "%02d", c.hour); break;
        case 'I': std::snprintf(buf, sizeof buf, "%02d", (c.hour + 11) % 12 + 1); break;
        case 'M': std::snprintf(buf, sizeof buf, "%02d", c.minute); break;
        case 'S': std::snprintf(buf, sizeof buf, "%02d", c.second); break;
        case 'p': out->append(c.hour < 12 ? "AM" : "PM"); break;
        case 'j': std::snprintf(buf, sizeof buf, "%03d", yday); break;
        case 'a': out->append(kWeekdays[c.weekday], 3); break;
        case 'A': out->append(kWeekdays[c.weekday]); break;
        case 'b': out->append(kMonths[c.month - 1], 3); break;
        case 'B': out->append(kMonths[c.month - 1]); break;
        case 'F': std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day); break;
        case 'T':
          std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", c.hour, c.minute, c.second);
          break;
        case 'z': AppendOffset(out, offset, false); break;
        case ':':
          if (i + 1 < format.size() && format[i + 1] == 'z') {
            ++i;
            AppendOffset(out, offset, true);
            break;
          }
          *out = "unknown conversion '%:' in format (did you mean %:z?)";
          return false;
        case 'Z': out->append(zone.name()); break;
        case 's': std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(seconds)); break;
        case '%': out->push_back('%'); break;
        default: {
          std::string m = "unknown conversion '%";
          m.push_back(format[i]);
          m += "' in format (supported: %Y %m %d %e %H %I %M %S %p %y %j %a %A %b %B %F %T %z "
               "%:z %Z %s %%)";
          *out = std::move(m);
          return false;
        }
      }
      out->append(buf);
    }
    return true;
  } catch (...) {
    try {
      *out = "out of memory";
    } catch (...) {
    }
    return false;
  }
}

}  // namespace storeflow::script
