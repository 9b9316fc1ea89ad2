#include "sigv4_signer.h"

#include <cstdio>
#include <ctime>
#include <exception>

#include "canonical_request.h"
#include "sha256.h"
#include "uri_encoding.h"

namespace storeflow::plugins::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr std::string_view kStreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && LowerAscii(a) == LowerAscii(b);
}

bool IsLowerHex64(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsServiceName(std::string_view service) {
  if (service.empty() || service.size() > 64) return false;
  for (char c : service) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return true;
}

bool IsMethod(std::string_view method) {
  if (method.empty()) return false;
  for (char c : method) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_')) return false;
  }
  return true;
}

// The values of the request's headers called `name` (case-insensitive).
std::vector<const HttpHeader*> Find(const std::vector<HttpHeader>& headers, std::string_view name) {
  std::vector<const HttpHeader*> found;
  for (const HttpHeader& header : headers) {
    if (EqualsIgnoreCase(header.name, name)) found.push_back(&header);
  }
  return found;
}

// What both forms share: checked inputs and the parts of the canonical request that
// do not depend on the form.
struct Prepared {
  std::string amz_date;  // 20150830T123600Z
  std::string scope;     // 20150830/us-east-1/service/aws4_request
  std::string canonical_uri;
  std::vector<QueryParam> query;
  std::string payload_hash;
};

Result<Prepared> Prepare(const SigningOptions& options, const HttpRequest& request,
                         const Credentials& credentials, std::chrono::system_clock::time_point now,
                         std::string_view payload_override = {}) {
  if (!IsRegionName(options.region)) {
    return InvalidArgument("signing region `" + options.region.substr(0, 64) +
                           "` is not a region name such as us-east-1");
  }
  if (!IsServiceName(options.service)) {
    return InvalidArgument("signing service `" + options.service.substr(0, 64) +
                           "` is not a service name such as sqs or s3");
  }
  STOREFLOW_RETURN_IF_ERROR(CheckCredentials(credentials));
  if (!IsMethod(request.method)) {
    return InvalidArgument("request method `" + request.method.substr(0, 32) +
                           "` is not an HTTP method such as GET or POST");
  }
  for (const HttpHeader& header : request.headers) {
    STOREFLOW_RETURN_IF_ERROR(CheckHeader(header));
  }
  const auto hosts = Find(request.headers, "host");
  if (hosts.size() != 1 || CanonicalHeaderValue(hosts.front()->value).empty()) {
    return InvalidArgument(hosts.empty() ? "the request has no Host header; SigV4 signs it"
                                         : "the request needs exactly one non-empty Host header");
  }
  if (!Find(request.headers, "authorization").empty()) {
    return InvalidArgument("the request already has an Authorization header");
  }

  Prepared out;
  out.amz_date = AmzDate(now);
  out.scope =
      out.amz_date.substr(0, 8) + '/' + options.region + '/' + options.service + "/aws4_request";
  Result<std::string> uri =
      CanonicalUri(request.path, options.normalize_path, options.double_encode_path);
  if (!uri.ok()) return uri.status();
  out.canonical_uri = std::move(*uri);
  Result<std::vector<QueryParam>> query = ParseQuery(request.query);
  if (!query.ok()) return query.status();
  out.query = std::move(*query);

  if (!payload_override.empty()) {
    if (!request.body.empty() || request.payload_sha256.has_value() || options.unsigned_payload) {
      return InvalidArgument(
          "a streamed (aws-chunked) upload sends its body in signed chunks: leave `body`, "
          "`payload_sha256` and `unsigned_payload` unset");
    }
    out.payload_hash = payload_override;
  } else if (options.unsigned_payload) {
    out.payload_hash = kUnsignedPayload;
  } else if (request.payload_sha256.has_value()) {
    if (!IsLowerHex64(*request.payload_sha256)) {
      return InvalidArgument("payload_sha256 `" + request.payload_sha256->substr(0, 80) +
                             "` is not a lower-case hex SHA-256 (64 characters)");
    }
    out.payload_hash = *request.payload_sha256;
  } else {
    out.payload_hash = Sha256Hex(request.body);
  }
  return out;
}

