// Fuzz target: cron schedules (engine/src/common/cron.h).
//
// Input: "EXPRESSION\nPARAMETERS" (see split_input.h). PARAMETERS pick a start
// instant (1970..2100) and a time zone.
//
// Properties of an accepted schedule:
//  - NextAfter(t) is strictly after t and not kNever (an accepted schedule fires
//    within the horizon; in a DST zone a wall-clock schedule whose every time falls
//    in a gap never fires, but then it fires in UTC), and NextAfter(NextAfter(t)) is
//    later still;
//  - in UTC and fixed-offset zones the fire time matches the fields, and no instant
//    between t and it does (checked second by second when they are at most two hours
//    apart); in DST zones a wall-clock schedule's fire time matches too;
//  - expression() parses again to a schedule with the same next fire time;
// and a refused one is InvalidArgument.

#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/cron.h"
#include "common/timezone.h"
#include "fuzz_check.h"
#include "split_input.h"

using storeflow::CronSchedule;
using storeflow::TimeZone;
using storeflow::fuzz::Printable;

namespace {

// Zones with and without DST (fixed offsets, both hemispheres, a 30-minute DST).
constexpr std::array<const char*, 6> kZones = {
    "UTC", "+05:30", "-09:00", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"};

struct Zone {
  std::shared_ptr<const TimeZone> zone;
  bool fixed = false;
};

const Zone& PickZone(std::size_t index) {
  static const auto zones = [] {
    std::array<Zone, kZones.size()> out;
    for (std::size_t i = 0; i < kZones.size(); ++i) {
      auto loaded = TimeZone::Load(kZones[i]);
      out[i].zone = loaded.ok() ? *loaded : TimeZone::Utc();  // no tzdata: UTC instead
      out[i].fixed = !loaded.ok() || i < 3;
    }
    return out;
  }();
  return zones[index];
}

std::string Describe(const std::string& text, std::int64_t t, const char* zone) {
  return "\"" + Printable(text) + "\" after " + std::to_string(t) + " in " + zone;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = storeflow::fuzz::SplitFirstLine(data, size);
  const std::string text(input.text);
  auto parsed = storeflow::ParseCron(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == storeflow::StatusCode::kInvalidArgument,
               "refused with another code: " + parsed.status().message());
    FUZZ_CHECK(!parsed.status().message().empty(), "refused without a message");
    return 0;
  }
  const CronSchedule& cron = *parsed;

  FuzzedDataProvider provider(input.rest, input.rest_size);
  const std::int64_t t = provider.ConsumeIntegralInRange<std::int64_t>(0, 4'102'444'800);  // 2100
  const std::size_t zone_index = provider.ConsumeIntegralInRange<std::size_t>(0, kZones.size() - 1);
  const Zone& zone = PickZone(zone_index);
  const std::string where = Describe(text, t, kZones[zone_index]);

  const std::int64_t next = cron.NextAfter(t, *zone.zone);
  if (next == CronSchedule::kNever && !zone.fixed && cron.follows_wall_clock()) {
    // Every time it names falls in a DST gap of this zone (`*/511 2 11 3 */15`: 02:00 on
    // March 11 when that is a Sunday, always New York's spring-forward day). A
    // wall-clock schedule skips missing times (docs/workflow-dsl.md), so it never
    // fires there; it must still fire in UTC.
    FUZZ_CHECK(cron.NextAfter(t, *TimeZone::Utc()) != CronSchedule::kNever,
               "an accepted schedule never fires, not even in UTC: " + where);
    return 0;
  }
  FUZZ_CHECK(next != CronSchedule::kNever, "an accepted schedule never fires: " + where);
  FUZZ_CHECK(next > t,
             "NextAfter is not after the start: " + std::to_string(next) + " for " + where);

  const bool must_match = zone.fixed || cron.follows_wall_clock();
  if (must_match) {
    FUZZ_CHECK(cron.Matches(zone.zone->ToCivil(next)),
               "the fire time " + std::to_string(next) + " does not match: " + where);
  }
  if (zone.fixed && next - t <= 7200) {
    for (std::int64_t s = t + 1; s < next; ++s) {
      FUZZ_CHECK(!cron.Matches(zone.zone->ToCivil(s)), std::to_string(s) +
                                                           " matches but NextAfter skipped to " +
                                                           std::to_string(next) + ": " + where);
    }
  }

  const std::int64_t after = cron.NextAfter(next, *zone.zone);
  // The same gap rule (tz rules change: New York's spring-forward day moved in 2007).
  const bool gap_only = after == CronSchedule::kNever && !zone.fixed && cron.follows_wall_clock() &&
                        cron.NextAfter(next, *TimeZone::Utc()) != CronSchedule::kNever;
  FUZZ_CHECK(
      gap_only || (after != CronSchedule::kNever && after > next),
      "the fire after " + std::to_string(next) + " is " + std::to_string(after) + ": " + where);

  auto again = storeflow::ParseCron(cron.expression());
  FUZZ_CHECK(again.ok(), "expression() \"" + Printable(cron.expression()) +
                             "\" does not parse again: " + again.status().message());
  FUZZ_CHECK(again->NextAfter(t, *zone.zone) == next,
             "expression() \"" + Printable(cron.expression()) + "\" fires elsewhere: " + where);
  return 0;
}
