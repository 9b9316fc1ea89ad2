#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storeflow {

// Edit distance: insertions, deletions, substitutions and adjacent transpositions
// (case-sensitive).
std::size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo
// (distance <= max(1, len/3)); ties go to the earlier candidate.
std::optional<std::string> ClosestMatch(std::string_view word,
                                        const std::vector<std::string>& candidates);

// "unknown key 'x' (valid keys: a, b, c); did you mean 'b'?" — the tail after the
// caller's own first words: " (valid keys: …)" plus the suggestion when there is one.
std::string ValidChoicesHint(std::string_view word, const std::vector<std::string>& candidates,
                             std::string_view what = "valid keys");

}  // namespace storeflow
