#include "attachments.h"

#include "base64.h"
#include "content_type.h"
#include "json_input.h"
#include "local_backend.h"
#include "storage_key.h"
#include "utf8.h"

namespace storeflow::plugins::email {
namespace {

using sdk::Error;
using storage::OptionalString;

void CheckFilename(const std::string& filename, const std::string& field) {
  if (filename.empty() || filename.size() > 255 || !storage::IsValidUtf8(filename)) {
    throw Error::Permanent("invalid_attachment",
                           field + ".filename must be 1 to 255 bytes of UTF-8");
  }
  for (char c : filename) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '/' || c == '\\') {
      throw Error::Permanent("invalid_attachment", field + ".filename " +
                                                       storage::DisplayKey(filename) +
                                                       " has a control character, '/' or '\\'");
    }
  }
}

}  // namespace

std::vector<MimeAttachment> LoadAttachments(const sdk::Json& attachments,
                                            const std::string& storage_root) {
  std::vector<MimeAttachment> out;
  if (attachments.is_null()) return out;
  if (!attachments.is_array()) {
    throw Error::Permanent("invalid_input", "`attachments` must be a list");
  }
  std::unique_ptr<storage::LocalBackend> backend;
  for (std::size_t i = 0; i < attachments.size(); ++i) {
    const sdk::Json& item = attachments[i];
    std::string field = "attachments[" + std::to_string(i) + "]";
    if (!item.is_object()) throw Error::Permanent("invalid_input", field + " must be an object");
    auto key = OptionalString(item, "storage_key");
    auto base64 = OptionalString(item, "content_base64");
    auto filename = OptionalString(item, "filename");
    auto content_type = OptionalString(item, "content_type");
    if (key.has_value() == base64.has_value()) {
      throw Error::Permanent("invalid_attachment",
                             field + " needs exactly one of `storage_key` and `content_base64`");
    }
    MimeAttachment attachment;
    if (key) {
      storage::ValidateKey(*key);
      if (!backend) {
        storage::LocalBackend::Options options;
        options.root = storage_root;
        options.create_root = false;
        options.durable = false;
        backend = std::make_unique<storage::LocalBackend>(options);
      }
      auto object = backend->Get(*key);
      if (!object) {
        throw Error::Permanent("attachment_not_found", field + ": no object with storage key " +
                                                           storage::DisplayKey(*key) + " under " +
                                                           storage_root);
      }
      attachment.bytes = std::move(object->bytes);
      attachment.content_type = object->info.content_type;
      attachment.filename = filename.value_or(key->substr(key->rfind('/') + 1));
    } else {
      if (!filename) {
        throw Error::Permanent("invalid_attachment",
                               field + " has `content_base64` but no `filename`");
      }
      auto decoded = storage::Base64Decode(*base64);
      if (!decoded) {
        throw Error::Permanent("invalid_base64", field + ".content_base64 is not valid base64");
      }
      attachment.bytes = std::move(*decoded);
      attachment.filename = *filename;
      attachment.content_type = storage::GuessContentType(*filename);
    }
    if (content_type) attachment.content_type = *content_type;
    CheckFilename(attachment.filename, field);
    if (!storage::IsValidContentType(attachment.content_type)) {
      throw Error::Permanent("invalid_attachment",
                             field + ".content_type \"" + attachment.content_type +
                                 "\" is not a MIME type such as application/pdf");
    }
    out.push_back(std::move(attachment));
  }
  return out;
}

}  // namespace storeflow::plugins::email
