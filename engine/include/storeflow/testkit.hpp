// storeflow plugin test kit: the engine's plugin host, for a plugin's own tests.
//
// A TestHost loads one built plugin from its folder (plugin.yaml beside the
// library) exactly as `storeflow serve` does: plugin.yaml and the ABI are
// checked, the config is validated against the plugin's config_schema, inputs
// against each action's input_schema, and the host services (key/value store,
// secrets, templating, metrics, rate governor, log) are the engine's, over a
// real store on SQLite. With GoogleTest:
//
//   #include <storeflow/testkit.hpp>
//
//   TEST(Greeter, Greets) {
//     storeflow::testkit::HostOptions options;
//     options.config = {{"greeting", "Hello"}};
//     storeflow::testkit::TestHost host(STOREFLOW_PLUGIN_UNDER_TEST, options);
//     ASSERT_TRUE(host.loaded()) << host.error();
//     auto reply = host.Invoke("greeter.greet", {{"name", "Ada"}});
//     ASSERT_TRUE(reply.ok) << reply;
//     EXPECT_EQ(reply.output["message"], "Hello, Ada!");
//   }
//
// Link Storeflow::plugin_testkit (find_package(Storeflow CONFIG); see
// docs/plugin-sdk.md). This header needs only nlohmann/json, the SDK's
// <storeflow/plugin.h> and C++17; the engine is inside the library.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "storeflow/plugin.h"

namespace storeflow::testkit {

using Json = nlohmann::json;

// What an action answered: its output, or a classified error.
struct Reply {
  bool ok = false;
  Json output;  // when ok
  // When not ok: the error's code ("invalid_input", "unknown_action", or the
  // plugin's), its message, and whether the engine would retry the step.
  std::string code;
  std::string message;
  bool retryable = false;
  std::optional<std::int64_t> retry_after_ms;  // a retryable error's hint

  bool permanent() const { return !ok && !retryable; }
};
// "ok {...}" or "retryable|permanent error <code>: <message>", for assertion messages.
std::ostream& operator<<(std::ostream& out, const Reply& reply);

// How the step that invokes an action is described to the plugin.
struct CallOptions {
  std::int64_t run_id = 1;
  std::string workflow = "test";
  std::string step_path = "step";
  int attempt = 1;
  std::string idempotency_key;  // "" : "testkit/<run_id>/<step_path>"
  // The step's deadline (ms since the epoch, on the host's clock); unset: none.
  std::optional<std::int64_t> deadline_ms;
};

struct HostOptions {
  Json config = Json::object();                // plugins.config.<plugin>
  std::map<std::string, std::string> secrets;  // what Host::Secret answers
  // The store behind the key/value service: "sqlite::memory:" (default) or
  // "sqlite:PATH" (kept across TestHosts on the same file, as across restarts).
  std::string database = "sqlite::memory:";
  // A virtual clock starting at this time (ms since the epoch), moved only by
  // AdvanceClockTo; unset: the system clock.
  std::optional<std::int64_t> clock_ms;
};

// One event an event source published.
struct SourceEvent {
  std::string topic;  // "<source>/<topic>", what `queue:` matches
  std::optional<std::string> dedup_key;
  Json payload;
  bool duplicate = false;  // an event with the same dedup_key came before
};

// One rate_acquire the plugin made: its bucket (as the plugin named it) and cost.
struct RateAcquire {
  std::string bucket;
  double cost = 0;
};

struct SourceRun {
  std::string error;  // why the source could not start ("" when it ran)
  std::vector<SourceEvent> events;
};

class TestHost {
 public:
  // `plugin_dir`: the plugin's folder (holding plugin.yaml), or its plugin.yaml.
  // Never throws for a plugin that does not load: see loaded() and error().
  explicit TestHost(const std::string& plugin_dir, HostOptions options = {});
  ~TestHost();
  TestHost(const TestHost&) = delete;
  TestHost& operator=(const TestHost&) = delete;

  // The host services a plugin named `plugin_name` would get, without loading a
  // plugin: for unit tests of a plugin's own classes that take a
  // storeflow_host_v1 (see host_services()). loaded() is false only when the
  // store did not open (error() says why).
  static std::unique_ptr<TestHost> WithoutPlugin(const std::string& plugin_name,
                                                 HostOptions options = {});

  bool loaded() const;
  std::string error() const;  // why it did not load; "" when it did
  // When the plugin's init refused (replied an error, or let an exception out that
  // the SDK replied for): that code and message, as a permanent error. Otherwise
  // (it loaded, or was refused before init, e.g. by the config_schema check): not
  // ok, code "" and error() as the message.
  Reply init_error() const;
  std::string name() const;
  std::string version() const;
  std::string abi() const;  // "MAJOR.MINOR" the library was built for
  std::vector<std::string> actions() const;
  Json config_schema() const;
  // The whole manifest the library declares (also when init or the config check
  // refused); null when the library was not reached.
  Json manifest() const;

  // The engine's host services table for this plugin's name (the same store,
  // secrets, clock, rate buckets, metrics and log as the loaded plugin's), for
  // code that takes a storeflow_host_v1 directly. Owned by the TestHost; null
  // when the store did not open.
  const storeflow_host_v1* host_services() const;

  // Calls `action` as a workflow step would (the input checked against its
  // input_schema first). An action the plugin does not have: code "unknown_action".
  Reply Invoke(const std::string& action, const Json& input, const CallOptions& call = {});

  // Runs the plugin's event source `source` for `topics` until `count` events were
  // published or `timeout` passed, then asks it to stop and waits for it.
  // Publishing always succeeds; a repeated dedup_key is marked `duplicate`.
  SourceRun RunSource(const std::string& source, const std::vector<std::string>& topics,
                      std::size_t count, std::chrono::milliseconds timeout);

  // The virtual clock (HostOptions::clock_ms), moved forward.
  void AdvanceClockTo(std::int64_t ms);

  // What the plugin logged, as the engine logs it: "<level>: [plugin NAME] run R
  // step S: <message>" (secrets' values are replaced by "***").
  std::vector<std::string> logs() const;
  bool Logged(const std::string& text) const;

  // The plugin's counter `name` (as it passes it to counter_add), read from the
  // engine's metrics registry: what was added since this TestHost was made,
  // summed over the series whose labels include every member of `labels` (null:
  // all series). The registry is process-wide: what another host of the same
  // plugin adds meanwhile counts too.
  double Counter(const std::string& name, const Json& labels = nullptr) const;

  // The engine's rate governor (rate_acquire / rate_adjust), by the plugin's
  // bucket name. The level as of the bucket's last use, nullopt for a bucket never
  // used; SetRateLevel sets it (creating the bucket), e.g. to test an empty one;
  // RateAcquires lists every rate_acquire with valid arguments, in order.
  std::optional<double> RateLevel(const std::string& bucket) const;
  void SetRateLevel(const std::string& bucket, double level);
  std::vector<RateAcquire> RateAcquires() const;

 private:
  struct Impl;
  explicit TestHost(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace storeflow::testkit
