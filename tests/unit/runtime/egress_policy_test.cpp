// The egress policy on addresses as data: a test resolver maps names to
// addresses, so no name is looked up in the real DNS and no socket is opened.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/egress_policy.h"

namespace storeflow::runtime {
namespace {

// Names -> addresses, as a DNS server under an attacker's control might answer.
class TestResolver final : public HostResolver {
 public:
  explicit TestResolver(std::map<std::string, std::vector<std::string>> names)
      : names_(std::move(names)) {}
  Result<std::vector<Poco::Net::IPAddress>> Resolve(const std::string& host) const override {
    ++calls;
    if (auto numeric = ParseNumericHost(host)) return std::vector<Poco::Net::IPAddress>{*numeric};
    auto it = names_.find(host);
    if (it == names_.end()) return NotFound("host '" + host + "' not found");
    std::vector<Poco::Net::IPAddress> out;
    for (const std::string& text : it->second) out.push_back(Poco::Net::IPAddress::parse(text));
    return out;
  }
  mutable int calls = 0;

 private:
  std::map<std::string, std::vector<std::string>> names_;
};

std::shared_ptr<TestResolver> Names() {
  return std::make_shared<TestResolver>(std::map<std::string, std::vector<std::string>>{
      {"metadata.test", {"169.254.169.254"}},
      {"internal.test", {"10.0.0.1"}},
      {"mapped.test", {"::ffff:127.0.0.1"}},
      {"ula.test", {"fd00::1"}},
      {"shop.test", {"93.184.216.34", "2606:4700::1"}},
      // One public and one internal answer: refused as a whole.
      {"mixed.test", {"93.184.216.34", "10.0.0.1"}},
      {"partner.test", {"10.20.30.40"}},
      {"api.partner.test", {"10.20.30.41"}},
  });
}

EgressPolicy Policy(const std::vector<std::string>& allow, std::shared_ptr<TestResolver> names) {
  auto policy = EgressPolicy::FromAllowList(allow);
  EXPECT_TRUE(policy.ok()) << policy.status().ToString();
  policy->set_resolver(std::move(names));
  return std::move(*policy);
}

TEST(EgressPolicyTest, NamesResolvingToInternalAddressesAreDenied) {
  const EgressPolicy policy = Policy({}, Names());
  for (const char* host : {"metadata.test", "internal.test", "mapped.test", "ula.test",
                           "mixed.test", "127.0.0.1", "2130706433", "0x7f.1", "::1"}) {
    auto addresses = policy.Resolve(host);
    ASSERT_FALSE(addresses.ok()) << host;
    EXPECT_EQ(addresses.status().code(), StatusCode::kPermissionDenied) << host;
  }
  auto metadata = policy.Resolve("metadata.test");
  EXPECT_EQ(metadata.status().message(),
            "http.request may not connect to 'metadata.test': it resolves to 169.254.169.254, a "
            "link-local address (169.254.0.0/16); an operator can allow it with "
            "http_client.allow_hosts");
  EXPECT_NE(policy.Resolve("mixed.test").status().message().find("10.0.0.1, a private address"),
            std::string::npos);
}

TEST(EgressPolicyTest, PublicAddressesPassAndAreReturnedForTheConnection) {
  auto names = Names();
  const EgressPolicy policy = Policy({}, names);
  auto addresses = policy.Resolve("shop.test");
  ASSERT_TRUE(addresses.ok()) << addresses.status().ToString();
  ASSERT_EQ(addresses->size(), 2u);
  EXPECT_EQ((*addresses)[0].toString(), "93.184.216.34");
  EXPECT_EQ((*addresses)[1].toString(), "2606:4700::1");
  EXPECT_EQ(names->calls, 1);  // resolved once
}

TEST(EgressPolicyTest, TheAllowListAdmitsHostsDomainsAddressesAndRanges) {
  const EgressPolicy by_name = Policy({"Metadata.Test."}, Names());
  EXPECT_TRUE(by_name.Resolve("metadata.test").ok());
  EXPECT_FALSE(by_name.Resolve("internal.test").ok());

  const EgressPolicy by_domain = Policy({"*.partner.test"}, Names());
  EXPECT_TRUE(by_domain.Resolve("api.partner.test").ok());
  EXPECT_FALSE(by_domain.Resolve("partner.test").ok());  // *.x is below x, not x itself
  EXPECT_FALSE(by_domain.Resolve("internal.test").ok());

  const EgressPolicy by_address = Policy({"127.0.0.1"}, Names());
  EXPECT_TRUE(by_address.Resolve("127.0.0.1").ok());
  EXPECT_TRUE(by_address.Resolve("2130706433").ok());   // the same address
  EXPECT_TRUE(by_address.Resolve("mapped.test").ok());  // ::ffff:127.0.0.1
  EXPECT_FALSE(by_address.Resolve("127.0.0.2").ok());
  EXPECT_FALSE(by_address.Resolve("::1").ok());

  const EgressPolicy by_range = Policy({"10.0.0.0/8", "fd00::/8"}, Names());
  EXPECT_TRUE(by_range.Resolve("internal.test").ok());
  EXPECT_TRUE(by_range.Resolve("ula.test").ok());
  EXPECT_TRUE(by_range.Resolve("mixed.test").ok());
  EXPECT_FALSE(by_range.Resolve("metadata.test").ok());
}

TEST(EgressPolicyTest, UnknownNamesAreNotFound) {
  const EgressPolicy policy = Policy({}, Names());
  EXPECT_EQ(policy.Resolve("nowhere.test").status().code(), StatusCode::kNotFound);
}

TEST(EgressPolicyTest, BadAllowEntriesAreNamed) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "nota host",
                          "exa_mple..com", "*.", "http://x.test", "x.test:8080"}) {
    auto entry = ParseEgressAllowEntry(bad);
    ASSERT_FALSE(entry.ok()) << bad;
    EXPECT_EQ(entry.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(entry.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << entry.status().message();
  }
  auto policy = EgressPolicy::FromAllowList({"ok.test", "10.0.0.0/99", "bad host"});
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(policy.status().message().find("'10.0.0.0/99'"), std::string::npos);
  EXPECT_NE(policy.status().message().find("'bad host'"), std::string::npos);
}

}  // namespace
}  // namespace storeflow::runtime
