#pragma once

// The email plugin's outbox transport writes each message as a .eml file.

#include <filesystem>
#include <string>
#include <vector>

namespace storeflow::test_support {

// The .eml files of `dir`, in name order, each as its raw text.
std::vector<std::string> OutboxEmails(const std::filesystem::path& dir);

}  // namespace storeflow::test_support
