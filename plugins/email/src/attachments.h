#pragma once

#include <string>
#include <vector>

#include "mime_builder.h"
#include "storeflow/plugin.hpp"

namespace storeflow::plugins::email {

// The `attachments` input: each item either {storage_key} (read from the local
// storage root with the storage plugin's key rules; filename and content type
// default to the key's last segment and its stored type) or {content_base64,
// filename}; `content_type` may override. Errors are permanent:
// `invalid_attachment`, `attachment_not_found`, `invalid_key`, `invalid_base64`.
std::vector<MimeAttachment> LoadAttachments(const sdk::Json& attachments,
                                            const std::string& storage_root);

}  // namespace storeflow::plugins::email
