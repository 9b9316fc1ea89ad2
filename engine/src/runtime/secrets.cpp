#include "runtime/secrets.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

#include <yaml-cpp/yaml.h>

namespace storeflow::runtime {
namespace {

constexpr std::string_view kEnvPrefix = "STOREFLOW_SECRET_";
constexpr std::string_view kMask = "***";

std::string Where(const std::string& file, const YAML::Mark& mark) {
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string OctalMode(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", mode & 07777u);
  return text;
}

Status ReadFile(const std::string& file, std::map<std::string, std::string>& values) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    return NotFound("secrets file " + file + " cannot be read: " + std::strerror(errno));
  }
  if ((info.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
    return PermissionDenied("secrets file " + file + " has mode " + OctalMode(info.st_mode) +
                            ": group or others may read or write it; run `chmod 600 " + file + "`");
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    return NotFound("secrets file " + file + " cannot be read");
  } catch (const YAML::Exception& e) {
    return InvalidArgument(Where(file, e.mark) + ": " + e.msg);
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap()) {
    return InvalidArgument(Where(file, root.Mark()) +
                           ": a secrets file is a map of NAME: value (text)");
  }
  for (const auto& entry : root) {
    if (!entry.first.IsScalar() || entry.first.Scalar().empty()) {
      return InvalidArgument(Where(file, entry.first.Mark()) + ": a secret name must be text");
    }
    if (!entry.second.IsScalar()) {
      return InvalidArgument(Where(file, entry.second.Mark()) + ": secret '" +
                             entry.first.Scalar() + "' must be text, not a list or map");
    }
    values[entry.first.Scalar()] = entry.second.Scalar();
  }
  return Status::Ok();
}

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

}  // namespace

SecretStore::SecretStore(std::map<std::string, std::string> values) {
  for (auto& [name, value] : values) {
    if (!value.empty()) by_length_.push_back(value);
    values_.emplace(name, std::move(value));
  }
  std::sort(by_length_.begin(), by_length_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

Result<std::shared_ptr<const SecretStore>> SecretStore::Load(const std::optional<std::string>& file,
                                                             char** environment) {
  std::map<std::string, std::string> values;
  for (char** entry = environment; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (text.substr(0, kEnvPrefix.size()) != kEnvPrefix) continue;
    const auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == kEnvPrefix.size()) continue;
    values[std::string(text.substr(kEnvPrefix.size(), eq - kEnvPrefix.size()))] =
        std::string(text.substr(eq + 1));
  }
  if (file && !file->empty()) STOREFLOW_RETURN_IF_ERROR(ReadFile(*file, values));
  return std::shared_ptr<const SecretStore>(std::make_shared<SecretStore>(std::move(values)));
}

const std::string* SecretStore::Find(std::string_view name) const {
  if (auto it = values_.find(name); it != values_.end()) return &it->second;
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (auto it = values_.find(upper); it != values_.end()) return &it->second;
  return nullptr;
}

std::vector<std::string> SecretStore::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, value] : values_) names.push_back(name);
  return names;
}

std::string SecretStore::Redact(std::string text) const {
  for (const std::string& secret : by_length_) {
    for (auto at = text.find(secret); at != std::string::npos;
         at = text.find(secret, at + kMask.size())) {
      text.replace(at, secret.size(), kMask);
    }
  }
  return text;
}

nlohmann::json SecretStore::Redact(const nlohmann::json& value) const {
  if (by_length_.empty()) return value;
  if (value.is_string()) return Redact(value.get<std::string>());
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(Redact(item));
    return out;
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, item] : value.items()) out[Redact(key)] = Redact(item);
    return out;
  }
  return value;
}

std::vector<std::string> SecretNamesIn(std::string_view code) {
  std::vector<std::string> names;
  constexpr std::string_view kWord = "secrets";
  for (auto at = code.find(kWord); at != std::string_view::npos; at = code.find(kWord, at + 1)) {
    if (at > 0 && (IsNameChar(code[at - 1]) || code[at - 1] == '.')) continue;
    std::size_t i = at + kWord.size();
    if (i < code.size() && IsNameChar(code[i])) continue;
    while (i < code.size() && std::isspace(static_cast<unsigned char>(code[i]))) ++i;
    std::string name;
    if (i < code.size() && code[i] == '.') {
      ++i;
      while (i < code.size() && std::isspace(static_cast<unsigned char>(code[i]))) ++i;
      while (i < code.size() && IsNameChar(code[i])) name += code[i++];
    } else if (i + 1 < code.size() && code[i] == '[' &&
               (code[i + 1] == '"' || code[i + 1] == '\'')) {
      const char quote = code[i + 1];
      const auto end = code.find(quote, i + 2);
      if (end != std::string_view::npos) name = std::string(code.substr(i + 2, end - i - 2));
    }
    if (!name.empty() && std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(std::move(name));
    }
  }
  return names;
}

}  // namespace storeflow::runtime
