#pragma once

// The Lua sandbox: one Lua 5.4 state, allow-listed libraries, a memory cap, and a
// time/instruction budget per call. One Sandbox per worker thread; not thread-safe.
// (DESIGN.md §4; docs/lua-rules.md for script authors.)

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace storeflow::script {

struct Limits {
  // Wall-clock budget of one call (expression evaluation or rule call).
  std::chrono::milliseconds time_per_call{250};
  // Lua VM instructions per call; 0 means no instruction cap (time still applies).
  std::uint64_t instructions_per_call = 100'000'000;
  // Bytes the whole state may hold (the allocator refuses more).
  std::size_t memory_bytes = 64u * 1024u * 1024u;
};

// Compiles `code` as a text chunk without running it. On a syntax error returns
// InvalidArgument whose message is Lua's ("<chunk>:LINE: message near 'x'"); the
// line is relative to the chunk's first line.
Status CheckChunkSyntax(std::string_view code, std::string_view chunk_name);

// Same for a bare expression (as written in `if:`, `key:`, `where:`, `${{ }}`).
Status CheckExpressionSyntax(std::string_view expression, std::string_view chunk_name);

// What the engine passes into every call besides the data.
struct CallContext {
  // The engine's notion of "now" (real or virtual clock), milliseconds since the epoch.
  // Scripts read it through time.now(); they have no clock of their own.
  std::int64_t now_unix_ms = 0;
};

class Sandbox {
 public:
  explicit Sandbox(Limits limits = {});
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const Limits& limits() const;

  // Evaluates a Lua expression with the names of `context` (an object: event, run,
  // steps, config, ...) visible as globals, in a fresh environment per call.
  // `chunk_name` names the origin for errors, e.g. "@workflows/cart.yaml:42".
  Result<nlohmann::json> EvaluateExpression(std::string_view expression,
                                            const nlohmann::json& context,
                                            std::string_view chunk_name,
                                            const CallContext& call = {});

  // Calls FUNCTION of the rule script at `script_path` with `input` converted to
  // Lua, and returns its result converted to JSON. The compiled script is cached
  // by path and content. Errors carry a Lua traceback naming "@<script_path>:LINE".
  Result<nlohmann::json> CallRule(const std::string& script_path, std::string_view function,
                                  const nlohmann::json& input, const CallContext& call = {});

  // The names of the functions a rule script exports (for the validator).
  Result<std::vector<std::string>> RuleFunctions(const std::string& script_path);

  // Bytes currently held by the Lua state.
  std::size_t memory_in_use() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace storeflow::script
