#pragma once

// Loads a JSON array of objects into a records collection, keyed by one field:
// seed data such as the product catalogue (`storeflow records import`, `demo`).

#include <string>
#include <vector>

#include "common/result.h"

namespace storeflow::store {
class Store;
}  // namespace storeflow::store

namespace storeflow::app {

// Imports every item of `file` in one transaction, replacing records with the
// same key; returns how many. Nothing is imported when any item is bad: the
// error lists each problem as "FILE:LINE:COL: ..." (bad JSON) or "FILE: $[i]...".
Result<int> ImportRecordsFile(store::Store& store, const std::string& collection,
                              const std::string& file, const std::string& key_field);

}  // namespace storeflow::app
