#pragma once

// The dead-letter list: runs that failed (status failed) until an operator
// retries them (the run resumes at the failed step; completed steps keep their
// outputs) or discards them (status cancelled, error kept).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace storeflow::runtime {

// Failed runs, newest first.
Result<std::vector<store::RunRow>> ListDeadLetters(store::Store& store,
                                                   const std::optional<std::string>& workflow,
                                                   int limit = 100);
// Failed runs matching `filter` (its status is ignored: always failed), newest first.
Result<std::vector<store::RunRow>> ListDeadLetters(store::Store& store, store::RunFilter filter);
// Makes a failed run due now again (run.attempt + 1). FailedPrecondition when the
// run is not failed, NotFound when there is none.
Status RetryDeadLetter(store::Store& store, std::int64_t run_id, store::TimeMs now);
// Retries every failed run of `workflow`; returns how many.
Result<int> RetryAllDeadLetters(store::Store& store, const std::string& workflow,
                                store::TimeMs now);
// Marks a failed run cancelled (it leaves the list; its error stays).
Status DiscardDeadLetter(store::Store& store, std::int64_t run_id, store::TimeMs now);

}  // namespace storeflow::runtime
