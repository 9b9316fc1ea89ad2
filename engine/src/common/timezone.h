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
  int month = 1;    // 1..12
  int day = 1;      // 1..31
  int hour = 0;     // 0..23
  int minute = 0;   // 0..59
  int second = 0;   // 0..60
  int weekday = 4;  // 0 = Sunday .. 6 = Saturday
};

// An IANA time zone ("America/New_York", "UTC", "Europe/Berlin") read from the
// system's TZif files (/usr/share/zoneinfo, Debian package tzdata; $TZDIR
// overrides the directory), or a fixed offset ("+02:00"). Instants after the
// file's last transition follow its POSIX TZ footer rule, so far-future dates
// (2090) keep their DST. Leap seconds are ignored (unix time has none).
// Immutable and thread-safe once loaded.
class TimeZone {
 public:
  // Loads (and caches process-wide, behind a mutex) a zone by name: "UTC", "Z",
  // a fixed offset "+02:00" / "-0530" / "+05", or an IANA name. NotFound names
  // the zone; a name that could leave the zoneinfo directory ("..", "/etc/x")
  // is InvalidArgument.
  static Result<std::shared_ptr<const TimeZone>> Load(std::string_view name);
  static std::shared_ptr<const TimeZone> Utc();

  // A zone from a POSIX TZ string such as "EST5EDT,M3.2.0,M11.1.0" or
  // "AEST-10AEDT,M10.1.0,M4.1.0/3" (Mm.w.d, Jn and n rules, default time 02:00,
  // RFC 8536 extensions). Not cached. InvalidArgument on a malformed string.
  static Result<std::shared_ptr<const TimeZone>> FromPosixString(std::string_view spec);

  virtual ~TimeZone() = default;
  virtual const std::string& name() const = 0;

  // Offset from UTC in seconds at the given instant (seconds since the epoch).
  virtual std::int32_t OffsetAt(std::int64_t unix_seconds) const = 0;

  CivilTime ToCivil(std::int64_t unix_seconds) const;

  // The instant a local civil time denotes (weekday is ignored; fields roll over
  // like mktime). In a gap (spring forward) the time is moved forward by the gap;
  // in an overlap (fall back) the earlier instant wins.
  std::int64_t FromCivil(const CivilTime& local) const;
};

// Days-from-civil arithmetic in the proleptic Gregorian calendar (no zone).
// Out-of-range months and days roll over like mktime (month 13 = January of the
// next year, day 0 = the last day of the previous month).
std::int64_t DaysFromCivil(int year, int month, int day);
CivilTime CivilFromUnix(std::int64_t unix_seconds);  // in UTC

}  // namespace storeflow
