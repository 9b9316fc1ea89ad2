#pragma once

namespace storeflow::plugins::storage {

// The storage plugin's manifest (plugin.h): config schema and the input schema
// of storage.put / get / delete / list.
extern const char* const kStorageManifest;

}  // namespace storeflow::plugins::storage
