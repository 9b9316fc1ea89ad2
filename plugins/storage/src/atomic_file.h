#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace storeflow::plugins::storage {

// Prefix of the temporary files WriteFileAtomic creates beside their target.
inline constexpr std::string_view kTempPrefix = ".storeflow-tmp-";

// Replaces `path` with `bytes` so that readers see either the old file or the
// whole new one, never a part: writes a temporary file in the same folder,
// fsyncs it (when `durable`), renames it over `path`, then fsyncs the folder.
// The temporary file is removed on failure. The parent folder must exist.
// Throws a classified sdk::Error with `error_code` on failure.
void WriteFileAtomic(const std::filesystem::path& path, std::string_view bytes, bool durable,
                     std::string_view error_code);

// Reads a whole regular file. Throws a classified sdk::Error with `error_code`.
std::string ReadWholeFile(const std::filesystem::path& path, std::string_view error_code);

}  // namespace storeflow::plugins::storage
