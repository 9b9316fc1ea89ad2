#include "aws_http_client.h"

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

#include "sigv4_signer.h"

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

// The endpoint's path joined with the call's: "/" + "/v2/x" -> "/v2/x".
std::string JoinPath(const std::string& base, const std::string& path) {
  if (path.empty()) return base;
  std::string joined = base;
  while (!joined.empty() && joined.back() == '/') joined.pop_back();
  return joined + path;
}

}  // namespace

AwsHttpClient::AwsHttpClient(ServiceEndpointOptions options, CredentialsProvider credentials)
    : options_(std::move(options)), credentials_(std::move(credentials)) {}

Result<AwsHttpClient> AwsHttpClient::Create(ServiceEndpointOptions options,
                                            CredentialsProvider credentials) {
  AwsHttpClient client(std::move(options), std::move(credentials));
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

AwsHttpResponse AwsHttpClient::Send(const std::string& what, const std::string& method,
                                    const std::string& path, std::vector<HttpHeader> headers,
                                    std::string body, std::chrono::milliseconds timeout) const {
  if (timeout.count() <= 0) timeout = options_.timeout;
  Result<Credentials> credentials =
      credentials_ ? credentials_() : Result<Credentials>(FailedPrecondition("no credentials"));
  if (!credentials.ok()) throw AwsCallError(CredentialsError(credentials.status().message()));

  HttpRequest request;
  request.method = method;
  request.path = JoinPath(path_, path);
  request.headers.push_back({"Host", host_header_});
  for (HttpHeader& h : headers) request.headers.push_back(std::move(h));
  request.body = std::move(body);
  SigV4Signer signer(SigningOptions::ForService(options_.service, options_.region));
  auto signature = signer.SignHeaders(request, *credentials);
  if (!signature.ok()) throw AwsCallError(CredentialsError(signature.status().message()));

  AwsHttpResponse out;
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
    Poco::Net::HTTPRequest http(method, request.path, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const HttpHeader& h : request.headers) http.set(h.name, h.value);
    for (const HttpHeader& h : signature->headers) http.set(h.name, h.value);
    http.setContentLength64(static_cast<Poco::Int64>(request.body.size()));
    session->sendRequest(http) << request.body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    out.status = static_cast<int>(response.getStatus());
    for (const auto& [name, value] : response) out.headers.push_back({name, value});
    Poco::StreamCopier::copyToString(in, out.body);
  } catch (const Poco::Exception& e) {
    throw AwsCallError(
        NetworkError(what + " to " + options_.endpoint + " failed: " + e.displayText()));
  } catch (const std::exception& e) {
    throw AwsCallError(NetworkError(what + " to " + options_.endpoint + " failed: " + e.what()));
  }
  return out;
}

}  // namespace storeflow::plugins::aws
