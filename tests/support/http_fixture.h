#pragma once

// Shared fixture of the HTTP tests: the real server (http::Surface) on an
// ephemeral loopback port, in front of a real engine (system clock, worker
// threads) on a real store (SQLite file, and PostgreSQL when
// STOREFLOW_TEST_PG_URL is set, as in the store contract suite), and a small
// HTTP client (Poco::Net::HTTPClientSession) with a bounded timeout.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "common/metrics.h"
#include "http/shopify_source.h"
#include "http/surface.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/engine.h"
#include "store_fixture.h"

namespace storeflow::http::testing {

using Json = nlohmann::json;
using store::TimeMs;

inline constexpr char kSecret[] = "hush-current";
inline constexpr char kOldSecret[] = "hush-previous";

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // as sent (first of each name)
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One request over a fresh connection; status 0 and the error in body on failure.
inline Reply Send(std::uint16_t port, const std::string& method, const std::string& path,
                  const std::string& body = "",
                  const std::vector<std::pair<std::string, std::string>>& headers = {},
                  std::chrono::seconds timeout = std::chrono::seconds(20)) {
  Reply reply;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout.count()), 0));
    Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) request.add(name, value);
    if (!body.empty() || method == "POST" || method == "PUT") {
      request.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    session.sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    reply.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) reply.headers.emplace(name, value);
    Poco::StreamCopier::copyToString(in, reply.body);
  } catch (const std::exception& e) {
    reply.status = 0;
    reply.body = e.what();
  }
  return reply;
}

// A store whose availability a test switches off: Begin and the other calls
// fail with kUnavailable while down (as a lost PostgreSQL would). A test can
// also make Begin hang (a database that stopped answering: it waits until
// unblocked, 30 s at most) or fail Begin and SchemaVersion with a given status
// (a store error whose message holds internals).
class SwitchableStore final : public store::Store {
 public:
  explicit SwitchableStore(store::Store& inner) : inner_(inner) {}
  void set_down(bool down) { down_ = down; }
  void set_blocked(bool blocked) {
    {
      std::lock_guard lock(block_mu_);
      blocked_ = blocked;
    }
    block_cv_.notify_all();
  }
  void set_failure(Status failure) {
    std::lock_guard lock(block_mu_);
    failure_ = std::move(failure);
  }
  // Begin calls that are waiting while blocked.
  int blocked_begins() {
    std::lock_guard lock(block_mu_);
    return waiting_;
  }

  std::string_view backend() const override { return inner_.backend(); }
  const std::string& display_url() const override { return inner_.display_url(); }
  Result<std::unique_ptr<store::Transaction>> Begin() override {
    if (down_) return Unavailable("the store is down (test)");
    {
      std::unique_lock lock(block_mu_);
      if (!failure_.ok()) return failure_;
      ++waiting_;
      block_cv_.wait_for(lock, std::chrono::seconds(30), [&] { return !blocked_; });
      --waiting_;
    }
    return inner_.Begin();
  }
  Result<std::vector<store::RunRow>> ClaimDueRuns(const std::string& owner, TimeMs now,
                                                  TimeMs lease_until, int limit) override {
    if (down_) return Unavailable("the store is down (test)");
    return inner_.ClaimDueRuns(owner, now, lease_until, limit);
  }
  Result<std::optional<TimeMs>> NextDueAt() override {
    if (down_) return Unavailable("the store is down (test)");
    return inner_.NextDueAt();
  }
  Result<int> ExtendLeases(const std::string& owner, const std::vector<std::int64_t>& ids,
                           TimeMs until) override {
    if (down_) return Unavailable("the store is down (test)");
    return inner_.ExtendLeases(owner, ids, until);
  }
  void Notify() override { inner_.Notify(); }
  bool WaitForWork(std::chrono::milliseconds timeout) override {
    return inner_.WaitForWork(timeout);
  }
  Result<int> SchemaVersion() override {
    if (down_) return Unavailable("the store is down (test)");
    {
      std::lock_guard lock(block_mu_);
      if (!failure_.ok()) return failure_;
    }
    return inner_.SchemaVersion();
  }
  const std::string& InstallationId() const override { return inner_.InstallationId(); }

 private:
  store::Store& inner_;
  std::atomic<bool> down_{false};
  std::mutex block_mu_;
  std::condition_variable block_cv_;
  bool blocked_ = false;
  int waiting_ = 0;
  Status failure_;
};

