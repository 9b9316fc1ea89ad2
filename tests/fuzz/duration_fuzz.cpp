// Fuzz target: durations and byte sizes (engine/src/common/duration.h, byte_size.h).
//
// Input: "TEXT\nPARAMETERS" (see split_input.h). TEXT goes to ParseDuration and
// ParseByteSize; PARAMETERS give a millisecond count and a byte count to format.
//
// Properties:
//  - an accepted duration is not negative, and FormatDuration of it reads back to
//    the same value (and formatting that again gives the same text);
//  - an accepted size: FormatByteSize of it reads back to the same value;
//  - any duration ParseDuration can hold (0 .. 1e15 ms) and any byte count survive
//    Format -> Parse unchanged;
//  - refusals are InvalidArgument with a message that quotes the text.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/byte_size.h"
#include "common/duration.h"
#include "fuzz_check.h"
#include "split_input.h"

using storeflow::Duration;
using storeflow::StatusCode;
using storeflow::fuzz::Printable;

namespace {

constexpr std::int64_t kMaxDurationMs = 1'000'000'000'000'000;  // ParseDuration's limit (1e15)

void CheckDurationRoundTrip(Duration d, const std::string& origin) {
  const std::string text = storeflow::FormatDuration(d);
  auto back = storeflow::ParseDuration(text);
  FUZZ_CHECK(back.ok(), "FormatDuration(" + std::to_string(d.count()) + ") = \"" + text +
                            "\" does not parse: " + back.status().message() + " (" + origin + ")");
  FUZZ_CHECK(*back == d, "FormatDuration(" + std::to_string(d.count()) + ") = \"" + text +
                             "\" reads back as " + std::to_string(back->count()) + " (" + origin +
                             ")");
  FUZZ_CHECK(storeflow::FormatDuration(*back) == text, "formatting is not stable for " + text);
}

void CheckSizeRoundTrip(std::uint64_t bytes, const std::string& origin) {
  const std::string text = storeflow::FormatByteSize(bytes);
  auto back = storeflow::ParseByteSize(text);
  FUZZ_CHECK(back.ok(), "FormatByteSize(" + std::to_string(bytes) + ") = \"" + text +
                            "\" does not parse: " + back.status().message() + " (" + origin + ")");
  FUZZ_CHECK(*back == bytes, "FormatByteSize(" + std::to_string(bytes) + ") = \"" + text +
                                 "\" reads back as " + std::to_string(*back) + " (" + origin + ")");
}

void CheckRefusal(const storeflow::Status& status, std::string_view text) {
  FUZZ_CHECK(status.code() == StatusCode::kInvalidArgument,
             "a refusal that is not InvalidArgument: " + status.message());
  FUZZ_CHECK(status.message().find(std::string(text)) != std::string::npos,
             "the message does not quote the text \"" + Printable(text) +
                 "\": " + Printable(status.message()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = storeflow::fuzz::SplitFirstLine(data, size);
  const std::string text(input.text);

  if (auto d = storeflow::ParseDuration(text); d.ok()) {
    FUZZ_CHECK(d->count() >= 0 && d->count() <= kMaxDurationMs,
               "\"" + Printable(text) + "\" parsed to " + std::to_string(d->count()) + " ms");
    CheckDurationRoundTrip(*d, "parsed from \"" + Printable(text) + "\"");
  } else {
    CheckRefusal(d.status(), text);
  }

  if (auto bytes = storeflow::ParseByteSize(text); bytes.ok()) {
    CheckSizeRoundTrip(*bytes, "parsed from \"" + Printable(text) + "\"");
  } else {
    CheckRefusal(bytes.status(), text);
  }

  FuzzedDataProvider provider(input.rest, input.rest_size);
  const auto ms = provider.ConsumeIntegralInRange<std::int64_t>(0, kMaxDurationMs);
  CheckDurationRoundTrip(Duration(ms), "a generated count");
  CheckSizeRoundTrip(provider.ConsumeIntegral<std::uint64_t>(), "a generated count");
  // Formatting any count, negative ones included, must not overflow.
  (void)storeflow::FormatDuration(Duration(provider.ConsumeIntegral<std::int64_t>()));
  return 0;
}
