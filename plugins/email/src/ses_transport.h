#pragma once

// The ses transport: SES v2 SendEmail (POST /v2/email/outbound-emails, REST-JSON)
// signed with SigV4 (service "ses") through plugins/aws's AwsHttpClient.
// Credentials from the secrets named in `ses.credentials`, else the AWS_*
// environment; read for each send and never logged. Thread-safe.

#include <memory>
#include <string>

#include "aws_http_client.h"
#include "credentials.h"
#include "email_config.h"
#include "email_request.h"
#include "ses_request.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

struct SesSendResult {
  std::string message_id;  // SES's MessageId
};

class SesTransport {
 public:
  // Resolves the region (config, else AWS_REGION / AWS_DEFAULT_REGION from `env`;
  // empty: the process environment) and the endpoint, and checks that the named
  // secrets exist. Throws Error::Permanent("invalid_config" / "missing_secret").
  SesTransport(const SesConfig& config, const sdk::Host& host, aws::EnvironmentLookup env = {});

  // Sends one request. Throws sdk::Error classified by SesStepError; a 2xx answer
  // without a MessageId is `ses_bad_response` (permanent: SES may have sent it).
  SesSendResult Send(const SesSendEmail& request, const PreparedEmail& prepared,
                     const sdk::Call& call) const;

  const std::string& endpoint() const { return endpoint_; }
  const std::string& region() const { return region_; }

 private:
  SesConfig config_;
  const sdk::Host& host_;
  std::string region_;
  std::string endpoint_;
  std::unique_ptr<aws::AwsHttpClient> http_;
};

}  // namespace storeflow::plugins::email