class HttpTest : public store::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    switchable_ = std::make_unique<SwitchableStore>(*store_);
    ASSERT_TRUE(runtime::RegisterBuiltinActions(actions_).ok());
    engine_options_.workers = 2;
    engine_options_.owner = "http-test";
    engine_options_.script_root = STOREFLOW_SOURCE_DIR;
    engine_options_.max_idle = std::chrono::milliseconds(200);
    surface_options_.server.host = "127.0.0.1";
    surface_options_.server.port = 0;
    surface_options_.server.threads = 32;
    surface_options_.server.shutdown_grace = std::chrono::seconds(5);
    surface_options_.rest.response_timeout = std::chrono::seconds(5);
    surface_options_.rest.poll_interval = std::chrono::milliseconds(100);
    surface_options_.log = [this](std::string_view level, std::string_view message) {
      std::lock_guard lock(log_mu_);
      log_.push_back(std::string(level) + ": " + std::string(message));
    };
  }

  void TearDown() override {
    if (switchable_) {
      switchable_->set_blocked(false);
      switchable_->set_failure(Status::Ok());
    }
    if (surface_) surface_->Stop();
    surface_.reset();
    if (engine_) engine_->Stop(std::chrono::seconds(5));
    engine_.reset();
    switchable_.reset();
    StoreTest::TearDown();
  }

  // Builds the engine (once) and registers a workflow from text.
  void Load(const std::string& yaml, const std::string& name = "wf.yaml") {
    MakeEngine();
    auto loaded = engine_->LoadWorkflowSource(
        yaml, std::string(STOREFLOW_SOURCE_DIR) + "/tests/fixtures/workflows/" + name);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  }

  void MakeEngine() {
    if (!engine_) {
      engine_ = std::make_unique<runtime::Engine>(*switchable_, clock_, actions_, engine_options_);
    }
  }

  // Starts the workers and the server with the `shopify` source.
  void StartServer() {
    MakeEngine();
    WebhookSources sources;
    ASSERT_TRUE(
        sources.Add(std::make_unique<ShopifySource>(std::vector<std::string>{kSecret, kOldSecret}))
            .ok());
    engine_->Start();
    surface_ = std::make_unique<Surface>(*engine_, std::move(sources), surface_options_);
    if (before_start_) before_start_(*surface_);
    Status s = surface_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    port_ = surface_->port();
    ASSERT_NE(port_, 0);
  }

  // A Shopify delivery of `body` signed with `secret`.
  Reply Webhook(const std::string& body, const std::string& webhook_id,
                const std::string& topic = "carts/create", const std::string& secret = kSecret) {
    return Send(port_, "POST", "/webhooks/shopify", body,
                {{"Content-Type", "application/json"},
                 {"X-Shopify-Topic", topic},
                 {"X-Shopify-Hmac-Sha256", ShopifySignature(body, secret).value()},
                 {"X-Shopify-Webhook-Id", webhook_id},
                 {"X-Shopify-Shop-Domain", "toys.myshopify.com"},
                 {"X-Shopify-Triggered-At", "2026-11-21T08:00:00Z"},
                 {"X-Shopify-API-Version", "2026-07"}});
  }

  // Waits (at most `timeout`) until the run is terminal; returns it.
  store::RunRow WaitForEnd(std::int64_t id,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    store::RunRow run;
    while (std::chrono::steady_clock::now() < deadline) {
      run = GetRun(id);
      if (store::IsTerminal(run.status)) return run;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "run " << id << " did not end in time";
    return run;
  }

  // The lines the surface logged (SurfaceOptions::log) that contain `text`.
  std::vector<std::string> Logged(const std::string& text) {
    std::lock_guard lock(log_mu_);
    std::vector<std::string> out;
    for (const auto& line : log_) {
      if (line.find(text) != std::string::npos) out.push_back(line);
    }
    return out;
  }

  runtime::SystemClock clock_;
  runtime::ActionRegistry actions_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
  runtime::EngineOptions engine_options_;
  SurfaceOptions surface_options_;
  // Called by StartServer between building the surface and starting it (to
  // add routes, e.g. the admin API's).
  std::function<void(Surface&)> before_start_;
  std::unique_ptr<SwitchableStore> switchable_;
  std::unique_ptr<runtime::Engine> engine_;
  std::unique_ptr<Surface> surface_;
  std::uint16_t port_ = 0;
};

}  // namespace storeflow::http::testing
