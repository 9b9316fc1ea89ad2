// The local backend against a folder that another process swaps for a
// symbolic link while keys are written: no write, read or delete may ever
// reach outside the storage root, whenever the swap happens.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "local_backend.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage {
namespace {

namespace fs = std::filesystem;

class LocalBackendRaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/storeflow-race-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    root_ = dir_ / "root";
    outside_ = dir_ / "outside";
    fs::create_directories(root_ / "box");
    fs::create_directories(outside_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Swaps root/box and root/box-link (a link to `outside`) atomically, as
  // fast as it can, until `stop`: root/box is always there, a folder one
  // instant and a link the next.
  std::thread Swapper(std::atomic<bool>& stop) {
    return std::thread([this, &stop] {
      const fs::path box = root_ / "box";
      const fs::path link = root_ / "box-link";
      ::symlink(outside_.c_str(), link.c_str());
      while (!stop) {
        ::renameat2(AT_FDCWD, box.c_str(), AT_FDCWD, link.c_str(), RENAME_EXCHANGE);
      }
    });
  }

  fs::path dir_, root_, outside_;
};

TEST_F(LocalBackendRaceTest, AFolderSwappedForALinkNeverRedirectsAWrite) {
  LocalBackend backend({root_, /*durable=*/false, true, 1 << 20});
  std::ofstream(outside_ / "secret.txt") << "secret";
  std::ofstream(root_ / "box" / "secret.txt") << "inside";
  std::atomic<bool> stop{false};
  std::thread swapper = Swapper(stop);
  int written = 0;
  int refused = 0;
  int read_outside = 0;
  // Bounded: 3,000 attempts or 3 seconds, whichever comes first.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (int i = 0; i < 3000 && std::chrono::steady_clock::now() < deadline; ++i) {
    try {
      backend.Put("box/f" + std::to_string(i) + ".txt", "x", "text/plain");
      ++written;
    } catch (const sdk::Error&) {
      ++refused;  // a link or a missing folder at that instant: refused, fine
    }
    try {
      if (auto got = backend.Get("box/secret.txt"); got && got->bytes == "secret") ++read_outside;
    } catch (const sdk::Error&) {
    }
  }
  stop = true;
  swapper.join();
  // Nothing landed outside the root, and nothing was read from there.
  int outside_files = 0;
  for (const auto& entry : fs::directory_iterator(outside_)) {
    if (entry.path().filename() != "secret.txt") ++outside_files;
  }
  EXPECT_EQ(outside_files, 0) << written << " written, " << refused << " refused";
  EXPECT_EQ(read_outside, 0);
  EXPECT_GT(written + refused, 0);
}

}  // namespace
}  // namespace storeflow::plugins::storage
