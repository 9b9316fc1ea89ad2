#pragma once

// A private PostgreSQL cluster for a test that stops and starts its server (the
// shared one of STOREFLOW_TEST_PG_URL is never touched): created and started by
// tools/postgres-throwaway.sh, stopped and started again with pg_ctl as the
// `postgres` user on the same port and socket folder, deleted by the script's
// `stop` when this goes away.

#include <filesystem>
#include <string>

namespace storeflow::chaos {

class ThrowawayPostgres {
 public:
  ThrowawayPostgres() = default;
  ~ThrowawayPostgres();
  ThrowawayPostgres(const ThrowawayPostgres&) = delete;
  ThrowawayPostgres& operator=(const ThrowawayPostgres&) = delete;

  // Why this machine cannot run one ("" when it can): the PostgreSQL binaries are
  // missing, or this process is neither root nor `postgres`.
  static std::string Unavailable();

  // Creates and starts the cluster; false with `*error` (the script's output).
  bool Create(std::string* error);
  // pg_ctl stop -m `mode` (fast, immediate) and wait; false with `*error`.
  bool Stop(const std::string& mode, std::string* error);
  // pg_ctl start on the same port and wait until it accepts connections.
  bool Start(std::string* error);

  const std::string& url() const {
    return url_;
  }  // postgresql://storeflow@127.0.0.1:PORT/storeflow

 private:
  bool PgCtl(const std::string& arguments, std::string* error);

  std::filesystem::path dir_;
  std::string url_;
  std::string port_;
};

}  // namespace storeflow::chaos
