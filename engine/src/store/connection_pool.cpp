#include "store/connection_pool.h"

#include <string>

#include "store/store_error.h"

namespace storeflow::store::internal {

ConnectionPool::Handle& ConnectionPool::Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = other.pool_;
    conn_ = std::move(other.conn_);
  }
  return *this;
}

void ConnectionPool::Handle::Release() {
  if (conn_ != nullptr && pool_ != nullptr) pool_->Return(std::move(conn_));
  conn_.reset();
}

ConnectionPool::ConnectionPool(Factory factory, int max_size, std::chrono::milliseconds wait_limit)
    : factory_(std::move(factory)),
      max_size_(max_size < 1 ? 1 : max_size),
      wait_limit_(wait_limit) {}

ConnectionPool::~ConnectionPool() {
  std::vector<std::unique_ptr<SqlConnection>> idle;
  {
    std::lock_guard lock(mu_);
    idle.swap(idle_);
  }
}

ConnectionPool::Handle ConnectionPool::Acquire() {
  std::unique_lock lock(mu_);
  const bool ready =
      cv_.wait_for(lock, wait_limit_, [&] { return !idle_.empty() || open_ < max_size_; });
  if (!ready) {
    throw StoreError(Unavailable("no database session became free within " +
                                 std::to_string(wait_limit_.count()) + " ms (all " +
                                 std::to_string(max_size_) +
                                 " in use; a thread holding a transaction may be waiting for "
                                 "another one)"));
  }
  if (!idle_.empty()) {
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return {this, std::move(conn)};
  }
  ++open_;
  lock.unlock();
  try {
    return {this, factory_()};
  } catch (...) {
    lock.lock();
    --open_;
    cv_.notify_one();
    throw;
  }
}

void ConnectionPool::Return(std::unique_ptr<SqlConnection> conn) {
  if (conn->broken()) {
    // The connection was lost (server restart, failover, network): the idle
    // sessions opened before it most likely were too. Drop them all rather than
    // fail once per stale session; new ones are opened on demand.
    std::vector<std::unique_ptr<SqlConnection>> stale;
    {
      std::lock_guard lock(mu_);
      stale.swap(idle_);
      open_ -= static_cast<int>(stale.size()) + 1;
    }
    stale.clear();  // close outside the lock
    conn.reset();
  } else {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
  }
  cv_.notify_one();
}

}  // namespace storeflow::store::internal
