#include "sent_mail.h"

#include <time.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace storeflow::chaos {
namespace {

namespace fs = std::filesystem;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// "2026-12-06T04:01:02.345Z" -> ms since the epoch (0 when malformed).
std::int64_t IsoToMs(const std::string& text) {
  tm t{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &t.tm_year, &t.tm_mon, &t.tm_mday,
                  &t.tm_hour, &t.tm_min, &t.tm_sec, &ms) != 7) {
    return 0;
  }
  t.tm_year -= 1900;
  t.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&t)) * 1000 + ms;
}

SentMail FromRaw(const std::string& raw, std::int64_t received_ms) {
  SentMail mail;
  mail.received_ms = received_ms;
  mail.message_id = MailHeader(raw, "Message-ID");
  const std::string key = MailHeader(raw, "X-Storeflow-Idempotency-Key");
  const auto first = key.find('/');
  const auto second = first == std::string::npos ? first : key.find('/', first + 1);
  if (second != std::string::npos) {
    try {
      mail.run_id = std::stoll(key.substr(first + 1, second - first - 1));
    } catch (const std::exception&) {
      mail.run_id = 0;
    }
    mail.step = key.substr(second + 1);
  }
  return mail;
}

}  // namespace

std::string MailHeader(const std::string& raw, const std::string& name) {
  const std::string head = raw.substr(0, raw.find("\r\n\r\n"));
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= head.size()) {
    const std::size_t end = std::min(head.find("\r\n", start), head.size());
    std::string line = head.substr(start, end - start);
    if (!lines.empty() && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      lines.back() += line;
    } else {
      lines.push_back(line);
    }
    start = end + 2;
  }
  for (const std::string& line : lines) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || Lower(line.substr(0, colon)) != Lower(name)) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    return value;
  }
  return "";
}

std::vector<SentMail> MailsAtPeer(const plugins::email::testing::PeerEndpoint& peer,
                                  const std::string& address) {
  std::vector<SentMail> mails;
  for (const auto& m : plugins::email::testing::MessagesTo(peer, address)) {
    mails.push_back(FromRaw(m.value("raw", ""), IsoToMs(m.value("receivedAt", ""))));
  }
  return mails;
}

std::vector<SentMail> MailsInOutbox(const fs::path& folder) {
  std::vector<SentMail> mails;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.path().extension() != ".eml") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    const auto written = fs::last_write_time(entry.path(), ec);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::file_clock::to_sys(written).time_since_epoch())
                        .count();
    mails.push_back(FromRaw(text.str(), ms));
  }
  return mails;
}

}  // namespace storeflow::chaos
