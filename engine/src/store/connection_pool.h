#pragma once

// A blocking pool of SqlConnections. Sessions are opened lazily up to a maximum
// and kept; Acquire() waits for a free one (bounded) instead of failing when all
// are in use. A session marked broken (connection lost) is dropped on return,
// with the idle sessions (likely cut off too), and replaced on demand.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "store/sql_connection.h"

namespace storeflow::store::internal {

class ConnectionPool {
 public:
  // Opens a new session; throws StoreError (e.g. kUnavailable) when it can't.
  using Factory = std::function<std::unique_ptr<SqlConnection>()>;

  ConnectionPool(Factory factory, int max_size, std::chrono::milliseconds wait_limit);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A session on loan; returned to the pool on destruction.
  class Handle {
   public:
    Handle() = default;
    Handle(ConnectionPool* pool, std::unique_ptr<SqlConnection> conn)
        : pool_(pool), conn_(std::move(conn)) {}
    Handle(Handle&& other) noexcept = default;
    Handle& operator=(Handle&& other) noexcept;
    ~Handle() { Release(); }

    SqlConnection* operator->() const { return conn_.get(); }
    SqlConnection& operator*() const { return *conn_; }
    explicit operator bool() const { return conn_ != nullptr; }

   private:
    void Release();
    ConnectionPool* pool_ = nullptr;
    std::unique_ptr<SqlConnection> conn_;
  };

  // Throws StoreError: kUnavailable when no session frees up within the wait
  // limit, or the factory's error.
  Handle Acquire();

  int max_size() const { return max_size_; }

 private:
  void Return(std::unique_ptr<SqlConnection> conn);

  Factory factory_;
  const int max_size_;
  const std::chrono::milliseconds wait_limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<SqlConnection>> idle_;
  int open_ = 0;  // sessions that exist (idle or on loan) or are being opened
};

}  // namespace storeflow::store::internal
