#pragma once

// The messages between the engine and an isolated plugin's worker process
// (docs/plugin-sdk.md, "Isolation"): over one socket, each message is a frame
// of byte strings, so JSON texts and binary key/value values cross unchanged.
//
//   frame := u32 total size (little-endian) | u32 count | count × (u32 size | bytes)
//
// The first part names the message ("invoke", "reply_ok", "kv_get", ...).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace storeflow::plugin {

using WorkerFrame = std::vector<std::string>;

// The largest frame either side accepts: a bigger one is a protocol error (a
// plugin reply is bounded by the engine's JSON limits long before this).
inline constexpr std::uint32_t kMaxWorkerFrameBytes = 256u << 20;

// The bytes of `frame` as sent.
std::string EncodeWorkerFrame(const WorkerFrame& frame);

// Writes one frame to `fd`, all of it (retrying short writes and EINTR).
// Unavailable when the peer is gone.
Status WriteWorkerFrame(int fd, const WorkerFrame& frame);

// Reads one frame from `fd`. NotFound at a clean end of stream before a frame
// starts; Unavailable on an error or an end inside a frame; InvalidArgument
// for a frame that is malformed or bigger than kMaxWorkerFrameBytes.
Result<WorkerFrame> ReadWorkerFrame(int fd);

// Decodes the bytes of one whole frame (tests, and ReadWorkerFrame).
Result<WorkerFrame> DecodeWorkerFrame(std::string_view bytes);

// Integers and doubles as frame parts (decimal text; doubles round-trip).
std::string FramePart(std::int64_t value);
std::string FramePart(double value);
std::int64_t FrameInt(const std::string& part, std::int64_t fallback = 0);
double FrameDouble(const std::string& part, double fallback = 0);

}  // namespace storeflow::plugin
