#include "http/event_loop.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <random>

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/URI.h>

#include "common/metrics.h"
#include "http/access_log.h"

namespace storeflow::http {

// One accepted connection; owned by the loop thread.
struct Connection {
  enum class Phase {
    kIdle,      // no byte of the next request yet
    kHead,      // the head is arriving
    kBody,      // the body is arriving
    kHandling,  // with a worker; not read until its response is written
    kWriting,   // the response is being written
    kLinger,    // answered and closing: the rest of the input is drained
    kClosed,
  };

  Connection(std::uint64_t key, int socket, ParserLimits limits)
      : id(key), fd(socket), parser(limits) {}

  std::uint64_t id;
  int fd;
  std::string client;  // the remote IP address (the per-client cap's key)
  std::string remote;  // "IP:PORT" (Request::remote_address)
  RequestParser parser;
  std::string in;  // received, not yet given to the parser (a pipelined request)
  std::string out;
  std::size_t written = 0;
  Phase phase = Phase::kIdle;
  std::chrono::steady_clock::time_point deadline;
  int served = 0;              // requests dispatched on this connection
  bool close_after = false;    // close once `out` is written
  bool counted = false;        // counted in in_flight
  std::uint32_t interest = 0;  // epoll events asked for
};

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kListenerKey = 0;
constexpr std::uint64_t kWakeKey = 1;
constexpr auto kTick = std::chrono::milliseconds(50);
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
constexpr std::size_t kReadChunk = 64 * 1024;
constexpr std::size_t kReadBudget = 256 * 1024;  // per connection per turn

bool SaneRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
  });
}

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string id(16, '0');
  std::uint64_t bits = random();
  for (char& c : id) {
    c = kDigits[bits & 15];
    bits >>= 4;
  }
  return id;
}

// A bounded metric label: the standard methods, else "other".
std::string MethodLabel(const std::string& method) {
  static const char* const kKnown[] = {"GET",    "HEAD",    "POST",  "PUT",
                                       "DELETE", "OPTIONS", "PATCH", "TRACE"};
  for (const char* known : kKnown) {
    if (method == known) return method;
  }
  return method.empty() ? "-" : "other";
}

std::string_view ErrorCode(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 408: return "request_timeout";
    case 413: return "payload_too_large";
    case 417: return "expectation_failed";
    case 431: return "header_fields_too_large";
    case 501: return "not_implemented";
    case 503: return "overloaded";
    case 505: return "http_version_not_supported";
    default: return "error";
  }
}

// The path part of a request target, for the access log of a refused request.
std::string TargetPath(const std::string& target) {
  return target.substr(0, target.find('?'));
}

}  // namespace

EventLoop::EventLoop(const Router& router, const ServerOptions& options)
    : router_(router), options_(options), read_buffer_(kReadChunk) {
  limits_.body_limit = options_.body_limit;
  limits_.head_limit = options_.head_limit;
}

EventLoop::~EventLoop() {
  Shutdown();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status EventLoop::Start() {
  const ServerOptions& o = options_;
  try {
    listener_.bind(Poco::Net::SocketAddress(o.host, o.port), true);
    listener_.listen(std::max(64, o.listen_backlog));
    listener_.setBlocking(false);
    port_ = listener_.address().port();
    listen_fd_ = listener_.impl()->sockfd();
  } catch (const Poco::Exception& e) {
    return Unavailable("cannot listen on " + o.host + ":" + std::to_string(o.port) + ": " +
                       e.displayText());
  }
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    return Unavailable(std::string("cannot start the HTTP event loop: ") + std::strerror(errno));
  }
  epoll_event listen_event{};
  listen_event.events = EPOLLIN;
  listen_event.data.u64 = kListenerKey;
  epoll_event wake_event{};
  wake_event.events = EPOLLIN;
  wake_event.data.u64 = kWakeKey;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &listen_event) != 0 ||
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake_event) != 0) {
    return Unavailable(std::string("cannot start the HTTP event loop: ") + std::strerror(errno));
  }
  accepting_ = true;
  PoolOptions rest = o.rest_pool;
  if (o.threads > 0) rest.workers = o.threads;
  pools_[static_cast<int>(RouteClass::kWebhook)] =
      std::make_unique<WorkerPool>("webhook", o.webhook_pool.workers, o.webhook_pool.queue);
  pools_[static_cast<int>(RouteClass::kAdmin)] =
      std::make_unique<WorkerPool>("admin", o.admin_pool.workers, o.admin_pool.queue);
  pools_[static_cast<int>(RouteClass::kRest)] =
      std::make_unique<WorkerPool>("rest", rest.workers, rest.queue);
  last_sweep_ = Clock::now();
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void EventLoop::BeginStop() {
  stopping_ = true;
  Wake();
}

