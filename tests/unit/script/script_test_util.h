#pragma once

// Helpers shared by the sandbox tests: a temporary script folder and short
// ways to run Lua through a Sandbox.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "script/sandbox.h"

namespace storeflow::script::testing {

// A temporary folder (removed on destruction) to act as the script root.
class ScriptDir {
 public:
  ScriptDir() {
    static std::atomic<int> counter{0};
    root_ =
        std::filesystem::temp_directory_path() /
        ("storeflow-script-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(root_);
  }
  ~ScriptDir() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  ScriptDir(const ScriptDir&) = delete;
  ScriptDir& operator=(const ScriptDir&) = delete;

  std::string root() const { return root_.string(); }

  // Writes `content` to root/`relative` (creating folders).
  void Write(const std::string& relative, std::string_view content) const {
    std::filesystem::path p = root_ / relative;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }

 private:
  std::filesystem::path root_;
};

inline bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Limits small enough to keep hostile-script tests fast.
inline Limits FastLimits() {
  Limits l;
  l.time_per_call = std::chrono::milliseconds(100);
  l.instructions_per_call = 0;  // time only
  l.memory_bytes = 16u << 20;
  return l;
}

}  // namespace storeflow::script::testing