// A header the signer adds unless the request has it already with the same value.
// Returns whether it must be added.
Result<bool> NeedsHeader(const HttpRequest& request, std::string_view name, std::string_view value,
                         std::string_view what, bool show_value) {
  const auto found = Find(request.headers, name);
  if (found.empty()) return true;
  if (found.size() == 1 && CanonicalHeaderValue(found.front()->value) == value) return false;
  std::string message = "the request's " + std::string(name) + " header";
  if (found.size() > 1) {
    message += " is repeated";
  } else {
    message += show_value ? " `" + found.front()->value.substr(0, 80) + "`" : std::string();
    message += " differs from " + std::string(what);
  }
  return InvalidArgument(message + "; leave it out and the signer adds it");
}

std::string CanonicalRequest(std::string_view method, const Prepared& prepared,
                             std::string_view canonical_query, const CanonicalHeaders& headers) {
  std::string out;
  out.reserve(256 + headers.block.size() + canonical_query.size());
  out.append(method).append("\n");
  out.append(prepared.canonical_uri).append("\n");
  out.append(canonical_query).append("\n");
  out.append(headers.block).append("\n");
  out.append(headers.signed_headers).append("\n");
  out.append(prepared.payload_hash);
  return out;
}

SigningTrace Sign(const SigningOptions& options, const Credentials& credentials,
                  const Prepared& prepared, std::string canonical_request) {
  SigningTrace trace;
  trace.canonical_request = std::move(canonical_request);
  trace.string_to_sign = std::string(kAlgorithm) + '\n' + prepared.amz_date + '\n' +
                         prepared.scope + '\n' + Sha256Hex(trace.canonical_request);
  std::string key = DeriveSigningKey(credentials.secret_access_key, prepared.amz_date.substr(0, 8),
                                     options.region, options.service);
  trace.signature = HexEncode(HmacSha256(key, trace.string_to_sign));
  Wipe(key);
  return trace;
}

// The header form; `payload_override` replaces the payload hash (streaming) and
// `prepared_out` receives the date and scope.
Result<HeaderSignature> SignHeaderForm(const SigningOptions& options,
                                       std::chrono::system_clock::time_point now,
                                       const HttpRequest& request, const Credentials& credentials,
                                       std::string_view payload_override = {},
                                       Prepared* prepared_out = nullptr) {
  try {
    Result<Prepared> prepared = Prepare(options, request, credentials, now, payload_override);
    if (!prepared.ok()) return prepared.status();

    std::vector<HttpHeader> to_sign = request.headers;
    HeaderSignature out;
    const std::string& token = credentials.session_token;
    if (!token.empty()) {
      if (options.session_token == SessionTokenPlacement::kSigned) {
        Result<bool> add = NeedsHeader(request, "X-Amz-Security-Token", token,
                                       "the credentials' session token", /*show_value=*/false);
        if (!add.ok()) return add.status();
        if (*add) {
          to_sign.push_back({"X-Amz-Security-Token", token});
          out.headers.push_back(to_sign.back());
        }
      } else if (!Find(request.headers, "x-amz-security-token").empty()) {
        return InvalidArgument(
            "the request has an X-Amz-Security-Token header, but the session token is to be "
            "added after signing; leave the header out");
      } else {
        out.headers.push_back({"X-Amz-Security-Token", token});
      }
    }
    Result<bool> add_date = NeedsHeader(request, "X-Amz-Date", prepared->amz_date,
                                        "the signing time " + prepared->amz_date, true);
    if (!add_date.ok()) return add_date.status();
    if (*add_date) {
      to_sign.push_back({"X-Amz-Date", prepared->amz_date});
      out.headers.push_back(to_sign.back());
    }
    if (options.content_sha256_header || !payload_override.empty()) {
      Result<bool> add = NeedsHeader(request, "x-amz-content-sha256", prepared->payload_hash,
                                     "the payload hash " + prepared->payload_hash, true);
      if (!add.ok()) return add.status();
      if (*add) {
        to_sign.push_back({"x-amz-content-sha256", prepared->payload_hash});
        out.headers.push_back(to_sign.back());
      }
    }

    Result<CanonicalHeaders> headers = CanonicalizeHeaders(to_sign);
    if (!headers.ok()) return headers.status();
    out.trace = Sign(
        options, credentials, *prepared,
        CanonicalRequest(request.method, *prepared, CanonicalQuery(prepared->query), *headers));
    out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + '/' +
                        prepared->scope + ", SignedHeaders=" + headers->signed_headers +
                        ", Signature=" + out.trace.signature;
    out.headers.push_back({"Authorization", out.authorization});
    if (prepared_out != nullptr) *prepared_out = std::move(*prepared);
    return out;
  } catch (const std::exception& e) {
    return Internal(std::string("SigV4 signing failed: ") + e.what());
  }
}

}  // namespace