void EventLoop::Shutdown() {
  stopping_ = true;
  quit_ = true;
  if (thread_.joinable()) {
    Wake();
    thread_.join();
  }
  // Handlers still running finish here; their responses are dropped.
  for (auto& pool : pools_) {
    if (pool) pool->Stop();
  }
}

void EventLoop::Wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof(one));
}

void EventLoop::Run() {
  std::vector<epoll_event> events(256);
  while (!quit_.load()) {
    const int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(kTick.count()));
    const auto now = Clock::now();
    for (int i = 0; i < n; ++i) {
      const std::uint64_t key = events[static_cast<std::size_t>(i)].data.u64;
      if (key == kListenerKey) {
        if (accepting_) AcceptAll(now);
      } else if (key == kWakeKey) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto r = ::read(wake_fd_, &count, sizeof(count));
      } else {
        auto it = connections_.find(key);
        if (it != connections_.end())
          OnEvent(*it->second, events[static_cast<std::size_t>(i)].events);
      }
    }
    TakeCompletions();
    if (stopping_.load() && accepting_) StopAccepting();
    if (accept_paused_ && accepting_ && now >= accept_resume_at_) {
      epoll_event listen_event{};
      listen_event.events = EPOLLIN;
      listen_event.data.u64 = kListenerKey;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &listen_event);
      accept_paused_ = false;
    }
    if (now - last_sweep_ >= kTick) Sweep(now);
    for (const std::uint64_t id : closed_) connections_.erase(id);
    closed_.clear();
  }
  for (auto& [id, connection] : connections_) Close(*connection);
  connections_.clear();
  closed_.clear();
  if (accepting_) StopAccepting();
}

void EventLoop::StopAccepting() {
  accepting_ = false;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  try {
    listener_.close();
  } catch (const Poco::Exception&) {
  }
  // Idle connections, and those whose request has not fully arrived, are
  // closed; requests with a worker finish and are answered with
  // `Connection: close`.
  for (auto& [id, connection] : connections_) {
    const auto phase = connection->phase;
    if (phase == Connection::Phase::kIdle || phase == Connection::Phase::kHead ||
        phase == Connection::Phase::kBody) {
      Close(*connection);
    }
  }
}

void EventLoop::AcceptAll(Clock::time_point now) {
  auto& registry = metrics::Registry::Default();
  for (;;) {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop polling the listener for a moment instead
        // of spinning on it.
        registry.CounterAdd("storeflow_http_connections_refused_total", {{"reason", "fd_limit"}});
        epoll_event none{};
        none.data.u64 = kListenerKey;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &none);
        accept_paused_ = true;
        accept_resume_at_ = now + kAcceptPause;
      }
      return;
    }
    std::string client;
    std::string remote;
    try {
      const Poco::Net::SocketAddress peer(reinterpret_cast<const sockaddr*>(&address), length);
      client = peer.host().toString();
      remote = peer.toString();
    } catch (const Poco::Exception&) {
      client = remote = "unknown";
    }
    const char* refused = nullptr;
    if (static_cast<int>(connections_.size()) >= options_.max_connections) {
      refused = "max_connections";
    } else if (options_.max_connections_per_client > 0 &&
               per_client_[client] >= options_.max_connections_per_client) {
      refused = "per_client";
    }
    if (refused != nullptr) {
      // Counted before the close, so whoever sees the connection end also sees
      // it counted.
      registry.CounterAdd("storeflow_http_connections_refused_total", {{"reason", refused}});
      ::close(fd);
      if (auto it = per_client_.find(client); it != per_client_.end() && it->second == 0) {
        per_client_.erase(it);
      }
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    const std::uint64_t id = next_id_++;
    auto connection = std::make_unique<Connection>(id, fd, limits_);
    connection->client = client;
    connection->remote = std::move(remote);
    // A new connection's head must arrive within header_timeout of its accept.
    connection->deadline = now + options_.header_timeout;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u64 = id;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      ::close(fd);
      continue;
    }
    connection->interest = event.events;
    ++per_client_[client];
    connections_.emplace(id, std::move(connection));
  }
}

