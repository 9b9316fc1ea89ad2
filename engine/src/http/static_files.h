#pragma once

// Static files of `storeflow serve` (`http.static`): each mount serves one folder
// under one URL prefix, GET and HEAD only, e.g. /shop/ -> examples/storefront:
//
//   GET /shop/              -> examples/storefront/index.html
//   GET /shop/css/site.css  -> examples/storefront/css/site.css (text/css)
//   GET /shop               -> 301 to /shop/ (relative links then resolve)
//
// Content-Type by extension; a strong ETag (size and modification time) answers
// If-None-Match with 304; Cache-Control per mount (default no-cache: the
// browser revalidates each time). A folder without index.html, a missing file,
// a hidden name (".env"), ".." and anything whose real path (symlinks
// resolved) leaves the folder is 404; a NUL in the path is 400. No listings.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "http/http_message.h"
#include "http/router.h"

namespace storeflow::http {

struct StaticMount {
  std::string path;                        // URL prefix: starts and ends with '/'
  std::string dir;                         // the folder served
  std::string cache_control = "no-cache";  // the Cache-Control of every answer
};

// The largest file served (it is read whole); a larger one is 404 and logged.
inline constexpr std::uint64_t kMaxStaticFileBytes = std::uint64_t{32} * 1024 * 1024;

// The Content-Type for a file name by its extension (case-insensitive);
// application/octet-stream when unknown. Text types say charset=utf-8.
std::string_view ContentTypeFor(std::string_view file_name);

// InvalidArgument naming the problem when `path` is not a mount prefix: it must
// start and end with '/', hold no "{", "}", "?", "#", "." or ".." segment, and
// not be under /api/ or /webhooks/ (the admin API's and the webhooks' own).
Status CheckMountPath(std::string_view path);

class StaticFiles {
 public:
  // Checks the mount (its path; its folder exists and is a folder) and resolves
  // the folder's real path. Errors name the path and folder.
  static Result<StaticFiles> Open(const StaticMount& mount);

  // Routes GET and HEAD of <path>{file...} to Serve.
  Status Register(Router& router) const;

  // Answers a GET or HEAD whose decoded path starts with the mount's path (or is
  // the path without its last '/').
  Response Serve(const Request& request) const;

  const StaticMount& mount() const { return mount_; }
  const std::string& root() const { return root_; }

 private:
  StaticFiles(StaticMount mount, std::string root)
      : mount_(std::move(mount)), root_(std::move(root)) {}
  // The answer for the regular file at `real` (a real path inside root_).
  Response File(const Request& request, const std::string& real) const;

  StaticMount mount_;
  std::string root_;  // the folder's real path, no trailing '/'
};

// Opens every mount; the error names the mount ("http.static[1] (/shop/): ...").
Result<std::vector<StaticFiles>> OpenStaticMounts(const std::vector<StaticMount>& mounts);

}  // namespace storeflow::http
