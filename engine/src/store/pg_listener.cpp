#include "store/pg_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <random>

#include <libpq-fe.h>

#include "store/pg_connection.h"
#include "store/store_error.h"

namespace storeflow::store::internal {
namespace {

std::string RandomToken() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(gen()));
  return buf;
}

void IgnoreNotice(void*, const char*) {}

std::string OneLine(const char* text) {
  std::string out = text == nullptr ? "" : text;
  std::replace(out.begin(), out.end(), '\n', ' ');
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

PgListener::PgListener(std::string conninfo, std::string peer, std::function<void()> on_notify)
    : conninfo_(std::move(conninfo)),
      peer_(std::move(peer)),
      token_(RandomToken()),
      on_notify_(std::move(on_notify)) {
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw StoreError(Internal("cannot create a pipe for the LISTEN thread"));
  }
  wake_read_ = fds[0];
  wake_write_ = fds[1];
  std::string error;
  if (!Connect(&error)) {
    close(wake_read_);
    close(wake_write_);
    throw StoreError(PostgresConnectFailure(peer_, error));
  }
  thread_ = std::thread([this] { Run(); });
}

PgListener::~PgListener() {
  stop_ = true;
  Wake();
  if (thread_.joinable()) thread_.join();
  if (conn_ != nullptr) PQfinish(conn_);
  close(wake_read_);
  close(wake_write_);
}

void PgListener::Publish() {
  publish_ = true;
  Wake();
}

void PgListener::Wake() {
  const char byte = 1;
  [[maybe_unused]] const auto n = write(wake_write_, &byte, 1);  // full pipe: already awake
}

bool PgListener::Connect(std::string* error) {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = PQconnectdb(conninfo_.c_str());
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    *error = conn_ == nullptr ? "out of memory" : OneLine(PQerrorMessage(conn_));
    if (conn_ != nullptr) PQfinish(conn_);
    conn_ = nullptr;
    return false;
  }
  PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
  PGresult* res = PQexec(conn_, (std::string("LISTEN ") + kChannel).c_str());
  const bool ok = res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK;
  if (!ok) *error = OneLine(PQerrorMessage(conn_));
  PQclear(res);
  if (!ok) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  return ok;
}

void PgListener::WaitWake(std::chrono::milliseconds timeout) {
  pollfd fd{wake_read_, POLLIN, 0};
  poll(&fd, 1, static_cast<int>(timeout.count()));
  char buf[64];
  while (read(wake_read_, buf, sizeof buf) > 0) {
  }
}

void PgListener::SendNotify() {
  const char* values[] = {kChannel, token_.c_str()};
  PGresult* res =
      PQexecParams(conn_, "SELECT pg_notify($1, $2)", 2, nullptr, values, nullptr, nullptr, 0);
  PQclear(res);  // a failure shows as a lost connection below
}

bool PgListener::ReadNotifications() {
  if (PQconsumeInput(conn_) == 0) return false;
  bool notified = false;
  while (PGnotify* n = PQnotifies(conn_)) {
    if (n->extra == nullptr || token_ != n->extra) notified = true;
    PQfreemem(n);
  }
  if (notified) on_notify_();
  return PQstatus(conn_) == CONNECTION_OK;
}

void PgListener::Run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stop_) {
    if (conn_ == nullptr) {
      std::string error;
      if (!Connect(&error)) {
        WaitWake(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        continue;
      }
      backoff = std::chrono::milliseconds(100);
      on_notify_();  // notifications sent while we were away are lost: look for work
    }
    if (publish_.exchange(false)) SendNotify();
    if (!ReadNotifications()) {
      PQfinish(conn_);
      conn_ = nullptr;
      continue;
    }
    pollfd fds[2] = {{PQsocket(conn_), POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (poll(fds, 2, 60'000) < 0 && errno != EINTR) {
      WaitWake(std::chrono::milliseconds(100));
      continue;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      char buf[64];
      while (read(wake_read_, buf, sizeof buf) > 0) {
      }
    }
    // Socket readiness is handled by ReadNotifications() at the top of the loop.
  }
}

}  // namespace storeflow::store::internal
