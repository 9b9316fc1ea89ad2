// SandboxPool and Engine::PublishBatch's use of it: a borrowed sandbox goes back
// to the pool however the borrower leaves, an exception included.

#include "runtime/sandbox_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "runtime_fixture.h"

namespace storeflow::runtime::testing {
namespace {

TEST(SandboxPoolTest, ABorrowedSandboxIsReusedAfterItsLeaseEnds) {
  int made = 0;
  SandboxPool pool([&] {
    ++made;
    return std::make_unique<script::Sandbox>();
  });
  script::Sandbox* first = nullptr;
  {
    auto lease = pool.Borrow();
    first = &*lease;
    EXPECT_EQ(pool.idle(), 0u);
  }
  EXPECT_EQ(pool.idle(), 1u);
  auto again = pool.Borrow();
  EXPECT_EQ(&*again, first);
  auto second = pool.Borrow();  // none idle: a new one
  EXPECT_NE(&*second, first);
  EXPECT_EQ(made, 2);
}

TEST(SandboxPoolTest, AnExceptionReturnsTheSandbox) {
  SandboxPool pool([] { return std::make_unique<script::Sandbox>(); });
  EXPECT_THROW(
      {
        auto lease = pool.Borrow();
        throw std::runtime_error("boom");
      },
      std::runtime_error);
  EXPECT_EQ(pool.idle(), 1u);
}

// The virtual clock, made to throw from Now() while armed.
class ThrowingClock final : public Clock {
 public:
  explicit ThrowingClock(TimeMs start) : inner_(start) {}
  TimeMs Now() const override {
    if (armed_.load()) throw std::runtime_error("clock failure (test)");
    return inner_.Now();
  }
  bool is_virtual() const override { return true; }
  void AdvanceTo(TimeMs t) override { inner_.AdvanceTo(t); }
  void set_armed(bool armed) { armed_ = armed; }

 private:
  VirtualClock inner_;
  std::atomic<bool> armed_{false};
};

class PublishBatchSandboxTest : public RuntimeTest {};
STOREFLOW_INSTANTIATE_STORE_TESTS(PublishBatchSandboxTest);

TEST_P(PublishBatchSandboxTest, AnExceptionInPublishBatchKeepsItsSandbox) {
  ThrowingClock clock(kT0);
  engine_.reset();
  Engine engine(*store_, clock, actions_, options_);
  store::EventRow event;
  event.topic = "go";
  event.source = "test";
  event.payload = Json::object();
  auto published = engine.PublishBatch({event});
  ASSERT_EQ(published.size(), 1u);
  ASSERT_TRUE(published[0].ok()) << published[0].status().ToString();
  EXPECT_EQ(engine.spare_sandboxes(), 1u);
  clock.set_armed(true);
  EXPECT_THROW((void)engine.PublishBatch({event}), std::runtime_error);
  clock.set_armed(false);
  EXPECT_EQ(engine.spare_sandboxes(), 1u) << "the sandbox borrowed by the failed batch was lost";
}

}  // namespace
}  // namespace storeflow::runtime::testing
