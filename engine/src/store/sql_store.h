#pragma once

// The Store of both backends: a session pool, the in-process wake-up signal,
// and what one backend adds — the SQLite file lock, or the PostgreSQL LISTEN
// thread. sqlite_store.cpp and postgres_store.cpp assemble one.

#include <memory>
#include <mutex>
#include <string>

#include "store/connection_pool.h"
#include "store/dialect.h"
#include "store/file_lock.h"
#include "store/pg_listener.h"
#include "store/store.h"
#include "store/work_signal.h"

namespace storeflow::store::internal {

class SqlStore final : public Store {
 public:
  struct Parts {
    const Dialect* dialect = nullptr;
    std::string display_url;  // password masked
    std::string secret;       // the password, masked out of every message
    ConnectionPool::Factory factory;
    int pool_size = 8;
    std::unique_ptr<FileLock> file_lock;  // SQLite: held until the last session is closed
    bool read_only = false;               // store/read_only.h
  };

  explicit SqlStore(Parts parts);
  ~SqlStore() override;

  // Steps of opening, run by the backend's Open (throw StoreError). Migrate also
  // reads the installation id; on a read-only store it only checks the schema.
  void Migrate(bool apply);
  void StartListener(const std::string& conninfo, const std::string& peer);
  ConnectionPool& pool() { return pool_; }

  std::string_view backend() const override { return dialect_.name; }
  const std::string& display_url() const override { return display_url_; }
  Result<std::unique_ptr<Transaction>> Begin() override;
  Result<std::unique_ptr<Transaction>> BeginRead() override;
  Result<std::vector<RunRow>> ClaimDueRuns(const std::string& owner, TimeMs now, TimeMs lease_until,
                                           int limit) override;
  Result<std::optional<TimeMs>> NextDueAt() override;
  Result<int> ExtendLeases(const std::string& owner, const std::vector<std::int64_t>& run_ids,
                           TimeMs until) override;
  void Notify() override;
  bool WaitForWork(std::chrono::milliseconds timeout) override;
  Result<int> SchemaVersion() override;
  const std::string& InstallationId() const override { return installation_id_; }

 private:
  // The in-process writer lock (SQLite) or an empty lock. Throws on timeout, and
  // on a read-only store (every writer takes it).
  std::unique_lock<std::timed_mutex> LockWriter();

  const Dialect& dialect_;
  const std::string display_url_;
  const std::string secret_;
  const bool read_only_;
  std::string installation_id_;  // read by Migrate, then fixed
  // Destroyed in reverse order: the listener first, the file lock last.
  std::unique_ptr<FileLock> file_lock_;
  std::timed_mutex writer_;
  WorkSignal signal_;
  ConnectionPool pool_;
  std::unique_ptr<PgListener> listener_;
  const std::string next_unleased_sql_;
  const std::string next_expired_sql_;
  const std::string extend_sql_;
};

}  // namespace storeflow::store::internal
