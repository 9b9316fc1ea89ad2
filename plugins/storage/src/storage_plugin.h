#pragma once

#include <memory>
#include <string_view>

#include "storage_backend.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::storage {

// storage.put / get / delete / list over a StorageBackend chosen in config.
class StoragePlugin : public sdk::Plugin {
 public:
  StoragePlugin(sdk::Host& host, const sdk::Json& config);

  sdk::Json Invoke(std::string_view action, const sdk::Json& input, const sdk::Call& call) override;

 private:
  sdk::Json Put(const sdk::Json& input, const sdk::Call& call);
  sdk::Json Get(const sdk::Json& input);
  sdk::Json Delete(const sdk::Json& input, const sdk::Call& call);
  sdk::Json List(const sdk::Json& input);

  sdk::Host& host_;
  std::unique_ptr<StorageBackend> backend_;
  std::uint64_t max_object_bytes_;
};

}  // namespace storeflow::plugins::storage
