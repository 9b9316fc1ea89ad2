#include "email_manifest.h"

namespace storeflow::plugins::email {

const char* const kEmailManifest = R"json({
  "description": "Sends email through SMTP (STARTTLS, AUTH) or into an outbox folder of .eml files.",
  "config_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "transport": {"type": "string", "enum": ["smtp", "outbox"], "default": "outbox",
                    "description": "smtp sends to a server; outbox writes <folder>/<key>.eml files."},
      "from": {"type": "string", "description": "Default sender when the input has no `from`."},
      "templates_dir": {"type": "string", "description": "Folder of <name>.subject.txt, <name>.txt, <name>.html templates."},
      "storage_root": {"type": "string", "default": "var/storage",
                       "description": "Root folder of the local storage that `attachments[].storage_key` reads."},
      "message_id_domain": {"type": "string", "default": "storeflow.local",
                            "description": "Right-hand side of generated Message-IDs."},
      "max_message_bytes": {"type": "integer", "minimum": 1, "default": 20971520},
      "outbox": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "folder": {"type": "string", "minLength": 1, "default": "var/outbox"},
          "fsync": {"type": "boolean", "default": true}
        }
      },
      "smtp": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "host": {"type": "string", "minLength": 1},
          "port": {"type": "integer", "minimum": 1, "maximum": 65535,
                   "description": "Default 587, or 465 with tls: true."},
          "tls": {"type": "boolean", "default": false, "description": "Implicit TLS from the first byte (port 465)."},
          "starttls": {"type": "string", "enum": ["required", "optional", "off"], "default": "required"},
          "username": {"type": "string"},
          "password_secret": {"type": "string", "description": "Name of the secret holding the password."},
          "auth": {"type": "string", "enum": ["auto", "plain", "login"], "default": "auto"},
          "helo_name": {"type": "string", "default": "storeflow.local"},
          "connect_timeout_ms": {"type": "integer", "minimum": 1, "default": 10000},
          "command_timeout_ms": {"type": "integer", "minimum": 1, "default": 60000},
          "ca_file": {"type": "string", "description": "PEM file of CAs to trust instead of the system's."},
          "insecure_skip_verify": {"type": "boolean", "default": false,
                                   "description": "Accept any certificate (tests with self-signed peers only)."}
        }
      }
    }
  },
  "metrics": [
    {"name": "messages_sent", "type": "counter", "help": "Messages handed to the transport (label transport)."},
    {"name": "messages_failed", "type": "counter", "help": "Sends that failed (labels transport, code)."},
    {"name": "send_seconds", "type": "histogram", "unit": "seconds", "help": "Time to send one message (label transport)."}
  ],
  "actions": [
    {
      "name": "email.send",
      "description": "Sends one email (text and/or HTML, attachments, custom headers, optional template). Its Message-ID derives from the step's idempotency key.",
      "input_schema": {
        "type": "object",
        "additionalProperties": false,
        "required": ["to"],
        "definitions": {
          "addresses": {
            "oneOf": [
              {"type": "string", "minLength": 3},
              {"type": "array", "minItems": 1, "maxItems": 100, "items": {"type": "string", "minLength": 3}}
            ]
          }
        },
        "properties": {
          "to": {"$ref": "#/definitions/addresses"},
          "cc": {"$ref": "#/definitions/addresses"},
          "bcc": {"$ref": "#/definitions/addresses"},
          "reply_to": {"$ref": "#/definitions/addresses"},
          "from": {"type": "string", "minLength": 3},
          "subject": {"type": "string"},
          "text": {"type": "string"},
          "html": {"type": "string"},
          "template": {"type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]*$", "maxLength": 100},
          "data": {"type": "object"},
          "headers": {"type": "object", "additionalProperties": {"type": "string"}},
          "attachments": {
            "type": "array",
            "items": {
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "storage_key": {"type": "string", "minLength": 1},
                "content_base64": {"type": "string"},
                "filename": {"type": "string", "minLength": 1, "maxLength": 255},
                "content_type": {"type": "string"}
              },
              "oneOf": [
                {"required": ["storage_key"], "not": {"required": ["content_base64"]}},
                {"required": ["content_base64", "filename"], "not": {"required": ["storage_key"]}}
              ]
            }
          }
        }
      },
      "output_schema": {
        "type": "object",
        "properties": {
          "message_id": {"type": "string"},
          "accepted": {"type": "array", "items": {"type": "string"}},
          "transport": {"type": "string"},
          "path": {"type": "string"},
          "smtp_reply": {"type": "string"}
        }
      },
      "examples": [
        {"to": "customer@example.com", "subject": "Your order", "text": "Thanks for your order."},
        {"to": ["Ada <ada@example.com>"], "template": "order_confirmation", "data": {"order": {"id": 1001}},
         "attachments": [{"storage_key": "invoices/1001.pdf"}]}
      ]
    }
  ]
})json";

}  // namespace storeflow::plugins::email