SigningOptions SigningOptions::ForS3(std::string region) {
  SigningOptions options = ForService("s3", std::move(region));
  options.normalize_path = false;
  options.double_encode_path = false;
  options.content_sha256_header = true;
  return options;
}

SigningOptions SigningOptions::ForService(std::string service, std::string region) {
  SigningOptions options;
  options.service = std::move(service);
  options.region = std::move(region);
  return options;
}

std::string AmzDate(std::chrono::system_clock::time_point time) {
  const std::time_t seconds =
      std::chrono::duration_cast<std::chrono::seconds>(time.time_since_epoch()).count();
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  const std::size_t length = std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return std::string(text, length);
}

std::string DeriveSigningKey(std::string_view secret_access_key, std::string_view date,
                             std::string_view region, std::string_view service) {
  std::string secret = "AWS4";
  secret += secret_access_key;
  std::string key = HmacSha256(secret, date);
  Wipe(secret);
  for (std::string_view part : {region, service, std::string_view("aws4_request")}) {
    std::string next = HmacSha256(key, part);
    Wipe(key);
    key = std::move(next);
  }
  return key;
}

SigV4Signer::SigV4Signer(SigningOptions options, Clock clock)
    : options_(std::move(options)), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
}

Result<HeaderSignature> SigV4Signer::SignHeaders(const HttpRequest& request,
                                                 const Credentials& credentials) const {
  return SignHeaderForm(options_, clock_(), request, credentials);
}

Result<StreamingUpload> SigV4Signer::SignStreaming(const HttpRequest& request,
                                                   const Credentials& credentials) const {
  const auto decoded = Find(request.headers, "x-amz-decoded-content-length");
  if (decoded.size() != 1 || CanonicalHeaderValue(decoded.front()->value).empty()) {
    return InvalidArgument(
        "a streamed (aws-chunked) upload needs one x-amz-decoded-content-length header (the "
        "object's size), with Content-Encoding: aws-chunked and Content-Length from "
        "AwsChunkedLength");
  }
  Prepared prepared;
  Result<HeaderSignature> seed =
      SignHeaderForm(options_, clock_(), request, credentials, kStreamingPayload, &prepared);
  if (!seed.ok()) return seed.status();
  try {
    std::string key =
        DeriveSigningKey(credentials.secret_access_key, prepared.amz_date.substr(0, 8),
                         options_.region, options_.service);
    ChunkSigner chunks(std::move(key), prepared.amz_date, prepared.scope, seed->trace.signature);
    return StreamingUpload{std::move(*seed), std::move(chunks)};
  } catch (const std::exception& e) {
    return Internal(std::string("SigV4 signing failed: ") + e.what());
  }
}

ChunkSigner::ChunkSigner(std::string signing_key, std::string amz_date, std::string scope,
                         std::string seed_signature)
    : key_(std::move(signing_key)),
      amz_date_(std::move(amz_date)),
      scope_(std::move(scope)),
      previous_(std::move(seed_signature)) {}

ChunkSigner::~ChunkSigner() {
  Wipe(key_);
}

