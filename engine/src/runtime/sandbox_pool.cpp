#include "runtime/sandbox_pool.h"

namespace storeflow::runtime {

SandboxPool::Lease SandboxPool::Borrow() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<script::Sandbox> sandbox = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(sandbox));
    }
  }
  return Lease(*this, make_());  // outside the lock: making one loads the Lua libraries
}

std::size_t SandboxPool::idle() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

void SandboxPool::Return(std::unique_ptr<script::Sandbox> sandbox) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(sandbox));
}

}  // namespace storeflow::runtime
