#include "runtime/host_resolver.h"

#include <Poco/Exception.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HostEntry.h>
#include <Poco/Net/NetException.h>
#include <arpa/inet.h>

namespace storeflow::runtime {

std::optional<Poco::Net::IPAddress> ParseNumericHost(const std::string& host) {
  std::string text = host;
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty()) return std::nullopt;
  // inet_aton is what the socket layer (and Poco's IPv4 parser) applies to a
  // host that looks numeric: it reads "127.1", "0x7f.1" and "2130706433" too.
  if (text.find(':') == std::string::npos) {
    in_addr v4{};
    if (inet_aton(text.c_str(), &v4) == 0) return std::nullopt;
    return Poco::Net::IPAddress(&v4, sizeof v4);
  }
  Poco::Net::IPAddress v6;
  if (!Poco::Net::IPAddress::tryParse(text, v6)) return std::nullopt;
  return v6;
}

Result<std::vector<Poco::Net::IPAddress>> SystemHostResolver::Resolve(
    const std::string& host) const {
  if (auto numeric = ParseNumericHost(host)) return std::vector<Poco::Net::IPAddress>{*numeric};
  try {
    const Poco::Net::HostEntry entry = Poco::Net::DNS::hostByName(host);
    std::vector<Poco::Net::IPAddress> addresses = entry.addresses();
    if (addresses.empty()) return NotFound("host '" + host + "' has no address");
    return addresses;
  } catch (const Poco::Net::HostNotFoundException&) {
    return NotFound("host '" + host + "' not found");
  } catch (const Poco::Net::NoAddressFoundException&) {
    return NotFound("host '" + host + "' has no address");
  } catch (const Poco::Exception& e) {
    return Unavailable("cannot resolve host '" + host + "': " + e.displayText());
  }
}

}  // namespace storeflow::runtime
