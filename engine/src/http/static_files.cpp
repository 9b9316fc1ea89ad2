#include "http/static_files.h"

#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <utility>

namespace storeflow::http {
namespace {

struct TypeByExtension {
  std::string_view extension;  // lower case, without the dot
  std::string_view type;
};

constexpr std::array<TypeByExtension, 24> kTypes = {{
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"webmanifest", "application/manifest+json"},
}};

Response NotFoundResponse(const Request& request) {
  return Response::Error(404, "not_found", "no file at " + request.path);
}

// The real path of `path` (symlinks resolved), or empty when it does not exist.
std::string RealPath(const std::string& path) {
  char buffer[PATH_MAX];
  if (::realpath(path.c_str(), buffer) == nullptr) return "";
  return buffer;
}

// True when `real` is `root` or inside it.
bool Inside(const std::string& real, const std::string& root) {
  if (real == root) return true;
  if (root == "/") return !real.empty() && real[0] == '/';
  return real.size() > root.size() && real.compare(0, root.size(), root) == 0 &&
         real[root.size()] == '/';
}

// A strong validator: the file's size and modification time (ns).
std::string ETagOf(const struct stat& info) {
  char text[64];
  const auto ns = static_cast<unsigned long long>(info.st_mtim.tv_sec) * 1'000'000'000ULL +
                  static_cast<unsigned long long>(info.st_mtim.tv_nsec);
  std::snprintf(text, sizeof(text), "\"%llx-%llx\"", static_cast<unsigned long long>(info.st_size),
                ns);
  return text;
}

std::string HttpDate(std::time_t when) {
  std::tm tm{};
  gmtime_r(&when, &tm);
  char text[64];
  std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

// True when the If-None-Match header (a list of tags, or "*") names `etag`;
// weak comparison, as RFC 9110 asks for If-None-Match.
bool NoneMatchHits(std::string_view header, std::string_view etag) {
  std::size_t start = 0;
  while (start < header.size()) {
    std::size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view tag = header.substr(start, end - start);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag == "*") return true;
    if (tag.size() > 2 && tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    if (tag == etag) return true;
    start = end + 1;
  }
  return false;
}

// Reads the whole regular file `path` (opened without following a symlink: its
// real path was checked); false on any error.
bool ReadWhole(const std::string& path, std::uint64_t size, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  out.resize(size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, out.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(done);  // a file that shrank meanwhile: what was there
  return true;
}

// `path` percent-encoded for a Location header: everything but unreserved
// characters, '/' and the sub-delimiters a path keeps.
std::string EncodePath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || (c != 0 && std::strchr("-._~/!$&'()*+,;=:@", c) != nullptr)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string_view ContentTypeFor(std::string_view file_name) {
  const std::size_t slash = file_name.rfind('/');
  const std::string_view base =
      slash == std::string_view::npos ? file_name : file_name.substr(slash + 1);
  const std::size_t dot = base.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == base.size()) return "application/octet-stream";
  const std::string_view extension = base.substr(dot + 1);
  for (const auto& [known, type] : kTypes) {
    if (known.size() == extension.size() &&
        strncasecmp(known.data(), extension.data(), known.size()) == 0) {
      return type;
    }
  }
  return "application/octet-stream";
}

Status CheckMountPath(std::string_view path) {
  const std::string shown(path);
  if (path.empty() || path.front() != '/' || path.back() != '/') {
    return InvalidArgument("path must start and end with '/' (e.g. /shop/), got '" + shown + "'");
  }
  if (path.find_first_of("{}?#%\\") != std::string_view::npos ||
      path.find('\0') != std::string_view::npos) {
    return InvalidArgument("path '" + shown +
                           "' holds a character a URL prefix cannot: { } ? # % \\");
  }
  for (std::string_view segment : SplitPath(path)) {
    if (segment == "." || segment == "..") {
      return InvalidArgument("path '" + shown + "' holds a '.' or '..' segment");
    }
  }
  if (path.rfind("/api/", 0) == 0 || path.rfind("/webhooks/", 0) == 0) {
    return InvalidArgument("path '" + shown +
                           "' is under /api/ or /webhooks/, which the engine answers itself");
  }
  return Status::Ok();
}

Result<StaticFiles> StaticFiles::Open(const StaticMount& mount) {
  STOREFLOW_RETURN_IF_ERROR(CheckMountPath(mount.path));
  if (mount.dir.empty()) return InvalidArgument("dir is empty: name the folder to serve");
  if (mount.cache_control.find_first_of("\r\n") != std::string::npos) {
    return InvalidArgument("cache_control holds a line break");
  }
  struct stat info {};
  if (::stat(mount.dir.c_str(), &info) != 0) {
    return NotFound("the folder " + mount.dir + " to serve at " + mount.path + " does not exist");
  }
  if (!S_ISDIR(info.st_mode)) {
    return InvalidArgument(mount.dir + " (served at " + mount.path + ") is not a folder");
  }
  std::string root = RealPath(mount.dir);
  if (root.empty()) return NotFound("cannot resolve the folder " + mount.dir);
  return StaticFiles(mount, std::move(root));
}

Status StaticFiles::Register(Router& router) const {
  const std::string pattern = mount_.path + "{file...}";
  const StaticFiles* self = this;
  for (const char* method : {"GET", "HEAD"}) {
    STOREFLOW_RETURN_IF_ERROR(
        router.Add(method, pattern, [self](Request& request) { return self->Serve(request); }));
  }
  return Status::Ok();
}

Response StaticFiles::Serve(const Request& request) const {
  const std::string& path = request.path;
  if (path.find('\0') != std::string::npos) {
    return Response::Error(400, "bad_request", "the path holds a NUL character");
  }
  const std::string bare = mount_.path.substr(0, mount_.path.size() - 1);  // "/shop"
  if (path == bare) {
    std::string location = mount_.path;
    if (!request.query.empty()) location += "?" + request.query;
    return Response::Error(301, "moved", "the folder is at " + mount_.path)
        .WithHeader("Location", location);
  }
  if (path.compare(0, mount_.path.size(), mount_.path) != 0) return NotFoundResponse(request);
  // The file's name under the folder, segment by segment: ".." and hidden names
  // (".git", ".env") never reach the file system.
  std::string relative;
  for (std::string_view segment : SplitPath(std::string_view(path).substr(mount_.path.size()))) {
    if (segment.front() == '.' || segment.find('\\') != std::string_view::npos) {
      return NotFoundResponse(request);
    }
    relative += '/';
    relative += segment;
  }
  const std::string real = RealPath(root_ + relative);
  if (real.empty() || !Inside(real, root_)) return NotFoundResponse(request);
  struct stat info {};
  if (::stat(real.c_str(), &info) != 0) return NotFoundResponse(request);
  if (S_ISDIR(info.st_mode)) {
    if (path.back() != '/') {
      std::string location = EncodePath(path) + "/";
      if (!request.query.empty()) location += "?" + request.query;
      return Response::Error(301, "moved", "the folder is at " + location)
          .WithHeader("Location", location);
    }
    const std::string index = RealPath(real + "/index.html");
    if (index.empty() || !Inside(index, root_)) return NotFoundResponse(request);
    return File(request, index);
  }
  return File(request, real);
}

Response StaticFiles::File(const Request& request, const std::string& real) const {
  struct stat info {};
  if (::stat(real.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return NotFoundResponse(request);
  }
  if (static_cast<std::uint64_t>(info.st_size) > kMaxStaticFileBytes) {
    return Response::Error(404, "not_found",
                           "the file at " + request.path + " is larger than static files may be");
  }
  const std::string etag = ETagOf(info);
  Response response;
  response.WithHeader("ETag", etag).WithHeader("Cache-Control", mount_.cache_control);
  response.WithHeader("Last-Modified", HttpDate(info.st_mtim.tv_sec));
  if (auto none_match = request.Header("if-none-match");
      none_match && NoneMatchHits(*none_match, etag)) {
    response.status = 304;
    return response;
  }
  if (!ReadWhole(real, static_cast<std::uint64_t>(info.st_size), response.body)) {
    return NotFoundResponse(request);
  }
  response.status = 200;
  response.WithHeader("Content-Type", std::string(ContentTypeFor(real)))
      .WithHeader("X-Content-Type-Options", "nosniff");
  return response;
}

Result<std::vector<StaticFiles>> OpenStaticMounts(const std::vector<StaticMount>& mounts) {
  std::vector<StaticFiles> out;
  out.reserve(mounts.size());
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (mounts[j].path == mounts[i].path) {
        return InvalidArgument("http.static[" + std::to_string(i) + "]: the path " +
                               mounts[i].path + " is already served by http.static[" +
                               std::to_string(j) + "]");
      }
    }
    auto files = StaticFiles::Open(mounts[i]);
    if (!files.ok()) {
      return files.status().WithContext("http.static[" + std::to_string(i) + "] (" +
                                        mounts[i].path + ")");
    }
    out.push_back(std::move(files).value());
  }
  return out;
}

}  // namespace storeflow::http