void EventLoop::SetInterest(Connection& c, std::uint32_t events) {
  if (c.interest == events || c.phase == Connection::Phase::kClosed) return;
  epoll_event event{};
  event.events = events;
  event.data.u64 = c.id;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &event);
  c.interest = events;
}

void EventLoop::OnEvent(Connection& c, std::uint32_t events) {
  using Phase = Connection::Phase;
  switch (c.phase) {
    case Phase::kClosed: return;
    case Phase::kHandling:
      // Not read while handled; a reset peer is dropped (the handler still runs).
      if (events & (EPOLLERR | EPOLLHUP)) Close(c);
      return;
    case Phase::kWriting:
      if (events & EPOLLERR) {
        Close(c);
      } else if (events & (EPOLLOUT | EPOLLHUP)) {
        TryWrite(c);
      }
      return;
    case Phase::kLinger: {
      for (;;) {
        const ssize_t n = ::recv(c.fd, read_buffer_.data(), read_buffer_.size(), 0);
        if (n > 0) continue;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        Close(c);  // end of input or an error
        return;
      }
    }
    default:
      if (events & EPOLLERR) {
        Close(c);
        return;
      }
      ReadSome(c);
  }
}

void EventLoop::ReadSome(Connection& c) {
  using Phase = Connection::Phase;
  std::size_t total = 0;
  while (total < kReadBudget) {
    const ssize_t n = ::recv(c.fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      c.in.append(read_buffer_.data(), static_cast<std::size_t>(n));
      Process(c);
      if (c.phase != Phase::kIdle && c.phase != Phase::kHead && c.phase != Phase::kBody) return;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // The peer closed (or reset) before a whole request arrived.
    Close(c);
    return;
  }
}

void EventLoop::Process(Connection& c) {
  using Phase = Connection::Phase;
  while (!c.in.empty() &&
         (c.phase == Phase::kIdle || c.phase == Phase::kHead || c.phase == Phase::kBody)) {
    const bool was_idle = c.parser.idle();
    const std::size_t used = c.parser.Feed(c.in);
    c.in.erase(0, used);
    const auto now = Clock::now();
    if (was_idle && !c.parser.idle()) {
      // After a keep-alive pause the head has header_timeout from its first byte.
      if (c.served > 0) c.deadline = now + options_.header_timeout;
      c.phase = Phase::kHead;
    }
    if (c.parser.failed()) {
      Refuse(c, c.parser.error_status(), c.parser.error_message());
      return;
    }
    if (c.phase == Phase::kHead && c.parser.head_complete()) {
      c.phase = Phase::kBody;
      c.deadline = now + options_.body_timeout;
      if (c.parser.request().expect_continue && !c.parser.done() && c.in.empty()) {
        // Best effort: a client that does not get it sends the body anyway.
        const std::string_view line = ContinueLine();
        [[maybe_unused]] const auto sent =
            ::send(c.fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
    }
    if (c.parser.done()) {
      Dispatch(c);
      return;
    }
    if (used == 0) return;
  }
}

void EventLoop::Dispatch(Connection& c) {
  ParsedRequest& parsed = c.parser.request();
  Request request;
  request.method = std::move(parsed.method);
  try {
    Poco::URI uri(parsed.target);
    request.path = uri.getPath();
    request.query = uri.getRawQuery();
    if (!request.query.empty()) {
      for (auto& [name, value] : uri.getQueryParameters()) {
        request.query_params.emplace(std::move(name), std::move(value));
      }
    }
  } catch (const Poco::Exception& e) {
    parsed.method = request.method;  // for the access log
    Refuse(c, 400, "malformed request target: " + e.displayText());
    return;
  }
  request.headers = std::move(parsed.headers);
  request.body = std::move(parsed.body);
  const auto given_id = request.Header("x-request-id");
  request.request_id = given_id && SaneRequestId(*given_id) ? *given_id : NewRequestId();
  request.remote_address = c.remote;

  ++c.served;
  ResponseFraming framing;
  framing.http10 = parsed.minor_version == 0;
  framing.head_only = request.method == "HEAD";
  framing.keep_alive =
      parsed.keep_alive && !stopping_.load() &&
      (options_.max_keep_alive_requests <= 0 || c.served < options_.max_keep_alive_requests);
  const RouteClass route_class = ClassifyPath(request.path);
  const std::string method = request.method;
  const std::string path = request.path;
  const std::string request_id = request.request_id;
  const auto started = Clock::now();

  c.phase = Connection::Phase::kHandling;
  SetInterest(c, 0);
  c.counted = true;
  ++in_flight_;
  auto shared = std::make_shared<Request>(std::move(request));
  const std::uint64_t id = c.id;
  const bool posted = pools_[static_cast<int>(route_class)]->TryPost(
      [this, id, shared, framing, started] { Handle(id, *shared, framing, started); });
  if (posted) return;
  c.counted = false;
  --in_flight_;
  const std::string name(RouteClassName(route_class));
  metrics::Registry::Default().CounterAdd("storeflow_http_queue_full_total", {{"class", name}});
  // Refuse logs the parsed method and target: put them back.
  parsed.method = method;
  parsed.target = path;
  Refuse(c, 503, "the server has no capacity left for " + name + " requests; retry after 1 second",
         "1");
}

void EventLoop::Handle(std::uint64_t id, Request& request, ResponseFraming framing,
                       Clock::time_point started) {
  Response response;
  std::string route = "unmatched";
  try {
    response = router_.Dispatch(request, &route);
  } catch (const std::exception& e) {
    const std::string line = "[error] request " + request.request_id + " " +
                             EscapeForLog(request.method) + " " + EscapeForLog(request.path) +
                             ": internal error: " + e.what();
    if (options_.error_log) {
      options_.error_log(line);
    } else {
      std::cerr << line << "\n";
    }
    // The caller gets a code and the request id; the detail is in the log.
    response = Response::Error(
        500, "internal",
        "internal error; the server log has the details under request id " + request.request_id);
    framing.keep_alive = false;
  }
  if (stopping_.load()) framing.keep_alive = false;
  Completion done;
  done.id = id;
  done.bytes = SerializeResponse(response, request.request_id, framing);
  done.close = !framing.keep_alive;
  Record(request.method, request.path, route, response.status, response.body.size(), started,
         request.request_id);
  {
    std::lock_guard lock(completions_mutex_);
    completions_.push_back(std::move(done));
  }
  Wake();
}

void EventLoop::TakeCompletions() {
  std::vector<Completion> done;
  {
    std::lock_guard lock(completions_mutex_);
    done.swap(completions_);
  }
  for (Completion& completion : done) {
    auto it = connections_.find(completion.id);
    if (it == connections_.end()) continue;  // closed meanwhile (in_flight counted down then)
    Connection& c = *it->second;
    if (c.phase != Connection::Phase::kHandling) continue;
    StartWrite(c, std::move(completion.bytes), completion.close);
  }
}

void EventLoop::Refuse(Connection& c, int status, const std::string& message,
                       const std::string& retry_after) {
  const std::string request_id = NewRequestId();
  Response response = Response::Error(status, ErrorCode(status), message);
  if (!retry_after.empty()) response.WithHeader("Retry-After", retry_after);
  ResponseFraming framing;
  framing.keep_alive = false;
  const ParsedRequest& parsed = c.parser.request();
  Record(parsed.method, TargetPath(parsed.target), "unmatched", status, response.body.size(),
         Clock::now(), request_id);
  StartWrite(c, SerializeResponse(response, request_id, framing), true);
}

void EventLoop::StartWrite(Connection& c, std::string bytes, bool close) {
  c.out = std::move(bytes);
  c.written = 0;
  c.close_after = close;
  c.phase = Connection::Phase::kWriting;
  c.deadline = Clock::now() + options_.body_timeout;
  TryWrite(c);
}

void EventLoop::TryWrite(Connection& c) {
  while (c.written < c.out.size()) {
    const ssize_t n =
        ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
    if (n > 0) {
      c.written += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      SetInterest(c, EPOLLOUT);
      return;
    }
    Close(c);  // the peer went away
    return;
  }
  FinishWrite(c);
}

void EventLoop::FinishWrite(Connection& c) {
  if (c.counted) {
    c.counted = false;
    --in_flight_;
  }
  c.out.clear();
  c.out.shrink_to_fit();
  c.written = 0;
  if (c.close_after || stopping_.load()) {
    Linger(c);
    return;
  }
  c.parser.Reset();
  c.phase = Connection::Phase::kIdle;
  c.deadline = Clock::now() + options_.keep_alive_timeout;
  SetInterest(c, EPOLLIN | EPOLLRDHUP);
  if (!c.in.empty()) Process(c);  // a pipelined request already here
}

void EventLoop::Linger(Connection& c) {
  // Closing with unread input would reset the connection and could destroy
  // the answer before the peer reads it: end our side, then drain theirs for
  // a moment.
  ::shutdown(c.fd, SHUT_WR);
  c.in.clear();
  c.phase = Connection::Phase::kLinger;
  c.deadline = Clock::now() + kLingerTime;
  SetInterest(c, EPOLLIN | EPOLLRDHUP);
}

void EventLoop::Close(Connection& c) {
  if (c.phase == Connection::Phase::kClosed) return;
  if (c.counted) {
    c.counted = false;
    --in_flight_;
  }
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, c.fd, nullptr);
  ::close(c.fd);
  c.fd = -1;
  c.phase = Connection::Phase::kClosed;
  if (auto it = per_client_.find(c.client); it != per_client_.end() && --it->second <= 0) {
    per_client_.erase(it);
  }
  closed_.push_back(c.id);
}

void EventLoop::Sweep(Clock::time_point now) {
  using Phase = Connection::Phase;
  last_sweep_ = now;
  auto& registry = metrics::Registry::Default();
  for (auto& [id, connection] : connections_) {
    Connection& c = *connection;
    if (c.phase == Phase::kHandling || c.phase == Phase::kClosed || now < c.deadline) continue;
    switch (c.phase) {
      case Phase::kIdle:
        registry.CounterAdd("storeflow_http_connections_timed_out_total", {{"phase", "idle"}});
        Close(c);
        break;
      case Phase::kHead:
      case Phase::kBody: {
        const bool head = c.phase == Phase::kHead;
        registry.CounterAdd("storeflow_http_connections_timed_out_total",
                            {{"phase", head ? "head" : "body"}});
        Refuse(c, 408,
               head ? "the request head did not arrive within the header timeout"
                    : "the request body did not arrive within the body timeout");
        break;
      }
      case Phase::kWriting:
        registry.CounterAdd("storeflow_http_connections_timed_out_total", {{"phase", "write"}});
        Close(c);
        break;
      default:
        Close(c);  // lingering
        break;
    }
  }
  registry.GaugeSet("storeflow_http_connections", {},
                    static_cast<double>(connections_.size() - closed_.size()));
}

void EventLoop::Record(const std::string& method, const std::string& path, const std::string& route,
                       int status, std::size_t bytes, Clock::time_point started,
                       const std::string& request_id) {
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  auto& registry = metrics::Registry::Default();
  registry.CounterAdd(
      "storeflow_http_requests_total",
      {{"method", MethodLabel(method)}, {"route", route}, {"status", std::to_string(status)}});
  registry.Observe("storeflow_http_request_duration_seconds", {{"route", route}}, seconds);
  if (options_.access_log) {
    options_.access_log(AccessLine(method, path, status, bytes, seconds, request_id));
  }
}

}  // namespace storeflow::http
