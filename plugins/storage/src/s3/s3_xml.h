#pragma once

// The XML bodies S3 answers with: an <Error> document and a ListObjectsV2
// <ListBucketResult>. Elements are matched by local name, so any (or no)
// namespace is accepted (emulators differ).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storeflow::plugins::storage::s3 {

struct ErrorDocument {
  std::string code;     // "NoSuchKey", "AccessDenied", "SlowDown", ...
  std::string message;  // S3's own text
  std::string request_id;
};

// nullopt when `body` is not an <Error> document (empty, HTML from a proxy, ...).
std::optional<ErrorDocument> ParseErrorDocument(std::string_view body);

struct ListedObject {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;  // without the quotes
};

struct ListResult {
  std::vector<ListedObject> objects;
  bool truncated = false;
  std::string next_continuation_token;  // "" when not truncated
};

// Parses a ListObjectsV2 answer; keys are URL-decoded when the answer says
// <EncodingType>url</EncodingType>. nullopt with `problem` set when the body is not
// such a document.
std::optional<ListResult> ParseListResult(std::string_view body, std::string* problem);

// An ETag without its surrounding quotes.
std::string UnquoteEtag(std::string_view etag);

}  // namespace storeflow::plugins::storage::s3
