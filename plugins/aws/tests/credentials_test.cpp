// The credentials loader: the standard environment variables, and errors that name
// the variable but never show the secret key or the token.

#include "credentials.h"

#include "credential_source.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <map>

namespace storeflow::plugins::aws {
namespace {

constexpr const char* kSecret = "SeCrEtMaRkEr/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr const char* kToken = "ToKeNmArKeR//////////wEXAMPLE==";

EnvironmentLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

void ExpectNoSecrets(const Status& status) {
  EXPECT_EQ(status.ToString().find("SeCrEtMaRkEr"), std::string::npos) << status.ToString();
  EXPECT_EQ(status.ToString().find("ToKeNmArKeR"), std::string::npos) << status.ToString();
}

TEST(LoadCredentialsFromEnvironment, ReadsTheStandardVariables) {
  Result<EnvironmentCredentials> loaded =
      LoadCredentialsFromEnvironment(Env({{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                          {"AWS_SECRET_ACCESS_KEY", kSecret},
                                          {"AWS_SESSION_TOKEN", kToken},
                                          {"AWS_REGION", "eu-central-1"},
                                          {"AWS_DEFAULT_REGION", "us-west-2"}}));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->credentials.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(loaded->credentials.secret_access_key, kSecret);
  EXPECT_EQ(loaded->credentials.session_token, kToken);
  EXPECT_EQ(loaded->region, "eu-central-1");  // AWS_REGION wins
}

TEST(LoadCredentialsFromEnvironment, TokenAndRegionAreOptional) {
  Result<EnvironmentCredentials> loaded = LoadCredentialsFromEnvironment(
      Env({{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_REGION", ""}}));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->credentials.session_token, "");
  EXPECT_FALSE(loaded->region.has_value());
  loaded = LoadCredentialsFromEnvironment(Env({{"AWS_ACCESS_KEY_ID", "AKID"},
                                               {"AWS_SECRET_ACCESS_KEY", kSecret},
                                               {"AWS_DEFAULT_REGION", "ap-southeast-2"}}));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->region, "ap-southeast-2");
}

TEST(LoadCredentialsFromEnvironment, ReadsTheProcessEnvironmentByDefault) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDFROMPROCESS", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", kSecret, 1);
  ::unsetenv("AWS_SESSION_TOKEN");
  ::setenv("AWS_REGION", "us-east-2", 1);
  Result<EnvironmentCredentials> loaded = LoadCredentialsFromEnvironment();
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_REGION");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->credentials.access_key_id, "AKIDFROMPROCESS");
  EXPECT_EQ(loaded->region, "us-east-2");
}

TEST(LoadCredentialsFromEnvironment, NamesWhatIsMissingOrWrongWithoutShowingSecrets) {
  struct Bad {
    std::map<std::string, std::string> vars;
    StatusCode code;
    const char* says;
  };
  const std::vector<Bad> cases = {
      {{}, StatusCode::kFailedPrecondition, "AWS_ACCESS_KEY_ID is not set"},
      {{{"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_SESSION_TOKEN", kToken}},
       StatusCode::kFailedPrecondition,
       "AWS_ACCESS_KEY_ID is not set"},
      {{{"AWS_ACCESS_KEY_ID", "AKID"}},
       StatusCode::kFailedPrecondition,
       "AWS_SECRET_ACCESS_KEY is not set (AWS_ACCESS_KEY_ID is `AKID`)"},
      {{{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", std::string(kSecret) + "\n"}},
       StatusCode::kInvalidArgument,
       "from the environment: the AWS secret access key for access key id `AKID` contains "
       "whitespace or a control character (a trailing newline?)"},
      {{{"AWS_ACCESS_KEY_ID", "AKID"},
        {"AWS_SECRET_ACCESS_KEY", kSecret},
        {"AWS_SESSION_TOKEN", std::string(kToken) + "\r\n"}},
       StatusCode::kInvalidArgument,
       "session token for access key id `AKID` contains whitespace"},
      {{{"AWS_ACCESS_KEY_ID", "AKID\n"}, {"AWS_SECRET_ACCESS_KEY", kSecret}},
       StatusCode::kInvalidArgument,
       "access key id `AKID?` may contain only letters and digits"},
      {{{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_REGION", "Mars"}},
       StatusCode::kInvalidArgument,
       "AWS_REGION `Mars` is not a region name"},
  };
  for (const Bad& bad : cases) {
    Result<EnvironmentCredentials> loaded = LoadCredentialsFromEnvironment(Env(bad.vars));
    ASSERT_FALSE(loaded.ok()) << bad.says;
    EXPECT_EQ(loaded.status().code(), bad.code) << loaded.status().ToString();
    EXPECT_NE(loaded.status().message().find(bad.says), std::string::npos)
        << loaded.status().message();
    ExpectNoSecrets(loaded.status());
  }
}

TEST(IsRegionName, AcceptsAwsRegionsOnly) {
  for (const char* good : {"us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1"}) {
    EXPECT_TRUE(IsRegionName(good)) << good;
  }
  for (const char* bad : {"", "US-EAST-1", "us east 1", "-us", "us-", "us_east_1"}) {
    EXPECT_FALSE(IsRegionName(bad)) << bad;
  }
}

TEST(ResolveCredentials, ReadsTheNamedSecretsElseTheEnvironment) {
  std::map<std::string, std::string> secrets = {
      {"KEY_ID", "AKIDEXAMPLE"}, {"KEY", kSecret}, {"TOKEN", kToken}};
  SecretLookup lookup = [&secrets](const std::string& name) -> std::optional<std::string> {
    auto it = secrets.find(name);
    if (it == secrets.end()) return std::nullopt;
    return it->second;
  };
  auto names = ParseCredentialSecretNames({{"access_key_id_secret", "KEY_ID"},
                                           {"secret_access_key_secret", "KEY"},
                                           {"session_token_secret", "TOKEN"}},
                                          "ses.credentials");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  auto from_secrets = ResolveCredentials(*names, lookup, "ses.credentials", Env({}));
  ASSERT_TRUE(from_secrets.ok()) << from_secrets.status().ToString();
  EXPECT_EQ(from_secrets->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(from_secrets->secret_access_key, kSecret);
  EXPECT_EQ(from_secrets->session_token, kToken);

  auto from_env = ResolveCredentials(
      CredentialSecretNames(), lookup, "ses.credentials",
      Env({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", kSecret}}));
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->access_key_id, "AKIDENV");

  secrets.erase("KEY");
  auto missing = ResolveCredentials(*names, lookup, "ses.credentials", Env({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "the secret 'KEY' named in ses.credentials is not set");
  ExpectNoSecrets(missing.status());

  auto half = ParseCredentialSecretNames({{"access_key_id_secret", "KEY_ID"}}, "ses.credentials");
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("ses.credentials: set both"), std::string::npos);
  EXPECT_TRUE(ParseCredentialSecretNames(nullptr, "x").ok());
}

}  // namespace
}  // namespace storeflow::plugins::aws
