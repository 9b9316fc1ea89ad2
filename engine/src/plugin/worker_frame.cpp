#include "plugin/worker_frame.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace storeflow::plugin {
namespace {

void PutU32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t GetU32(std::string_view bytes, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  }
  return v;
}

// Reads exactly `size` bytes. 1: read; 0: end of stream before the first byte;
// -1: error or end of stream part-way.
int ReadExactly(int fd, char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, data + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return done == 0 && n == 0 ? 0 : -1;
    done += static_cast<std::size_t>(n);
  }
  return 1;
}

}  // namespace

std::string EncodeWorkerFrame(const WorkerFrame& frame) {
  std::size_t total = 4;
  for (const std::string& part : frame) total += 4 + part.size();
  std::string out;
  out.reserve(4 + total);
  PutU32(out, static_cast<std::uint32_t>(total));
  PutU32(out, static_cast<std::uint32_t>(frame.size()));
  for (const std::string& part : frame) {
    PutU32(out, static_cast<std::uint32_t>(part.size()));
    out += part;
  }
  return out;
}

Status WriteWorkerFrame(int fd, const WorkerFrame& frame) {
  const std::string bytes = EncodeWorkerFrame(frame);
  if (bytes.size() - 4 > kMaxWorkerFrameBytes) {
    return InvalidArgument("a message of " + std::to_string(bytes.size()) +
                           " bytes is bigger than the worker protocol allows");
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    // MSG_NOSIGNAL: a worker that died must not raise SIGPIPE in the engine.
    ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unavailable(std::string("the other side is gone: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

Result<WorkerFrame> DecodeWorkerFrame(std::string_view bytes) {
  if (bytes.size() < 4) return InvalidArgument("a frame shorter than its part count");
  const std::uint32_t count = GetU32(bytes, 0);
  if (count > bytes.size() / 4) return InvalidArgument("a frame with more parts than bytes");
  WorkerFrame frame;
  frame.reserve(count);
  std::size_t at = 4;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (bytes.size() - at < 4) return InvalidArgument("a frame part without its size");
    const std::uint32_t size = GetU32(bytes, at);
    at += 4;
    if (bytes.size() - at < size) return InvalidArgument("a frame part longer than the frame");
    frame.emplace_back(bytes.substr(at, size));
    at += size;
  }
  if (at != bytes.size()) return InvalidArgument("bytes after a frame's last part");
  return frame;
}

Result<WorkerFrame> ReadWorkerFrame(int fd) {
  char head[4];
  int got = ReadExactly(fd, head, sizeof head);
  if (got == 0) return NotFound("end of stream");
  if (got < 0) return Unavailable("the stream ended inside a frame");
  const std::uint32_t total = GetU32(std::string_view(head, 4), 0);
  if (total > kMaxWorkerFrameBytes) {
    return InvalidArgument("a frame of " + std::to_string(total) + " bytes is too big");
  }
  std::string body(total, '\0');
  if (total > 0 && ReadExactly(fd, body.data(), total) != 1) {
    return Unavailable("the stream ended inside a frame");
  }
  return DecodeWorkerFrame(body);
}

std::string FramePart(std::int64_t value) {
  return std::to_string(value);
}

std::string FramePart(double value) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return ec == std::errc() ? std::string(buf, end) : "0";
}

std::int64_t FrameInt(const std::string& part, std::int64_t fallback) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
  return ec == std::errc() && end == part.data() + part.size() ? v : fallback;
}

double FrameDouble(const std::string& part, double fallback) {
  double v = 0;
  auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
  return ec == std::errc() && end == part.data() + part.size() ? v : fallback;
}

}  // namespace storeflow::plugin
