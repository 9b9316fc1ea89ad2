#pragma once

// Helpers of the plugin host tests: where the built plugins are, temporary
// copies of them, and a host over a fixture folder.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "plugin/plugin_host.h"
#include "runtime/action.h"
#include "runtime/clock.h"
#include "runtime/secrets.h"
#include "store/store.h"

namespace storeflow::plugin::testing {

namespace fs = std::filesystem;
using Json = nlohmann::json;

inline fs::path FixtureDir(const std::string& name) {
  return fs::path(STOREFLOW_TEST_PLUGIN_DIR) / name;
}
inline fs::path FixtureYaml(const std::string& name) {
  return FixtureDir(name) / "plugin.yaml";
}
inline fs::path PluginDir(const std::string& name) {
  return fs::path(STOREFLOW_PLUGIN_DIR) / name;
}

inline std::string ReadText(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void WriteText(const fs::path& file, const std::string& text) {
  std::ofstream(file) << text;
  ::chmod(file.c_str(), 0644);
}

// A fresh temporary folder, removed with its content at destruction.
class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("storeflow-plugin-test-" + std::to_string(::getpid()) +
                                         "-" + std::to_string(std::random_device()()));
    fs::create_directories(path_);
    ::chmod(path_.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

  // Copies the plugin folder `from` into <temp>/<as>/ (mode 0755, files 0644/0755).
  fs::path CopyPlugin(const fs::path& from, const std::string& as) {
    const fs::path to = path_ / as;
    fs::create_directories(to);
    ::chmod(to.c_str(), 0755);
    for (const auto& entry : fs::directory_iterator(from)) {
      if (!entry.is_regular_file()) continue;
      const fs::path target = to / entry.path().filename();
      fs::copy_file(entry.path(), target, fs::copy_options::overwrite_existing);
      ::chmod(target.c_str(), target.extension() == ".so" ? 0755 : 0644);
    }
    return to;
  }

 private:
  fs::path path_;
};

// Collects the host's log lines ("level: line").
class LogCapture {
 public:
  runtime::ActionLogger logger() {
    return [this](std::string_view level, std::string_view message) {
      std::lock_guard lock(mu_);
      lines_.push_back(std::string(level) + ": " + std::string(message));
    };
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  bool Contains(const std::string& text) const {
    for (const auto& line : lines()) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
};

inline constexpr runtime::TimeMs kHostT0 = 1'700'000'000'000;

// A plugin host over an in-memory store, a virtual clock at kHostT0, captured log
// lines and one secret (API_KEY); the built-in actions registered. Tests set
// options_ before the first Host() or LoadFixture().
class HostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::Store::Open("sqlite::memory:", store::OpenOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    ASSERT_TRUE(runtime::RegisterBuiltinActions(registry_).ok());
    options_.store = store_.get();
    options_.clock = &clock_;
    options_.log = log_.logger();
    options_.secrets = std::make_shared<runtime::SecretStore>(
        std::map<std::string, std::string>{{"API_KEY", "s3cr3t-value"}});
  }

  PluginHost& Host() {
    if (!host_) host_ = std::make_unique<PluginHost>(options_);
    return *host_;
  }

  PluginInfo LoadFixture(const std::string& name) {
    return Host().LoadOne(FixtureYaml(name), registry_);
  }

  runtime::ActionResult Call(const std::string& action, const Json& input,
                             runtime::ActionContext context = {}) {
    runtime::Action* a = registry_.Find(action);
    EXPECT_NE(a, nullptr) << action << " is not registered";
    if (a == nullptr) return runtime::ActionError::Permanent("missing", action);
    return a->Invoke(input, context);
  }

  runtime::VirtualClock clock_{kHostT0};
  std::unique_ptr<store::Store> store_;
  runtime::ActionRegistry registry_;
  LogCapture log_;
  PluginHostOptions options_;
  std::unique_ptr<PluginHost> host_;
};

}  // namespace storeflow::plugin::testing
