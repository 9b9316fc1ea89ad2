#include "common/timezone.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace storeflow {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr std::size_t kMaxTzifBytes = 1 << 20;  // real files are < 4 KiB
constexpr std::size_t kMaxZoneNameLength = 255;

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool IsLeapYear(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int DaysInMonth(std::int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// 0 = Sunday.
int WeekdayFromDays(std::int64_t days) {
  return static_cast<int>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
}

// ---------------------------------------------------------------------------
// POSIX TZ strings ("EST5EDT,M3.2.0,M11.1.0"), as used in the footer of TZif
// v2+ files for instants after the last listed transition (RFC 8536 §3.3), with
// the RFC's extensions: hours up to 167 and negative times in the rules.

struct PosixDateRule {
  enum class Kind { kJulian1, kZeroBased, kMonthWeekDay };
  Kind kind = Kind::kMonthWeekDay;
  int day = 0;                   // Jn: 1..365 (Feb 29 never counted); n: 0..365 (counted)
  int month = 0;                 // Mm.w.d
  int week = 0;                  // 1..5, 5 = the last such weekday of the month
  int weekday = 0;               // 0 = Sunday
  std::int32_t time = 2 * 3600;  // local wall time of the transition, seconds
};

struct PosixTz {
  std::int32_t std_offset = 0;  // seconds east of UTC (the POSIX sign is inverted)
  bool has_dst = false;
  std::int32_t dst_offset = 0;
  PosixDateRule start;  // when DST begins (given in standard local time)
  PosixDateRule end;    // when DST ends (given in daylight local time)
};

class PosixTzParser {
 public:
  explicit PosixTzParser(std::string_view s) : s_(s) {}

  std::optional<PosixTz> Parse() {
    PosixTz tz;
    std::int32_t off = 0;
    if (!Name() || !Offset(24, &off)) return std::nullopt;
    tz.std_offset = -off;
    if (AtEnd()) return tz;
    if (!Name()) return std::nullopt;
    tz.has_dst = true;
    tz.dst_offset = tz.std_offset + 3600;
    if (!AtEnd() && Peek() != ',') {
      if (!Offset(24, &off)) return std::nullopt;
      tz.dst_offset = -off;
    }
    if (AtEnd()) {
      // No rule: POSIX leaves it to the implementation; glibc and tzcode use the
      // US rules, and so do we.
      tz.start = {PosixDateRule::Kind::kMonthWeekDay, 0, 3, 2, 0, 7200};
      tz.end = {PosixDateRule::Kind::kMonthWeekDay, 0, 11, 1, 0, 7200};
      return tz;
    }
    if (!Consume(',') || !Rule(&tz.start) || !Consume(',') || !Rule(&tz.end) || !AtEnd()) {
      return std::nullopt;
    }
    return tz;
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  // "EST" (3+ letters) or "<+0530>" (3+ of letters, digits, + and -).
  bool Name() {
    std::size_t start = pos_;
    if (Consume('<')) {
      while (!AtEnd() && Peek() != '>') {
        char c = Peek();
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-') return false;
        ++pos_;
      }
      std::size_t len = pos_ - start - 1;
      return Consume('>') && len >= 3;
    }
    while (!AtEnd() && std::isalpha(static_cast<unsigned char>(Peek()))) ++pos_;
    return pos_ - start >= 3;
  }

  bool Number(int max, int* out) {
    int value = 0;
    std::size_t start = pos_;
    while (!AtEnd() && std::isdigit(static_cast<unsigned char>(Peek()))) {
      value = value * 10 + (Peek() - '0');
      if (value > max) return false;
      ++pos_;
    }
    *out = value;
    return pos_ > start;
  }

  // [+-]hh[:mm[:ss]] in seconds; `max_hours` is 24 for offsets, 167 for rule times.
  bool Offset(int max_hours, std::int32_t* out) {
    int sign = 1;
    if (Consume('-')) {
      sign = -1;
    } else {
      Consume('+');
    }
    int h = 0, m = 0, sec = 0;
    if (!Number(max_hours, &h)) return false;
    if (Consume(':')) {
      if (!Number(59, &m)) return false;
      if (Consume(':') && !Number(59, &sec)) return false;
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }

  bool Rule(PosixDateRule* r) {
    if (Consume('J')) {
      r->kind = PosixDateRule::Kind::kJulian1;
      if (!Number(365, &r->day) || r->day < 1) return false;
    } else if (Consume('M')) {
      r->kind = PosixDateRule::Kind::kMonthWeekDay;
      if (!Number(12, &r->month) || r->month < 1 || !Consume('.')) return false;
      if (!Number(5, &r->week) || r->week < 1 || !Consume('.')) return false;
      if (!Number(6, &r->weekday)) return false;
    } else {
      r->kind = PosixDateRule::Kind::kZeroBased;
      if (!Number(365, &r->day)) return false;
    }
    r->time = 2 * 3600;
    if (Consume('/')) return Offset(167, &r->time);
    return true;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// Local wall-clock seconds (days since the epoch * 86400 + time) of a rule in `year`.
std::int64_t RuleLocalSeconds(const PosixDateRule& r, std::int64_t year) {
  std::int64_t jan1 = DaysFromCivil(static_cast<int>(year), 1, 1);
  std::int64_t days = 0;
  switch (r.kind) {
    case PosixDateRule::Kind::kJulian1:
      days = jan1 + r.day - 1 + ((IsLeapYear(year) && r.day >= 60) ? 1 : 0);
      break;
    case PosixDateRule::Kind::kZeroBased: days = jan1 + r.day; break;
    case PosixDateRule::Kind::kMonthWeekDay: {
      std::int64_t first = DaysFromCivil(static_cast<int>(year), r.month, 1);
      int day = 1 + (r.weekday - WeekdayFromDays(first) + 7) % 7 + (r.week - 1) * 7;
      while (day > DaysInMonth(year, r.month)) day -= 7;  // week 5 = "last"
      days = first + day - 1;
      break;
    }
  }
  return days * kSecondsPerDay + r.time;
}

std::int32_t PosixOffsetAt(const PosixTz& tz, std::int64_t t) {
  if (!tz.has_dst) return tz.std_offset;
  std::int64_t year = CivilFromUnix(t + tz.std_offset).year;
  std::int64_t start = RuleLocalSeconds(tz.start, year) - tz.std_offset;
  std::int64_t end = RuleLocalSeconds(tz.end, year) - tz.dst_offset;
  bool dst = start < end ? (start <= t && t < end)    // northern hemisphere
                         : !(end <= t && t < start);  // southern: DST spans new year
  return dst ? tz.dst_offset : tz.std_offset;
}

// ---------------------------------------------------------------------------
// Zone implementations.

class FixedZone final : public TimeZone {
 public:
  FixedZone(std::string name, std::int32_t offset) : name_(std::move(name)), offset_(offset) {}
  const std::string& name() const override { return name_; }
  std::int32_t OffsetAt(std::int64_t) const override { return offset_; }

 private:
  std::string name_;
  std::int32_t offset_;
};

class PosixZone final : public TimeZone {
 public:
  PosixZone(std::string name, PosixTz tz) : name_(std::move(name)), tz_(tz) {}
  const std::string& name() const override { return name_; }
  std::int32_t OffsetAt(std::int64_t t) const override { return PosixOffsetAt(tz_, t); }

 private:
  std::string name_;
  PosixTz tz_;
};

class TzifZone final : public TimeZone {
 public:
  TzifZone(std::string name, std::vector<std::int64_t> transitions,
           std::vector<std::uint8_t> transition_types, std::vector<std::int32_t> type_offsets,
           std::optional<PosixTz> footer)
      : name_(std::move(name)),
        transitions_(std::move(transitions)),
        transition_types_(std::move(transition_types)),
        type_offsets_(std::move(type_offsets)),
        footer_(footer) {}

  const std::string& name() const override { return name_; }

  std::int32_t OffsetAt(std::int64_t t) const override {
    if (transitions_.empty()) {
      return footer_ ? PosixOffsetAt(*footer_, t) : type_offsets_[0];
    }
    if (t < transitions_.front()) return type_offsets_[0];  // RFC 8536: time type 0
    if (t >= transitions_.back() && footer_) return PosixOffsetAt(*footer_, t);
    auto it = std::upper_bound(transitions_.begin(), transitions_.end(), t);
    std::size_t i = static_cast<std::size_t>(it - transitions_.begin()) - 1;
    return type_offsets_[transition_types_[i]];
  }

 private:
  std::string name_;
  std::vector<std::int64_t> transitions_;
  std::vector<std::uint8_t> transition_types_;
  std::vector<std::int32_t> type_offsets_;
  std::optional<PosixTz> footer_;
};

// ---------------------------------------------------------------------------
// TZif reading (RFC 8536).

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  bool Has(std::size_t n) const { return data_.size() - pos_ >= n; }
  std::size_t pos() const { return pos_; }
  void Skip(std::size_t n) { pos_ += n; }
  std::uint8_t U8() { return static_cast<std::uint8_t>(data_[pos_++]); }
  std::uint32_t U32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | U8();
    return v;
  }
  std::int64_t I64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | U8();
    return static_cast<std::int64_t>(v);
  }
  std::string_view Rest() const { return data_.substr(pos_); }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

struct TzifHeader {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

bool ReadHeader(ByteReader& r, TzifHeader* h) {
  if (!r.Has(44)) return false;
  if (r.U8() != 'T' || r.U8() != 'Z' || r.U8() != 'i' || r.U8() != 'f') return false;
  h->version = static_cast<char>(r.U8());
  r.Skip(15);
  h->isutcnt = r.U32();
  h->isstdcnt = r.U32();
  h->leapcnt = r.U32();
  h->timecnt = r.U32();
  h->typecnt = r.U32();
  h->charcnt = r.U32();
  return h->typecnt >= 1 && h->typecnt <= 256 && h->timecnt <= 100000 && h->leapcnt <= 100000 &&
         h->charcnt <= 100000 && (h->isutcnt == 0 || h->isutcnt == h->typecnt) &&
         (h->isstdcnt == 0 || h->isstdcnt == h->typecnt);
}

std::size_t DataBlockSize(const TzifHeader& h, std::size_t time_size) {
  return std::size_t{h.timecnt} * time_size + h.timecnt + std::size_t{h.typecnt} * 6 + h.charcnt +
         std::size_t{h.leapcnt} * (time_size + 4) + h.isstdcnt + h.isutcnt;
}

Result<std::shared_ptr<const TimeZone>> ParseTzif(std::string name, std::string_view data) {
  auto corrupt = [&name] {
    return Status(StatusCode::kInvalidArgument,
                  "time zone \"" + name + "\": the TZif file is corrupt or not a TZif file");
  };
  ByteReader r(data);
  TzifHeader h;
  if (!ReadHeader(r, &h)) return corrupt();
  std::size_t time_size = 4;
  if (h.version >= '2') {
    // Skip the 32-bit block: the 64-bit one that follows covers every instant.
    std::size_t v1 = DataBlockSize(h, 4);
    if (!r.Has(v1)) return corrupt();
    r.Skip(v1);
    if (!ReadHeader(r, &h)) return corrupt();
    time_size = 8;
  }
  if (!r.Has(DataBlockSize(h, time_size))) return corrupt();

  std::vector<std::int64_t> transitions(h.timecnt);
  for (auto& t : transitions) {
    t = time_size == 8 ? r.I64() : static_cast<std::int32_t>(r.U32());
  }
  if (!std::is_sorted(transitions.begin(), transitions.end())) return corrupt();
  std::vector<std::uint8_t> types(h.timecnt);
  for (auto& idx : types) {
    idx = r.U8();
    if (idx >= h.typecnt) return corrupt();
  }
  std::vector<std::int32_t> offsets(h.typecnt);
  for (auto& off : offsets) {
    off = static_cast<std::int32_t>(r.U32());
    r.Skip(2);  // isdst, abbreviation index: not needed for offsets
    if (off < -25 * 3600 || off > 26 * 3600) return corrupt();
  }
  // Abbreviations, leap seconds and the std/ut indicators do not affect offsets.
  r.Skip(h.charcnt + h.leapcnt * (time_size + 4) + h.isstdcnt + h.isutcnt);

  std::optional<PosixTz> footer;
  if (time_size == 8) {
    std::string_view rest = r.Rest();
    if (rest.size() >= 2 && rest[0] == '\n') {
      std::size_t nl = rest.find('\n', 1);
      if (nl == std::string_view::npos) return corrupt();
      std::string_view spec = rest.substr(1, nl - 1);
      if (!spec.empty()) {
        footer = PosixTzParser(spec).Parse();
        if (!footer) return corrupt();
      }
    }
  }
  return std::shared_ptr<const TimeZone>(std::make_shared<TzifZone>(
      std::move(name), std::move(transitions), std::move(types), std::move(offsets), footer));
}

// "+02:00", "-0530", "+05": a fixed offset; nullopt when `name` is not one.
std::optional<std::int32_t> ParseFixedOffset(std::string_view name) {
  if (name.size() < 3 || (name[0] != '+' && name[0] != '-')) return std::nullopt;
  auto digit = [&](std::size_t i) {
    return i < name.size() && std::isdigit(static_cast<unsigned char>(name[i]));
  };
  if (!digit(1) || !digit(2)) return std::nullopt;
  int hours = (name[1] - '0') * 10 + (name[2] - '0');
  int minutes = 0;
  std::size_t i = 3;
  if (i < name.size()) {
    if (name[i] == ':') ++i;
    if (!digit(i) || !digit(i + 1) || i + 2 != name.size()) return std::nullopt;
    minutes = (name[i] - '0') * 10 + (name[i + 1] - '0');
  }
  if (hours > 18 || minutes > 59) return std::nullopt;
  std::int32_t offset = hours * 3600 + minutes * 60;
  return name[0] == '-' ? -offset : offset;
}

// IANA names are relative paths of letters, digits and "/_+-." ; refuse anything
// that could leave the zoneinfo directory.
bool IsSafeZoneName(std::string_view name) {
  if (name.empty() || name.size() > kMaxZoneNameLength || name.front() == '/') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '+' &&
        c != '-' && c != '.') {
      return false;
    }
  }
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string ZoneInfoDir() {
  const char* dir = std::getenv("TZDIR");  // same override as glibc
  return dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

Result<std::shared_ptr<const TimeZone>> LoadUncached(std::string_view name) {
  if (name == "UTC" || name == "Z" || name == "Etc/UTC") return TimeZone::Utc();
  if (auto offset = ParseFixedOffset(name)) {
    return std::shared_ptr<const TimeZone>(std::make_shared<FixedZone>(std::string(name), *offset));
  }
  if (!IsSafeZoneName(name)) {
    return InvalidArgument("invalid time zone name \"" + std::string(name) +
                           "\" (expected an IANA name such as \"America/New_York\" or an "
                           "offset such as \"+02:00\")");
  }
  std::string dir = ZoneInfoDir();
  std::string path = dir + "/" + std::string(name);
  std::string data;
  std::error_code ec;
  if (std::filesystem::is_regular_file(path, ec)) {  // not e.g. the directory "America"
    std::ifstream in(path, std::ios::binary);
    if (in) data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) data.clear();
  }
  if (data.empty()) {
    return NotFound("unknown time zone \"" + std::string(name) + "\" (not found in " + dir +
                    "; is the tzdata package installed?)");
  }
  if (data.size() > kMaxTzifBytes) {
    return InvalidArgument("time zone \"" + std::string(name) + "\": file too large");
  }
  return ParseTzif(std::string(name), data);
}

}  // namespace

// ---------------------------------------------------------------------------

std::int64_t DaysFromCivil(int year, int month, int day) {
  // Months outside 1..12 roll into neighbouring years; days outside the month
  // roll linearly (the formula is linear in `day`), like mktime.
  std::int64_t y = year;
  std::int64_t m0 = static_cast<std::int64_t>(month) - 1;
  y += FloorDiv(m0, 12);
  std::int64_t m = m0 - FloorDiv(m0, 12) * 12 + 1;
  // Howard Hinnant's days_from_civil.
  y -= m <= 2 ? 1 : 0;
  std::int64_t era = FloorDiv(y, 400);
  std::int64_t yoe = y - era * 400;
  std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilTime CivilFromUnix(std::int64_t unix_seconds) {
  std::int64_t days = FloorDiv(unix_seconds, kSecondsPerDay);
  std::int64_t secs = unix_seconds - days * kSecondsPerDay;
  CivilTime c;
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs / 60 % 60);
  c.second = static_cast<int>(secs % 60);
  c.weekday = WeekdayFromDays(days);
  // Howard Hinnant's civil_from_days.
  std::int64_t z = days + 719468;
  std::int64_t era = FloorDiv(z, 146097);
  std::int64_t doe = z - era * 146097;
  std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  std::int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = static_cast<int>(yoe + era * 400 + (c.month <= 2 ? 1 : 0));
  return c;
}

CivilTime TimeZone::ToCivil(std::int64_t unix_seconds) const {
  return CivilFromUnix(unix_seconds + OffsetAt(unix_seconds));
}

std::int64_t TimeZone::FromCivil(const CivilTime& local) const {
  std::int64_t wall = DaysFromCivil(local.year, local.month, local.day) * kSecondsPerDay +
                      static_cast<std::int64_t>(local.hour) * 3600 +
                      static_cast<std::int64_t>(local.minute) * 60 + local.second;
  // The offsets in force a day before and a day after bracket any single
  // transition near `wall` (real zones never have two within two days).
  std::int32_t before = OffsetAt(wall - kSecondsPerDay);
  std::int32_t after = OffsetAt(wall + kSecondsPerDay);
  std::int64_t t_before = wall - before;
  std::int64_t t_after = wall - after;
  bool before_ok = OffsetAt(t_before) == before;
  bool after_ok = OffsetAt(t_after) == after;
  if (before_ok && after_ok) return std::min(t_before, t_after);  // overlap: earlier wins
  if (before_ok) return t_before;
  if (after_ok) return t_after;
  // A gap: the wall time does not exist. Reading it with the offset before the
  // transition moves it forward by the gap (02:30 EST -> 03:30 EDT).
  return t_before;
}

std::shared_ptr<const TimeZone> TimeZone::Utc() {
  static const std::shared_ptr<const TimeZone> utc = std::make_shared<FixedZone>("UTC", 0);
  return utc;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::Load(std::string_view name) {
  static std::mutex mu;
  static auto* cache = new std::unordered_map<std::string, std::shared_ptr<const TimeZone>>();
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache->find(std::string(name));
    if (it != cache->end()) return it->second;
  }
  // Read the file without the lock: two threads may load the same zone at once;
  // the first to insert wins and both get an equivalent zone.
  Result<std::shared_ptr<const TimeZone>> loaded = LoadUncached(name);
  if (!loaded.ok()) return loaded;
  std::lock_guard<std::mutex> lock(mu);
  auto [it, inserted] = cache->emplace(std::string(name), *loaded);
  return it->second;
}

Result<std::shared_ptr<const TimeZone>> TimeZone::FromPosixString(std::string_view spec) {
  std::optional<PosixTz> tz = PosixTzParser(spec).Parse();
  if (!tz) {
    return InvalidArgument("invalid POSIX TZ string \"" + std::string(spec) +
                           R"(" (expected e.g. "EST5EDT,M3.2.0,M11.1.0"))");
  }
  return std::shared_ptr<const TimeZone>(std::make_shared<PosixZone>(std::string(spec), *tz));
}

}  // namespace storeflow
