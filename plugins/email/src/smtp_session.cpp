#include "smtp_session.h"

#include <algorithm>
#include <cctype>

#include <Poco/Net/DialogSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Timespan.h>

namespace storeflow::plugins::email {
namespace {

Poco::Timespan Millis(std::int64_t ms) {
  return Poco::Timespan(ms * 1000);
}

// "250-first\n250 second" -> {"first", "second"}.
std::vector<std::string> ReplyLines(const std::string& raw) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= raw.size()) {
    std::size_t end = raw.find('\n', start);
    std::string line =
        raw.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() >= 4 && std::isdigit(static_cast<unsigned char>(line[0])) &&
        std::isdigit(static_cast<unsigned char>(line[1])) &&
        std::isdigit(static_cast<unsigned char>(line[2])) && (line[3] == ' ' || line[3] == '-')) {
      line = line.substr(4);
    } else if (line.size() == 3 && std::isdigit(static_cast<unsigned char>(line[0]))) {
      line.clear();
    }
    lines.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

}  // namespace

SmtpSession::SmtpSession(const Poco::Net::StreamSocket& socket)
    : Poco::Net::SMTPClientSession(socket) {}

SmtpSession::~SmtpSession() {
  Close();
}

std::unique_ptr<SmtpSession> SmtpSession::Connect(const SmtpConfig& config,
                                                  Poco::Net::Context::Ptr context) {
  Poco::Net::SocketAddress address(config.host, static_cast<Poco::UInt16>(config.port));
  std::unique_ptr<SmtpSession> session;
  if (config.tls) {
    Poco::Net::SecureStreamSocket socket(context);
    socket.setPeerHostName(config.host);
    socket.connect(address, Millis(config.connect_timeout_ms));
    session.reset(new SmtpSession(socket));
  } else {
    Poco::Net::StreamSocket socket;
    socket.connect(address, Millis(config.connect_timeout_ms));
    session.reset(new SmtpSession(socket));
  }
  session->setTimeout(Millis(config.command_timeout_ms));
  session->socket().setSendTimeout(Millis(config.command_timeout_ms));
  return session;
}

SmtpReply SmtpSession::ReadReply() {
  std::string raw;
  int code = socket().receiveStatusMessage(raw);
  SmtpReply reply;
  reply.code = code >= 100 && code <= 599 ? code : 0;
  std::string text;
  for (const std::string& line : ReplyLines(raw)) {
    if (line.empty()) continue;
    if (!text.empty()) text += "; ";
    text += line;
  }
  reply.text = reply.code == 0 && text.empty() ? "(connection closed)" : text;
  last_raw_ = raw;
  return reply;
}

SmtpReply SmtpSession::Command(const std::string& line) {
  socket().sendMessage(line);
  return ReadReply();
}

SmtpReply SmtpSession::Ehlo(const std::string& name) {
  socket().sendMessage("EHLO", name);
  SmtpReply reply = ReadReply();
  capabilities_.clear();
  if (reply.positive()) {
    std::vector<std::string> lines = ReplyLines(last_raw_);
    for (std::size_t i = 1; i < lines.size(); ++i) capabilities_.insert(Upper(lines[i]));
  }
  return reply;
}

bool SmtpSession::HasCapability(std::string_view keyword) const {
  for (const std::string& capability : capabilities_) {
    if (capability == keyword || capability.starts_with(std::string(keyword) + " ")) return true;
  }
  return false;
}

bool SmtpSession::SupportsAuth(std::string_view method) const {
  for (const std::string& capability : capabilities_) {
    if (!capability.starts_with("AUTH ") && !capability.starts_with("AUTH=")) continue;
    std::string methods = " " + capability.substr(5) + " ";
    if (methods.find(" " + std::string(method) + " ") != std::string::npos) return true;
  }
  return false;
}

std::optional<std::uint64_t> SmtpSession::SizeLimit() const {
  for (const std::string& capability : capabilities_) {
    if (capability == "SIZE") return 0;
    if (!capability.starts_with("SIZE ")) continue;
    try {
      return std::stoull(capability.substr(5));
    } catch (const std::exception&) {
      return 0;  // unparseable: treat as "no fixed limit" and let the server decide
    }
  }
  return std::nullopt;
}

void SmtpSession::UpgradeToTls(const std::string& host, Poco::Net::Context::Ptr context) {
  Poco::Net::SecureStreamSocket secure =
      Poco::Net::SecureStreamSocket::attach(socket(), host, context);
  socket() = secure;
  capabilities_.clear();  // must be asked again (RFC 3207)
}

void SmtpSession::SendAll(std::string_view bytes) {
  while (!bytes.empty()) {
    int n = socket().sendBytes(bytes.data(),
                               static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 20)));
    if (n <= 0) throw Poco::IOException("the SMTP connection stopped taking data");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

SmtpReply SmtpSession::SendData(std::string_view data) {
  // Dot-stuffing (RFC 5321 §4.5.2): a line starting with '.' gets another '.'.
  std::string wire;
  wire.reserve(data.size() + data.size() / 64 + 8);
  bool line_start = true;
  for (char c : data) {
    if (line_start && c == '.') wire += '.';
    wire += c;
    line_start = c == '\n';
  }
  if (!wire.ends_with("\r\n")) wire += "\r\n";
  wire += ".\r\n";
  SendAll(wire);
  return ReadReply();
}

void SmtpSession::Close() {
  if (closed_) return;
  closed_ = true;
  try {
    socket().sendMessage("QUIT");
    std::string ignored;
    socket().receiveStatusMessage(ignored);
  } catch (...) {  // the server may be gone already
  }
  try {
    socket().close();
  } catch (...) {
  }
}

void SmtpSession::Abort() {
  if (closed_) return;
  closed_ = true;
  try {
    socket().close();
  } catch (...) {
  }
}

}  // namespace storeflow::plugins::email
