#include "storage_manifest.h"

namespace storeflow::plugins::storage {

const char* const kStorageManifest = R"json({
  "description": "Stores files (invoices, reports, exports) by key in a local folder; an S3 backend follows.",
  "config_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "backend": {"type": "string", "enum": ["local"], "default": "local",
                  "description": "Where objects live. Only `local` for now."},
      "root": {"type": "string", "minLength": 1, "default": "var/storage",
               "description": "Root folder of the local backend (relative to the engine's working directory)."},
      "fsync": {"type": "boolean", "default": true,
                "description": "fsync every file and folder on write (turn off only for throwaway data)."},
      "max_object_bytes": {"type": "integer", "minimum": 1, "default": 33554432,
                           "description": "Largest object put accepts and get returns."}
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
                       "sha256": {"type": "string"}, "content_type": {"type": "string"}}
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
          "continuation": {"type": "string", "description": "`continuation` of the previous page."}
        }
      },
      "examples": [{"prefix": "invoices/", "limit": 50}]
    }
  ]
})json";

}  // namespace storeflow::plugins::storage
