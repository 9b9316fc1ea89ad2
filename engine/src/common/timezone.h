#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace storeflow {

// Broken-down civil time in some zone.
struct CivilTime {
  int year = 1970;
  int month = 1;   // 1..12
  int day = 1;     // 1..31
  int hour = 0;    // 0..23
  int minute = 0;  // 0..59
  int second = 0;  // 0..60
  int weekday = 4; // 0 = Sunday .. 6 = Saturday
};

// An IANA time zone ("America/New_York", "UTC", "Europe/Berlin") read from the
// system's TZif files (/usr/share/zoneinfo, Debian package tzdata), or a fixed
// offset ("+02:00"). Immutable and thread-safe once loaded.
class TimeZone {
 public:
  // Loads (and caches process-wide) a zone by name. NotFound names the zone.
  static Result<std::shared_ptr<const TimeZone>> Load(std::string_view name);
  static std::shared_ptr<const TimeZone> Utc();

  virtual ~TimeZone() = default;
  virtual const std::string& name() const = 0;

  // Offset from UTC in seconds at the given instant (seconds since the epoch).
  virtual std::int32_t OffsetAt(std::int64_t unix_seconds) const = 0;

  CivilTime ToCivil(std::int64_t unix_seconds) const;

  // The instant a local civil time denotes. In a gap (spring forward) the time is
  // moved forward by the gap; in an overlap (fall back) the earlier instant wins.
  std::int64_t FromCivil(const CivilTime& local) const;
};

// Days-from-civil arithmetic in the proleptic Gregorian calendar (no zone).
std::int64_t DaysFromCivil(int year, int month, int day);
CivilTime CivilFromUnix(std::int64_t unix_seconds);  // in UTC

}  // namespace storeflow
