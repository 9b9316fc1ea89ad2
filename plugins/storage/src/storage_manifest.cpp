#include "storage_manifest.h"

namespace storeflow::plugins::storage {

const char* const kStorageManifest = R"json({
  "description": "Stores files (invoices, reports, exports) by key in a local folder or an S3 bucket.",
  "config_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "backend": {"type": "string", "enum": ["local", "s3"], "default": "local",
                  "description": "Where objects live: `local` (a folder) or `s3` (a bucket)."},
      "root": {"type": "string", "minLength": 1, "default": "var/storage",
               "description": "local: root folder (relative to the engine's working directory)."},
      "fsync": {"type": "boolean", "default": true,
                "description": "local: fsync every file and folder on write (turn off only for throwaway data)."},
      "max_object_bytes": {"type": "integer", "minimum": 1, "default": 33554432,
                           "description": "Largest object put accepts and get returns."},
      "bucket": {"type": "string", "minLength": 3, "maxLength": 63,
                 "description": "s3: the bucket (required with backend s3)."},
      "region": {"type": "string", "minLength": 1,
                 "description": "s3: the bucket's region; default AWS_REGION, else AWS_DEFAULT_REGION."},
      "endpoint": {"type": "string", "minLength": 1,
                   "description": "s3: endpoint override, http(s)://host[:port][/path] (an emulator, MinIO, another partition); default https://s3.<region>.amazonaws.com."},
      "addressing": {"type": "string", "enum": ["path", "virtual"],
                     "description": "s3: path-style (host/bucket/key) or virtual-host (bucket.host/key); default virtual on AWS, path with `endpoint`."},
      "server_side_encryption": {"type": "string", "enum": ["AES256", "aws:kms", "aws:kms:dsse"],
                                 "description": "s3: x-amz-server-side-encryption sent with every put; default: the bucket's own setting."},
      "sse_kms_key_id": {"type": "string", "minLength": 1,
                         "description": "s3: with aws:kms, the KMS key (id, ARN or alias); default the AWS-managed key."},
      "credentials": {
        "type": "object",
        "additionalProperties": false,
        "description": "s3: names of secrets holding the credentials; without it AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.",
        "properties": {
          "access_key_id_secret": {"type": "string", "minLength": 1},
          "secret_access_key_secret": {"type": "string", "minLength": 1},
          "session_token_secret": {"type": "string", "minLength": 1}
        }
      },
      "timeout_ms": {"type": "integer", "minimum": 100, "maximum": 600000, "default": 30000,
                     "description": "s3: connect, send and receive timeout of each request."}
    }
  },
  "metrics": [
    {"name": "objects_written", "type": "counter", "help": "Objects written by storage.put."},
    {"name": "objects_deleted", "type": "counter", "help": "Objects deleted by storage.delete."}
  ],
  "actions": [
    {
      "name": "storage.put",
      "description": "Stores text or base64 bytes under a key, replacing any previous object atomically.",
      "input_schema": {
        "type": "object",
        "additionalProperties": false,
        "required": ["key"],
        "properties": {
          "key": {"type": "string", "minLength": 1, "maxLength": 1024,
                  "description": "Relative path such as invoices/2024/1001.pdf."},
          "text": {"type": "string", "description": "UTF-8 content."},
          "content_base64": {"type": "string", "description": "Binary content, base64."},
          "content_type": {"type": "string", "minLength": 3, "maxLength": 255,
                           "description": "Defaults to a type guessed from the key's extension (.pdf, .csv, .json, ...), else text/plain; charset=utf-8 for text and application/octet-stream for bytes."}
        },
        "oneOf": [{"required": ["text"]}, {"required": ["content_base64"]}]
      },
      "output_schema": {
        "type": "object",
        "properties": {"key": {"type": "string"}, "size": {"type": "integer"},
                       "sha256": {"type": "string"}, "content_type": {"type": "string"},
                       "etag": {"type": "string", "description": "s3: the object's ETag."},
                       "checksum_sha256": {"type": "string", "description": "s3: base64 SHA-256 sent as x-amz-checksum-sha256 and kept by S3."}}
      },
      "examples": [{"key": "invoices/1001.txt", "text": "Invoice 1001"}]
    },
    {
      "name": "storage.get",
      "description": "Reads an object: `text` when it is UTF-8 (encoding auto or text), `content_base64` when asked or when it is binary.",
      "input_schema": {
        "type": "object",
        "additionalProperties": false,
        "required": ["key"],
        "properties": {
          "key": {"type": "string", "minLength": 1, "maxLength": 1024},
          "encoding": {"type": "string", "enum": ["auto", "text", "base64"], "default": "auto"}
        }
      },
      "examples": [{"key": "invoices/1001.txt"}]
    },
    {
      "name": "storage.delete",
      "description": "Deletes an object; `deleted` is false when there was none.",
      "input_schema": {
        "type": "object",
        "additionalProperties": false,
        "required": ["key"],
        "properties": {"key": {"type": "string", "minLength": 1, "maxLength": 1024}}
      },
      "examples": [{"key": "invoices/1001.txt"}]
    },
    {
      "name": "storage.list",
      "description": "Lists keys starting with a prefix, in byte order, a page at a time.",
      "input_schema": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "prefix": {"type": "string", "maxLength": 1024, "default": ""},
          "limit": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
          "continuation": {"type": "string", "maxLength": 4096, "description": "`continuation` of the previous page (with s3: S3's continuation token)."}
        }
      },
      "examples": [{"prefix": "invoices/", "limit": 50}]
    }
  ]
})json";

}  // namespace storeflow::plugins::storage
