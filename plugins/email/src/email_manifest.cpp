#include "email_manifest.h"

namespace storeflow::plugins::email {

const char* const kEmailManifest = R"json({
  "description": "Sends email through SMTP (STARTTLS, AUTH), Amazon SES v2 (SendEmail, SigV4), or into an outbox folder of .eml files.",
  "config_schema": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
      "transport": {"type": "string", "enum": ["smtp", "ses", "outbox"], "default": "outbox",
                    "description": "smtp sends to a server; ses calls Amazon SES v2 SendEmail; outbox writes <folder>/<key>.eml files."},
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
      "ses": {
        "type": "object",
        "additionalProperties": false,
        "description": "The ses transport (Amazon SES v2 SendEmail).",
        "properties": {
          "region": {"type": "string", "description": "AWS region; default AWS_REGION, else AWS_DEFAULT_REGION."},
          "endpoint": {"type": "string", "description": "Default https://email.<region>.amazonaws.com (an emulator: http://127.0.0.1:<port>)."},
          "credentials": {
            "type": "object",
            "additionalProperties": false,
            "description": "Names of secrets holding the keys; without it: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.",
            "properties": {
              "access_key_id_secret": {"type": "string", "minLength": 1},
              "secret_access_key_secret": {"type": "string", "minLength": 1},
              "session_token_secret": {"type": "string", "minLength": 1}
            }
          },
          "configuration_set": {"type": "string", "minLength": 1, "maxLength": 64,
                                "description": "ConfigurationSetName for every message (the input's `configuration_set` wins)."},
          "tags": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 256},
                   "description": "EmailTags for every message, name: value (the input's `tags` win by name)."},
          "timeout_ms": {"type": "integer", "minimum": 1, "default": 10000,
                         "description": "Per request (connect, send, receive); capped by the step's deadline."}
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
      "description": "Sends one email (text and/or HTML, attachments, custom headers, optional template). Its Message-ID derives from the step's idempotency key; with the ses transport the output's message_id is SES's MessageId.",
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
          "ses_template": {
            "type": "object",
            "additionalProperties": false,
            "required": ["name"],
            "description": "ses transport only: send with the SES stored template `name`, rendered by SES with `data` (no subject, text, html, template or attachments then).",
            "properties": {
              "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
              "data": {"type": "object"}
            }
          },
          "tags": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 256},
                   "description": "ses transport: SES message tags (EmailTags), merged over the config's `ses.tags`; ignored by smtp and outbox."},
          "configuration_set": {"type": "string", "minLength": 1, "maxLength": 64,
                                "description": "ses transport: ConfigurationSetName, instead of the config's `ses.configuration_set`; ignored by smtp and outbox."},
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
          "smtp_reply": {"type": "string"},
          "content": {"type": "string", "enum": ["simple", "raw", "template"],
                      "description": "ses: the SendEmail content form used."}
        }
      },
      "examples": [
        {"to": "customer@example.com", "subject": "Your order", "text": "Thanks for your order."},
        {"to": ["Ada <ada@example.com>"], "template": "order_confirmation", "data": {"order": {"id": 1001}},
         "attachments": [{"storage_key": "invoices/1001.pdf"}]},
        {"to": "customer@example.com", "ses_template": {"name": "OrderShipped", "data": {"order": 1001}},
         "tags": {"campaign": "shipping"}, "configuration_set": "transactional"}
      ]
    }
  ]
})json";

}  // namespace storeflow::plugins::email
