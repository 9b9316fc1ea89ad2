#include "smtp_peer.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <stdexcept>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

namespace storeflow::plugins::email::testing {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

nlohmann::json Request(const PeerEndpoint& peer, const std::string& method,
                       const std::string& path) {
  Poco::URI uri(peer.http_url);
  Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  request.setContentLength(0);
  session.sendRequest(request);
  Poco::Net::HTTPResponse response;
  std::istream& in = session.receiveResponse(response);
  std::string body;
  Poco::StreamCopier::copyToString(in, body);
  if (response.getStatus() / 100 != 2) {
    throw std::runtime_error(method + " " + path + " -> " + std::to_string(response.getStatus()) +
                             " " + body);
  }
  return nlohmann::json::parse(body);
}

std::map<std::string, std::string> ReadEnvFile(const std::filesystem::path& path) {
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::size_t eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

std::string PeersScript() {
  return std::string(STOREFLOW_SOURCE_DIR) + "/tools/peers/peers.sh";
}

}  // namespace

std::optional<PeerEndpoint> SharedPeer() {
  PeerEndpoint peer;
  peer.host = Env("SMTP_HOST");
  std::string port = Env("SMTP_PORT");
  peer.http_url = Env("SMTP_HTTP_URL");
  peer.user = Env("SMTP_USER");
  peer.pass = Env("SMTP_PASS");
  if (peer.host.empty() || port.empty() || peer.http_url.empty()) return std::nullopt;
  peer.port = std::stoi(port);
  return peer;
}

bool PeersOff() {
  return Env("STOREFLOW_TEST_PEERS") == "off";
}

std::string MissingPeerMessage() {
  return "the SMTP test peer is not configured (SMTP_HOST, SMTP_PORT, SMTP_HTTP_URL unset): run "
         "the tests through tools/test.sh, or start one with `tools/peers/peers.sh start smtp "
         "--dir DIR` and `set -a; . DIR/smtp.env`, or set STOREFLOW_TEST_PEERS=off to skip";
}

nlohmann::json PeerGet(const PeerEndpoint& peer, const std::string& path) {
  return Request(peer, Poco::Net::HTTPRequest::HTTP_GET, path);
}

nlohmann::json PeerPost(const PeerEndpoint& peer, const std::string& path) {
  return Request(peer, Poco::Net::HTTPRequest::HTTP_POST, path);
}

nlohmann::json MessagesTo(const PeerEndpoint& peer, const std::string& address) {
  std::string query;
  Poco::URI::encode(address, "&=+?#", query);
  return PeerGet(peer, "/messages?to=" + query);
}

std::string UniqueTag(const std::string& hint) {
  static std::atomic<int> counter{0};
  std::string tag;
  for (char c : hint.substr(0, 24)) {  // local parts are limited to 64 characters
    tag += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
               : '-';
  }
  return tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

OwnPeer::OwnPeer(bool require_tls) {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "storeflow-own-smtp.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  std::string command = std::string(require_tls ? "PEERS_SMTP_REQUIRE_TLS=1 " : "") + "'" +
                        PeersScript() + "' start smtp --dir '" + dir_.string() + "' >'" +
                        (dir_ / "start.out").string() + "' 2>&1";
  if (std::system(command.c_str()) != 0) {
    std::ifstream in(dir_ / "start.out");
    std::string out((std::istreambuf_iterator<char>(in)), {});
    throw std::runtime_error("could not start a private SMTP peer: " + out);
  }
  auto env = ReadEnvFile(dir_ / "smtp.env");
  endpoint_.host = env["SMTP_HOST"];
  endpoint_.port = std::stoi(env["SMTP_PORT"]);
  endpoint_.http_url = env["SMTP_HTTP_URL"];
  endpoint_.user = env["SMTP_USER"];
  endpoint_.pass = env["SMTP_PASS"];
}

OwnPeer::~OwnPeer() {
  std::string command =
      "'" + PeersScript() + "' stop --dir '" + dir_.string() + "' >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) {
    // Nothing more to do in a destructor; the temp folder stays for inspection.
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace storeflow::plugins::email::testing
