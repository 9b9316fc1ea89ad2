#pragma once

// Cross-process wake-ups on PostgreSQL: a dedicated libpq connection that
// LISTENs on the channel `storeflow_work` from a background thread (poll() on the
// connection's socket and a wake-up pipe). A notification from another Store
// calls `on_notify`; Publish() makes the thread send one NOTIFY (several calls
// before it runs coalesce into one), so Notify() never blocks on the network.
// When the connection drops, the thread reconnects with backoff and calls
// `on_notify` once (notifications may have been missed meanwhile).

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

struct pg_conn;

namespace storeflow::store::internal {

class PgListener {
 public:
  static constexpr const char* kChannel = "storeflow_work";

  // Connects and LISTENs before returning, so a notification sent after the
  // constructor returns is seen. Throws StoreError when the first connection fails.
  PgListener(std::string conninfo, std::string peer, std::function<void()> on_notify);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  void Publish();

 private:
  bool Connect(std::string* error);
  void Run();
  void Wake();
  void WaitWake(std::chrono::milliseconds timeout);
  void SendNotify();
  bool ReadNotifications();  // false when the connection is lost

  const std::string conninfo_;
  const std::string peer_;
  const std::string token_;  // payload of our own NOTIFYs, to ignore their echo
  const std::function<void()> on_notify_;
  pg_conn* conn_ = nullptr;
  int wake_read_ = -1;
  int wake_write_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<bool> publish_{false};
  std::thread thread_;
};

}  // namespace storeflow::store::internal
