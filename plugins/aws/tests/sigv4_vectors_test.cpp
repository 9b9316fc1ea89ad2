// Every case of the official SigV4 test suites, byte for byte (tests/fixtures/aws-sigv4,
// README.md there says where each set comes from):
//   classic/      34 cases: the canonical request (.creq), string to sign (.sts),
//                 Authorization value (.authz) and the signed request (.sreq);
//   aws-c-auth-v4 38 cases, each twice: the header form (canonical request, string to
//                 sign, signature, signed request) and the presigned-URL form (the same,
//                 with the signed request's target);
//   s3-docs-examples.json  the 5 examples of the S3 API Reference.
// One test per case and form. No emulator checks signatures: this is the proof.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sigv4_signer.h"
#include "sigv4_vector_reader.h"

namespace storeflow::plugins::aws {
namespace {

namespace fs = std::filesystem;
using testing::RawRequest;
using testing::ReadFile;
using testing::ReadRawRequest;
using Json = nlohmann::json;

const fs::path kRoot = fs::path(STOREFLOW_SOURCE_DIR) / "tests/fixtures/aws-sigv4";

enum class Set { kClassic, kHeader, kQuery, kS3 };

struct VectorCase {
  Set set;
  std::string name;  // the case's folder (classic: relative to classic/) or the S3 example
  fs::path dir;
  int s3_index = -1;
};

std::vector<VectorCase> AllCases() {
  std::vector<VectorCase> cases;
  std::vector<fs::path> classic;
  for (const auto& entry : fs::recursive_directory_iterator(kRoot / "classic")) {
    if (entry.path().extension() == ".req") classic.push_back(entry.path().parent_path());
  }
  std::sort(classic.begin(), classic.end());
  for (const fs::path& dir : classic) {
    cases.push_back({Set::kClassic, fs::relative(dir, kRoot / "classic").string(), dir});
  }
  std::vector<fs::path> crt;
  for (const auto& entry : fs::directory_iterator(kRoot / "aws-c-auth-v4")) {
    if (fs::exists(entry.path() / "request.txt")) crt.push_back(entry.path());
  }
  std::sort(crt.begin(), crt.end());
  for (Set set : {Set::kHeader, Set::kQuery}) {
    for (const fs::path& dir : crt) cases.push_back({set, dir.filename().string(), dir});
  }
  const Json s3 = Json::parse(ReadFile((kRoot / "s3-docs-examples.json").string()));
  for (std::size_t i = 0; i < s3["vectors"].size(); ++i) {
    cases.push_back(
        {Set::kS3, s3["vectors"][i]["name"].get<std::string>(), kRoot, static_cast<int>(i)});
  }
  return cases;
}

// gtest prints a parameter of a failed test with this (not as raw bytes).
void PrintTo(const VectorCase& c, std::ostream* out) {
  *out << c.dir.string() << (c.set == Set::kQuery ? " (presigned)" : "")
       << (c.s3_index >= 0 ? " #" + std::to_string(c.s3_index) + " " + c.name : "");
}

std::string CaseName(const ::testing::TestParamInfo<VectorCase>& info) {
  static const char* kPrefix[] = {"classic_", "header_", "query_", "s3_"};
  std::string name = kPrefix[static_cast<int>(info.param.set)] + info.param.name;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

std::chrono::system_clock::time_point ParseTime(const std::string& iso) {
  std::tm tm{};
  if (strptime(iso.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr &&
      strptime(iso.c_str(), "%Y%m%dT%H%M%SZ", &tm) == nullptr) {
    throw std::runtime_error("bad time " + iso);
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

SigV4Signer::Clock FixedClock(const std::string& iso) {
  const auto time = ParseTime(iso);
  return [time] { return time; };
}

// The value of the first line "prefix...": what follows the prefix; "" if none.
std::string LineValue(const std::string& text, const std::string& prefix) {
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (text.compare(start, prefix.size(), prefix) == 0) {
      return text.substr(start + prefix.size(), end - start - prefix.size());
    }
    start = end + 1;
  }
  return "";
}

std::string HeaderLines(const std::vector<HttpHeader>& headers, const char* separator) {
  std::string out;
  for (const HttpHeader& header : headers) out += header.name + separator + header.value + "\n";
  return out;
}

// classic/: the request already carries X-Amz-Date; a session token is signed when the
// .creq has it and added after signing when only the .sreq has it (post-sts-token/readme.txt).
void CheckClassic(const VectorCase& c) {
  const std::string base = (c.dir / c.dir.filename()).string();
  const RawRequest raw = ReadRawRequest(ReadFile(base + ".req"));
  const std::string creq = ReadFile(base + ".creq");
  const std::string sts = ReadFile(base + ".sts");
  const std::string authz = ReadFile(base + ".authz");
  const std::string sreq = ReadFile(base + ".sreq");

  Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  SigningOptions options = SigningOptions::ForService("service", "us-east-1");
  const std::string signed_token = LineValue(creq, "x-amz-security-token:");
  const std::string sent_token = LineValue(sreq, "X-Amz-Security-Token:");
  credentials.session_token = signed_token.empty() ? sent_token : signed_token;
  if (signed_token.empty() && !sent_token.empty()) {
    options.session_token = SessionTokenPlacement::kAddedAfterSigning;
  }
  const SigV4Signer signer(options, FixedClock("2015-08-30T12:36:00Z"));
  Result<HeaderSignature> signature = signer.SignHeaders(raw.request, credentials);
  ASSERT_TRUE(signature.ok()) << signature.status().ToString();
  EXPECT_EQ(signature->trace.canonical_request, creq);
  EXPECT_EQ(signature->trace.string_to_sign, sts);
  EXPECT_EQ(signature->authorization, authz);

  // The signed request: the .req's lines, then what the signer adds ("Authorization: "
  // with a space in this set), then the body.
  std::string built = raw.request_line + "\n" + HeaderLines(raw.headers, ":");
  for (const HttpHeader& header : signature->headers) {
    built += header.name + (header.name == "Authorization" ? ": " : ":") + header.value + "\n";
  }
  built.pop_back();
  if (raw.has_body_separator) built += "\n\n" + raw.request.body;
  if (c.name == "get-vanilla-with-session-token") {
    // Erratum in the published suite: this case's .sreq carries get-vanilla's signature
    // (5fa00fa3...), not the one its own .creq/.sts/.authz give (07ec1639..., which the
    // checks above confirm). Everything else in the .sreq must match.
    const std::string stale = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    std::string expected = sreq;
    expected.replace(expected.find(stale), stale.size(), signature->trace.signature);
    EXPECT_EQ(built, expected);
    EXPECT_NE(built, sreq);
  } else {
    EXPECT_EQ(built, sreq);
  }
}

// aws-c-auth-v4/: context.json gives the options; the signer adds X-Amz-Date itself.
void CheckCrt(const VectorCase& c) {
  const RawRequest raw = ReadRawRequest(ReadFile((c.dir / "request.txt").string()));
  const Json context = Json::parse(ReadFile((c.dir / "context.json").string()));
  const Json& keys = context["credentials"];
  const Credentials credentials{keys["access_key_id"].get<std::string>(),
                                keys["secret_access_key"].get<std::string>(),
                                keys.value("token", std::string())};
  SigningOptions options = SigningOptions::ForService(context["service"].get<std::string>(),
                                                      context["region"].get<std::string>());
  options.normalize_path = context["normalize"].get<bool>();
  options.content_sha256_header = context["sign_body"].get<bool>();
  if (context.value("omit_session_token", false)) {
    options.session_token = SessionTokenPlacement::kAddedAfterSigning;
  }
  const SigV4Signer signer(options, FixedClock(context["timestamp"].get<std::string>()));
  const std::string version = raw.request_line.substr(raw.request_line.rfind(" HTTP/"));
  const std::string body_part = "\n" + raw.request.body;

  if (c.set == Set::kHeader) {
    Result<HeaderSignature> signature = signer.SignHeaders(raw.request, credentials);
    ASSERT_TRUE(signature.ok()) << signature.status().ToString();
    EXPECT_EQ(signature->trace.canonical_request,
              ReadFile((c.dir / "header-canonical-request.txt").string()));
    EXPECT_EQ(signature->trace.string_to_sign,
              ReadFile((c.dir / "header-string-to-sign.txt").string()));
    EXPECT_EQ(signature->trace.signature, ReadFile((c.dir / "header-signature.txt").string()));
    EXPECT_EQ(raw.request_line + "\n" + HeaderLines(raw.headers, ":") +
                  HeaderLines(signature->headers, ":") + body_part,
              ReadFile((c.dir / "header-signed-request.txt").string()));
  } else {
    const auto expires = std::chrono::seconds(context["expiration_in_seconds"].get<int>());
    Result<PresignedRequest> presigned = signer.Presign(raw.request, credentials, expires);
    ASSERT_TRUE(presigned.ok()) << presigned.status().ToString();
    EXPECT_EQ(presigned->trace.canonical_request,
              ReadFile((c.dir / "query-canonical-request.txt").string()));
    EXPECT_EQ(presigned->trace.string_to_sign,
              ReadFile((c.dir / "query-string-to-sign.txt").string()));
    EXPECT_EQ(presigned->trace.signature, ReadFile((c.dir / "query-signature.txt").string()));
    EXPECT_EQ(raw.request.method + " " + presigned->target + version + "\n" +
                  HeaderLines(raw.headers, ":") + body_part,
              ReadFile((c.dir / "query-signed-request.txt").string()));
  }
}

// s3-docs-examples.json: S3's signing rules (no normalisation, no double encoding,
// x-amz-content-sha256). The request carries x-amz-date and x-amz-content-sha256 as in
// the documentation, so the signer adds only Authorization.
void CheckS3(const VectorCase& c) {
  const Json all = Json::parse(ReadFile((kRoot / "s3-docs-examples.json").string()));
  const Json& v = all["vectors"][c.s3_index];
  const Credentials credentials{all["access_key_id"].get<std::string>(),
                                all["secret_access_key"].get<std::string>(), ""};
  SigningOptions options = SigningOptions::ForS3(all["region"].get<std::string>());
  ASSERT_EQ(options.service, all["service"].get<std::string>());
  const std::string payload = v["payload_sha256"].get<std::string>();
  options.unsigned_payload = payload == "UNSIGNED-PAYLOAD";
  const SigV4Signer signer(options, FixedClock(all["amz_date"].get<std::string>()));

  HttpRequest request;
  request.method = v["method"].get<std::string>();
  request.path = v["canonical_uri"].get<std::string>();
  for (const auto& [name, value] : v["headers"].items()) {
    request.headers.push_back({name, value.get<std::string>()});
  }
  if (!options.unsigned_payload) request.payload_sha256 = payload;
  const std::string canonical_query = v["canonical_query"].get<std::string>();

  if (v["authorization"].is_null()) {
    // A presigned URL: the query is what the caller had; the X-Amz-* parameters in the
    // documented canonical query are the signer's output.
    std::string expires;
    std::size_t start = 0;
    while (start <= canonical_query.size()) {
      std::size_t end = canonical_query.find('&', start);
      if (end == std::string::npos) end = canonical_query.size();
      const std::string piece = canonical_query.substr(start, end - start);
      if (piece.rfind("X-Amz-Expires=", 0) == 0) {
        expires = piece.substr(14);
      } else if (piece.rfind("X-Amz-", 0) != 0) {
        request.query += (request.query.empty() ? "" : "&") + piece;
      }
      start = end + 1;
    }
    ASSERT_FALSE(expires.empty());
    Result<PresignedRequest> presigned =
        signer.Presign(request, credentials, std::chrono::seconds(std::stoi(expires)));
    ASSERT_TRUE(presigned.ok()) << presigned.status().ToString();
    EXPECT_EQ(presigned->trace.canonical_request, v["canonical_request"].get<std::string>());
    EXPECT_EQ(presigned->trace.string_to_sign, v["string_to_sign"].get<std::string>());
    EXPECT_EQ(presigned->trace.signature, v["expected_signature"].get<std::string>());
    EXPECT_NE(presigned->query.find("&X-Amz-Signature=" + presigned->trace.signature),
              std::string::npos);
    return;
  }
  request.query = canonical_query;
  Result<HeaderSignature> signature = signer.SignHeaders(request, credentials);
  ASSERT_TRUE(signature.ok()) << signature.status().ToString();
  EXPECT_EQ(signature->trace.canonical_request, v["canonical_request"].get<std::string>());
  EXPECT_EQ(signature->trace.string_to_sign, v["string_to_sign"].get<std::string>());
  EXPECT_EQ(signature->trace.signature, v["expected_signature"].get<std::string>());
  ASSERT_EQ(signature->headers.size(), 1u);  // only Authorization
  // The S3 pages print the header with bare commas between its parts; the signer
  // writes ", " as the other suites (and the SDKs) do, and AWS accepts both. That one
  // difference is undone here; every other byte is compared.
  std::string documented = v["authorization"].get<std::string>();
  for (const char* part : {",SignedHeaders=", ",Signature="}) {
    documented.replace(documented.find(part), 1, ", ");
  }
  EXPECT_EQ(signature->authorization, documented);
}

class SigV4Vectors : public ::testing::TestWithParam<VectorCase> {};

TEST_P(SigV4Vectors, ReproducedByteForByte) {
  const VectorCase& c = GetParam();
  switch (c.set) {
    case Set::kClassic: CheckClassic(c); break;
    case Set::kHeader:
    case Set::kQuery: CheckCrt(c); break;
    case Set::kS3: CheckS3(c); break;
  }
}

INSTANTIATE_TEST_SUITE_P(Official, SigV4Vectors, ::testing::ValuesIn(AllCases()), CaseName);

// The suite cannot pass by finding nothing: every case of the README is there.
TEST(SigV4VectorSet, HasEveryCase) {
  int counts[4] = {};
  for (const VectorCase& c : AllCases()) ++counts[static_cast<int>(c.set)];
  EXPECT_EQ(counts[0], 34);  // classic, incl. normalize-path/* (8) and post-sts-token/* (2)
  EXPECT_EQ(counts[1], 38);  // aws-c-auth-v4, header form
  EXPECT_EQ(counts[2], 38);  // aws-c-auth-v4, presigned form
  EXPECT_EQ(counts[3], 5);   // S3 documentation
}

}  // namespace
}  // namespace storeflow::plugins::aws
