#include "s3_xml.h"

#include <Poco/AutoPtr.h>
#include <Poco/DOM/DOMParser.h>
#include <Poco/DOM/Document.h>
#include <Poco/DOM/Element.h>
#include <Poco/DOM/Node.h>
#include <Poco/Exception.h>
#include <Poco/SAX/XMLReader.h>

#include <charconv>

namespace storeflow::plugins::storage::s3 {
namespace {

using Poco::XML::Element;
using Poco::XML::Node;

Poco::AutoPtr<Poco::XML::Document> Parse(std::string_view body) {
  Poco::XML::DOMParser parser;
  parser.setFeature(Poco::XML::DOMParser::FEATURE_FILTER_WHITESPACE, true);
  // An answer never needs outside entities: none is fetched.
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
  parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
  return parser.parseMemory(body.data(), body.size());
}

// The element's name without a namespace prefix.
std::string LocalName(const Node* node) {
  const std::string& name = node->nodeName();
  const auto colon = name.find(':');
  return colon == std::string::npos ? name : name.substr(colon + 1);
}

bool IsElement(const Node* node, const char* local_name) {
  return node != nullptr && node->nodeType() == Node::ELEMENT_NODE && LocalName(node) == local_name;
}

// The first child element of `parent` with this local name, or null.
Element* Child(Node* parent, const char* local_name) {
  for (Node* n = parent->firstChild(); n != nullptr; n = n->nextSibling()) {
    if (IsElement(n, local_name)) {
      return static_cast<Element*>(n);
    }
  }
  return nullptr;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A key of an `encoding-type=url` listing: %XX is a byte, '+' a space (S3
// form-encodes); a '%' not followed by two hex digits is kept as is.
std::string UrlDecodeKey(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string ChildText(Node* parent, const char* local_name) {
  Element* e = Child(parent, local_name);
  return e == nullptr ? std::string() : e->innerText();
}

}  // namespace

std::string UnquoteEtag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

std::optional<ErrorDocument> ParseErrorDocument(std::string_view body) {
  if (body.empty()) return std::nullopt;
  try {
    auto doc = Parse(body);
    Element* root = doc->documentElement();
    if (!IsElement(root, "Error")) return std::nullopt;
    ErrorDocument e;
    e.code = ChildText(root, "Code");
    e.message = ChildText(root, "Message");
    e.request_id = ChildText(root, "RequestId");
    if (e.code.empty()) return std::nullopt;
    return e;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

std::optional<ListResult> ParseListResult(std::string_view body, std::string* problem) {
  try {
    auto doc = Parse(body);
    Element* root = doc->documentElement();
    if (!IsElement(root, "ListBucketResult")) {
      *problem = "the answer is not a <ListBucketResult> document";
      return std::nullopt;
    }
    const bool url_encoded = ChildText(root, "EncodingType") == "url";
    ListResult result;
    result.truncated = ChildText(root, "IsTruncated") == "true";
    result.next_continuation_token = ChildText(root, "NextContinuationToken");
    for (Node* n = root->firstChild(); n != nullptr; n = n->nextSibling()) {
      if (!IsElement(n, "Contents")) continue;
      ListedObject object;
      object.key = ChildText(n, "Key");
      if (url_encoded) object.key = UrlDecodeKey(object.key);
      const std::string size = ChildText(n, "Size");
      auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), object.size);
      if (ec != std::errc() || end != size.data() + size.size()) {
        *problem = "the <Size> of key \"" + object.key + "\" is not a number";
        return std::nullopt;
      }
      object.etag = UnquoteEtag(ChildText(n, "ETag"));
      result.objects.push_back(std::move(object));
    }
    if (result.truncated && result.next_continuation_token.empty()) {
      *problem = "the answer is truncated but has no <NextContinuationToken>";
      return std::nullopt;
    }
    return result;
  } catch (const Poco::Exception& e) {
    *problem = "the answer is not XML: " + e.displayText();
    return std::nullopt;
  }
}

}  // namespace storeflow::plugins::storage::s3
