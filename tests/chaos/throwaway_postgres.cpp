#include "throwaway_postgres.h"

#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace storeflow::chaos {
namespace {

namespace fs = std::filesystem;

std::string PgBin() {
  const char* bin = std::getenv("PGBIN");
  return bin != nullptr && *bin != '\0' ? bin : "/usr/lib/postgresql/15/bin";
}

std::string Script() {
  return std::string(STOREFLOW_SOURCE_DIR) + "/tools/postgres-throwaway.sh";
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `command` through the shell with its output in `log`; true on exit 0.
bool Shell(const std::string& command, const fs::path& log, std::string* error) {
  const int status = std::system((command + " >'" + log.string() + "' 2>&1").c_str());
  if (status == 0) return true;
  *error = "`" + command + "` failed: " + ReadText(log);
  return false;
}

}  // namespace

std::string ThrowawayPostgres::Unavailable() {
  if (!fs::exists(fs::path(PgBin()) / "pg_ctl")) return PgBin() + "/pg_ctl is missing";
  const passwd* user = getpwuid(geteuid());
  if (geteuid() != 0 && (user == nullptr || std::string(user->pw_name) != "postgres")) {
    return "a private PostgreSQL cluster needs root (runuser -u postgres) or the postgres user";
  }
  return "";
}

ThrowawayPostgres::~ThrowawayPostgres() {
  if (dir_.empty()) return;
  std::string ignored;
  const fs::path log = dir_.string() + ".stop.log";
  Shell("'" + Script() + "' stop '" + dir_.string() + "'", log, &ignored);
  std::error_code ec;
  fs::remove(log, ec);
}

bool ThrowawayPostgres::Create(std::string* error) {
  std::string pattern = (fs::temp_directory_path() / "storeflow-chaos-pg.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    *error = "mkdtemp failed";
    return false;
  }
  dir_ = pattern;
  // The script's output goes outside DIR: DIR becomes the postgres user's.
  const fs::path log = dir_.string() + ".start.log";
  const bool started = Shell("'" + Script() + "' start '" + dir_.string() + "'", log, error);
  std::error_code ec;
  if (started) url_ = ReadText(dir_ / "url");
  fs::remove(log, ec);
  if (!started) return false;
  while (!url_.empty() && (url_.back() == '\n' || url_.back() == '\r')) url_.pop_back();
  const auto colon = url_.rfind(':');
  const auto slash = url_.find('/', colon);
  port_ = url_.substr(colon + 1, slash - colon - 1);
  return !port_.empty();
}

bool ThrowawayPostgres::PgCtl(const std::string& arguments, std::string* error) {
  const std::string as_postgres = geteuid() == 0 ? "runuser -u postgres -- " : "";
  const fs::path log = dir_.string() + ".pg_ctl.log";
  const bool ok = Shell(
      as_postgres + "'" + PgBin() + "/pg_ctl' -D '" + (dir_ / "data").string() + "' " + arguments,
      log, error);
  std::error_code ec;
  fs::remove(log, ec);
  return ok;
}

bool ThrowawayPostgres::Stop(const std::string& mode, std::string* error) {
  return PgCtl("-m " + mode + " -w -t 60 stop", error);
}

bool ThrowawayPostgres::Start(std::string* error) {
  // The options tools/postgres-throwaway.sh starts it with, on the same port.
  return PgCtl("-l '" + (dir_ / "server.log").string() +
                   "' -w -t 60 -o \"-c listen_addresses=127.0.0.1 -c port=" + port_ +
                   " -c unix_socket_directories=" + dir_.string() +
                   " -c max_connections=200 -c shared_buffers=256MB\" start",
               error);
}

}  // namespace storeflow::chaos
