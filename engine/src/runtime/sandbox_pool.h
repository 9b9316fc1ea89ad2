#pragma once

// Spare Lua sandboxes for callers that have none of their own (Engine::
// PublishBatch, called from many threads). A borrowed sandbox goes back to the
// pool when its Lease ends, also when an exception unwinds past it. Thread-safe.

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "script/sandbox.h"

namespace storeflow::runtime {

class SandboxPool {
 public:
  using Factory = std::function<std::unique_ptr<script::Sandbox>()>;

  // One borrowed sandbox; returns it to the pool when destroyed.
  class Lease {
   public:
    Lease(SandboxPool& pool, std::unique_ptr<script::Sandbox> sandbox)
        : pool_(&pool), sandbox_(std::move(sandbox)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (sandbox_ == nullptr) return;  // moved from
      try {
        pool_->Return(std::move(sandbox_));
      } catch (...) {  // out of memory: the sandbox is dropped, not kept
      }
    }
    script::Sandbox& operator*() const { return *sandbox_; }
    script::Sandbox* operator->() const { return sandbox_.get(); }

   private:
    SandboxPool* pool_;
    std::unique_ptr<script::Sandbox> sandbox_;
  };

  // `make` creates a sandbox when none is idle.
  explicit SandboxPool(Factory make) : make_(std::move(make)) {}

  Lease Borrow();
  // Sandboxes waiting to be borrowed.
  std::size_t idle() const;

 private:
  void Return(std::unique_ptr<script::Sandbox> sandbox);

  Factory make_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<script::Sandbox>> idle_;
};

}  // namespace storeflow::runtime
