#include "s3_emulator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

namespace storeflow::plugins::storage::s3::peers {
namespace {

std::optional<std::string> Env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

bool IsLoopbackEndpoint(const std::string& url) {
  for (const char* prefix : {"http://127.", "http://[::1]"}) {
    if (url.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

std::optional<Emulator> FindEmulator(const std::string& name, std::string* why) {
  struct Names {
    const char* endpoint;
    const char* region;
    const char* key;
    const char* secret;
  };
  const Names names = name == "fauxqs" ? Names{"FAUXQS_S3_ENDPOINT", "FAUXQS_REGION",
                                               "FAUXQS_ACCESS_KEY_ID", "FAUXQS_SECRET_ACCESS_KEY"}
                                       : Names{"S3_ENDPOINT", "S3_REGION", "S3_ACCESS_KEY_ID",
                                               "S3_SECRET_ACCESS_KEY"};
  Emulator e;
  e.name = name;
  auto endpoint = Env(names.endpoint);
  if (!endpoint) {
    *why = std::string(names.endpoint) + " is not set (tools/test.sh starts " + name +
           "; or source its env file from tools/peers/peers.sh)";
    return std::nullopt;
  }
  if (!IsLoopbackEndpoint(*endpoint)) {
    *why = std::string(names.endpoint) + "=" + *endpoint +
           " is not a loopback http endpoint; the tests only talk to 127.0.0.1 / [::1]";
    return std::nullopt;
  }
  e.endpoint = *endpoint;
  e.region = Env(names.region).value_or("us-east-1");
  e.access_key_id = Env(names.key).value_or(name == "fauxqs" ? "test" : "S3RVER");
  e.secret_access_key = Env(names.secret).value_or(name == "fauxqs" ? "test" : "S3RVER");
  return e;
}

std::string NewBucketName(const std::string& tag) {
  static std::atomic<int> counter{0};
  std::string bucket =
      "sf-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  if (bucket.size() > 63) bucket = bucket.substr(bucket.size() - 63);
  while (!bucket.empty() && bucket.front() == '-') bucket.erase(0, 1);
  return bucket;
}

ClientOptions EmulatorOptions(const Emulator& emulator, const std::string& bucket) {
  ClientOptions o;
  o.location.endpoint = ParseEndpoint(emulator.endpoint);
  o.location.addressing = Addressing::kPath;
  o.location.bucket = bucket;
  o.region = emulator.region;
  o.timeout = std::chrono::milliseconds(10'000);
  return o;
}

Client EmulatorClient(const Emulator& emulator, const std::string& bucket) {
  Credentials credentials{emulator.access_key_id, emulator.secret_access_key, ""};
  return Client(EmulatorOptions(emulator, bucket), [credentials] { return credentials; });
}

nlohmann::json EmulatorPluginConfig(const Emulator& emulator, const std::string& bucket) {
  return nlohmann::json{{"backend", "s3"},
                        {"bucket", bucket},
                        {"region", emulator.region},
                        {"endpoint", emulator.endpoint},
                        {"addressing", "path"},
                        {"timeout_ms", 10000},
                        {"credentials",
                         {{"access_key_id_secret", "S3_TEST_KEY_ID"},
                          {"secret_access_key_secret", "S3_TEST_SECRET"}}}};
}

int UnusedLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace storeflow::plugins::storage::s3::peers
