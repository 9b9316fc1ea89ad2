#pragma once

// Access to the recording SMTP peer (tools/peers/smtp-peer.mjs) for the tests:
// the shared instance tools/test.sh starts (SMTP_* environment), and private
// instances for tests that take the server down.
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace storeflow::plugins::email::testing {

struct PeerEndpoint {
  std::string host;
  int port = 0;
  std::string http_url;  // http://127.0.0.1:PORT
  std::string user;
  std::string pass;
};

// The shared peer from SMTP_HOST, SMTP_PORT, SMTP_HTTP_URL, SMTP_USER, SMTP_PASS;
// nullopt when they are not set.
std::optional<PeerEndpoint> SharedPeer();

// True when STOREFLOW_TEST_PEERS=off: peer tests skip instead of failing.
bool PeersOff();

// The message to show when the peer environment is missing.
std::string MissingPeerMessage();

// GET/POST on the peer's HTTP API; throws std::runtime_error on non-2xx.
nlohmann::json PeerGet(const PeerEndpoint& peer, const std::string& path);
nlohmann::json PeerPost(const PeerEndpoint& peer, const std::string& path);

// Messages the peer recorded with `address` among the envelope recipients.
nlohmann::json MessagesTo(const PeerEndpoint& peer, const std::string& address);

// A unique lower-case token for recipients and subjects (test name, pid, counter).
std::string UniqueTag(const std::string& hint);

// A private peer: `tools/peers/peers.sh start smtp --dir <tmp>` in the constructor,
// stop in the destructor. Throws std::runtime_error when it cannot start.
class OwnPeer {
 public:
  explicit OwnPeer(bool require_tls = false);
  ~OwnPeer();
  OwnPeer(const OwnPeer&) = delete;
  OwnPeer& operator=(const OwnPeer&) = delete;
  const PeerEndpoint& endpoint() const { return endpoint_; }

 private:
  std::filesystem::path dir_;
  PeerEndpoint endpoint_;
};

}  // namespace storeflow::plugins::email::testing
