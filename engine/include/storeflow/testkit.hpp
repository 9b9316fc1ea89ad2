// storeflow plugin test kit: the engine's plugin host, for a plugin's own tests.
//
// A TestHost loads one built plugin from its folder (plugin.yaml beside the
// library) exactly as `storeflow serve` does: plugin.yaml and the ABI are
// checked, the config is validated against the plugin's config_schema, inputs
// against each action's input_schema, and the host services (key/value store,
// secrets, templating, metrics, log) are the engine's, over a real store on
// SQLite. With GoogleTest:
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
// docs/plugin-sdk.md). This header needs only nlohmann/json and C++17; the engine
// is inside the library.
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
  std::optional<std::int64_t> retry_after_ms;
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

  bool loaded() const;
  std::string error() const;  // why it did not load; "" when it did
  std::string name() const;
  std::string version() const;
  std::string abi() const;  // "MAJOR.MINOR" the library was built for
  std::vector<std::string> actions() const;
  Json config_schema() const;

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

  // What the plugin logged, as "<level>: <line>".
  std::vector<std::string> logs() const;
  bool Logged(const std::string& text) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace storeflow::testkit
