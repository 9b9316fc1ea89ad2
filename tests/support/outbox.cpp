#include "outbox.h"

#include <algorithm>

#include "child_process.h"

namespace storeflow::test_support {

std::vector<std::string> OutboxEmails(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".eml") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> emails;
  for (const auto& file : files) emails.push_back(ReadFile(file));
  return emails;
}

}  // namespace storeflow::test_support