std::string ChunkSigner::Sign(std::string_view chunk) {
  static const std::string kEmptyHash = Sha256Hex("");
  const std::string string_to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + amz_date_ + '\n' + scope_ +
                                     '\n' + previous_ + '\n' + kEmptyHash + '\n' + Sha256Hex(chunk);
  previous_ = HexEncode(HmacSha256(key_, string_to_sign));
  return previous_;
}

std::string ChunkSigner::Frame(std::string_view chunk) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx", chunk.size());
  std::string out = size;
  out += ";chunk-signature=" + Sign(chunk) + "\r\n";
  out.append(chunk);
  out += "\r\n";
  return out;
}

std::uint64_t AwsChunkedLength(std::uint64_t decoded_length, std::uint64_t chunk_size) {
  auto frame = [](std::uint64_t bytes) {
    char size[20];
    const int digits = std::snprintf(size, sizeof size, "%llx",
                                     static_cast<unsigned long long>(bytes));  // NOLINT
    return static_cast<std::uint64_t>(digits) + 17 + 64 + 2 + bytes + 2;
  };
  if (chunk_size == 0) return 0;
  const std::uint64_t full = decoded_length / chunk_size;
  const std::uint64_t rest = decoded_length % chunk_size;
  return full * frame(chunk_size) + (rest > 0 ? frame(rest) : 0) + frame(0);
}

Result<PresignedRequest> SigV4Signer::Presign(const HttpRequest& request,
                                              const Credentials& credentials,
                                              std::chrono::seconds expires) const {
  try {
    if (expires.count() < 1 || expires > kMaxPresignExpiry) {
      return InvalidArgument("a presigned URL's expiry must be 1 to 604800 seconds (7 days), not " +
                             std::to_string(expires.count()));
    }
    Result<Prepared> prepared = Prepare(options_, request, credentials, clock_());
    if (!prepared.ok()) return prepared.status();
    for (const QueryParam& param : prepared->query) {
      for (std::string_view reserved :
           {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
            "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature"}) {
        if (EqualsIgnoreCase(param.name, reserved)) {
          return InvalidArgument("the request's query already has " + std::string(reserved) +
                                 "; presigning adds it");
        }
      }
    }
    Result<CanonicalHeaders> headers = CanonicalizeHeaders(request.headers);
    if (!headers.ok()) return headers.status();

    const std::string credential = credentials.access_key_id + '/' + prepared->scope;
    const std::string expiry = std::to_string(expires.count());
    const std::string& token = credentials.session_token;
    const bool sign_token =
        !token.empty() && options_.session_token == SessionTokenPlacement::kSigned;
    std::vector<QueryParam> params = prepared->query;
    params.push_back({"X-Amz-Algorithm", std::string(kAlgorithm)});
    params.push_back({"X-Amz-Credential", credential});
    params.push_back({"X-Amz-Date", prepared->amz_date});
    params.push_back({"X-Amz-Expires", expiry});
    params.push_back({"X-Amz-SignedHeaders", headers->signed_headers});
    if (sign_token) params.push_back({"X-Amz-Security-Token", token});

    PresignedRequest out;
    out.trace = Sign(options_, credentials, *prepared,
                     CanonicalRequest(request.method, *prepared, CanonicalQuery(params), *headers));
    out.query = request.query;
    if (!out.query.empty() && out.query.back() != '&') out.query += '&';
    out.query += "X-Amz-Algorithm=" + std::string(kAlgorithm);
    out.query += "&X-Amz-Credential=" + UriEncode(credential, false);
    out.query += "&X-Amz-Date=" + prepared->amz_date;
    out.query += "&X-Amz-SignedHeaders=" + UriEncode(headers->signed_headers, false);
    out.query += "&X-Amz-Expires=" + expiry;
    if (!token.empty()) out.query += "&X-Amz-Security-Token=" + UriEncode(token, false);
    out.query += "&X-Amz-Signature=" + out.trace.signature;
    out.target = (request.path.empty() ? std::string("/") : request.path) + '?' + out.query;
    return out;
  } catch (const std::exception& e) {
    return Internal(std::string("SigV4 presigning failed: ") + e.what());
  }
}

}  // namespace storeflow::plugins::aws
