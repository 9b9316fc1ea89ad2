#include "aws_json_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/StreamCopier.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <memory>
#include <ostream>

namespace storeflow::plugins::aws {
namespace {

Poco::Net::Context::Ptr TlsContext() {
  static Poco::Net::Context::Ptr context = new Poco::Net::Context(
      Poco::Net::Context::TLS_CLIENT_USE, "", "", "", Poco::Net::Context::VERIFY_STRICT, 9,
      /*loadDefaultCAs=*/true);
  return context;
}

AwsError CredentialsError(const std::string& what) {
  AwsError e;
  e.code = "credentials";
  e.message = what;
  return e;
}

}  // namespace

AwsJsonClient::AwsJsonClient(JsonServiceOptions options, CredentialsProvider credentials)
    : options_(std::move(options)), credentials_(std::move(credentials)) {}

Result<AwsJsonClient> AwsJsonClient::Create(JsonServiceOptions options,
                                            CredentialsProvider credentials) {
  AwsJsonClient client(std::move(options), std::move(credentials));
  const std::string& endpoint = client.options_.endpoint;
  try {
    Poco::URI uri(endpoint);
    client.scheme_ = uri.getScheme();
    if (client.scheme_ != "http" && client.scheme_ != "https") {
      return InvalidArgument("endpoint '" + endpoint + "' must start with http:// or https://");
    }
    if (uri.getHost().empty() || !uri.getQuery().empty() || !uri.getFragment().empty()) {
      return InvalidArgument("endpoint '" + endpoint + "' must be scheme://host[:port][/path]");
    }
    client.host_ = uri.getHost();
    client.port_ = uri.getPort();
    client.path_ = uri.getPath().empty() ? "/" : uri.getPath();
    const bool default_port = (client.scheme_ == "http" && client.port_ == 80) ||
                              (client.scheme_ == "https" && client.port_ == 443);
    client.host_header_ = client.host_ + (default_port ? "" : ":" + std::to_string(client.port_));
  } catch (const Poco::Exception& e) {
    return InvalidArgument("endpoint '" + endpoint + "' is not a URL: " + e.displayText());
  }
  if (!IsRegionName(client.options_.region)) {
    return InvalidArgument("region '" + client.options_.region + "' is not a region name");
  }
  return client;
}

nlohmann::json AwsJsonClient::Call(const std::string& action, const nlohmann::json& request,
                                   std::chrono::milliseconds timeout) const {
  if (timeout.count() <= 0) timeout = options_.timeout;
  Result<Credentials> credentials =
      credentials_ ? credentials_() : Result<Credentials>(FailedPrecondition("no credentials"));
  if (!credentials.ok()) throw AwsCallError(CredentialsError(credentials.status().message()));

  HttpRequest signed_request;
  signed_request.method = "POST";
  signed_request.path = path_;
  signed_request.headers = {{"Host", host_header_},
                            {"Content-Type", options_.content_type},
                            {"X-Amz-Target", options_.target_prefix + "." + action}};
  signed_request.body = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  SigV4Signer signer(SigningOptions::ForService(options_.service, options_.region));
  auto signature = signer.SignHeaders(signed_request, *credentials);
  if (!signature.ok()) throw AwsCallError(CredentialsError(signature.status().message()));

  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;
  try {
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (scheme_ == "https") {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, TlsContext());
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(host_, port_);
    }
    const Poco::Timespan span(static_cast<long>(timeout.count() / 1000),
                              static_cast<long>((timeout.count() % 1000) * 1000));
    session->setTimeout(span, span, span);
    Poco::Net::HTTPRequest http(Poco::Net::HTTPRequest::HTTP_POST, path_,
                                Poco::Net::HTTPMessage::HTTP_1_1);
    for (const HttpHeader& h : signed_request.headers) http.set(h.name, h.value);
    for (const HttpHeader& h : signature->headers) http.set(h.name, h.value);
    http.setContentLength64(static_cast<Poco::Int64>(signed_request.body.size()));
    session->sendRequest(http) << signed_request.body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) headers.push_back({name, value});
    Poco::StreamCopier::copyToString(in, body);
  } catch (const Poco::Exception& e) {
    throw AwsCallError(NetworkError(options_.target_prefix + "." + action + " to " +
                                    options_.endpoint + " failed: " + e.displayText()));
  } catch (const std::exception& e) {
    throw AwsCallError(NetworkError(options_.target_prefix + "." + action + " to " +
                                    options_.endpoint + " failed: " + e.what()));
  }
  if (status < 200 || status >= 300) throw AwsCallError(ParseAwsError(status, headers, body));
  if (body.empty()) return nlohmann::json::object();
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, false);
  if (parsed.is_discarded()) {
    AwsError e;
    e.http_status = status;
    e.code = "bad_response";
    e.message = options_.target_prefix + "." + action + " answered with a body that is not JSON";
    e.retryable = true;
    throw AwsCallError(e);
  }
  return parsed;
}

}  // namespace storeflow::plugins::aws
