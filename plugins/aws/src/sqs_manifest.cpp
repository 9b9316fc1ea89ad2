#include "sqs_manifest.h"

namespace storeflow::plugins::aws {

const char* SqsManifest() {
  return R"json({
  "description": "Amazon SQS: actions and the sqs event source (queue: sqs/<queue>)",
  "config_schema": {
    "type": "object",
    "properties": {
      "region": {"type": "string", "description": "default: AWS_REGION, AWS_DEFAULT_REGION"},
      "credentials": {
        "type": "object",
        "description": "names of secrets; default: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN",
        "properties": {
          "access_key_id_secret": {"type": "string", "minLength": 1},
          "secret_access_key_secret": {"type": "string", "minLength": 1},
          "session_token_secret": {"type": "string", "minLength": 1}
        },
        "additionalProperties": false
      },
      "endpoint": {"type": "string", "pattern": "^https?://"},
      "allow_purge": {"type": "boolean", "default": false},
      "timeout_ms": {"type": "integer", "minimum": 100, "maximum": 120000},
      "defaults": {"$ref": "#/definitions/queue"},
      "queues": {"type": "object", "additionalProperties": {"$ref": "#/definitions/queue"}}
    },
    "additionalProperties": false,
    "definitions": {
      "queue": {
        "type": "object",
        "properties": {
          "url": {"type": "string", "pattern": "^https?://"},
          "receivers": {"type": "integer", "minimum": 1, "maximum": 64},
          "wait_seconds": {"type": "integer", "minimum": 0, "maximum": 20},
          "max_messages": {"type": "integer", "minimum": 1, "maximum": 10},
          "visibility_timeout": {"type": "integer", "minimum": 1, "maximum": 43200},
          "poison": {"enum": ["reject", "leave"]},
          "group_as_run_key": {"type": "boolean"}
        },
        "additionalProperties": false
      }
    }
  },
  "sources": [
    {"name": "sqs", "description": "the messages of an SQS queue: queue: sqs/<queue name>"}
  ],
  "actions": [
    {
      "name": "sqs.send",
      "description": "sends one message (FIFO: group_id required, deduplication_id defaults to the step's idempotency key)",
      "input_schema": {
        "type": "object",
        "required": ["queue", "body"],
        "properties": {
          "queue": {"type": "string", "minLength": 1, "description": "a queue name or URL"},
          "body": {"description": "a string is sent as is, anything else as JSON"},
          "delay_seconds": {"type": "integer", "minimum": 0, "maximum": 900},
          "attributes": {"type": "object"},
          "group_id": {"type": "string", "minLength": 1, "maxLength": 128},
          "deduplication_id": {"type": "string", "minLength": 1, "maxLength": 128}
        },
        "additionalProperties": false
      },
      "output_schema": {
        "type": "object",
        "required": ["message_id"],
        "properties": {"message_id": {"type": "string"}, "sequence_number": {"type": "string"}}
      },
      "examples": [{"queue": "orders.fifo", "body": "${{ event }}", "group_id": "${{ event.id }}"}]
    },
    {
      "name": "sqs.send_batch",
      "description": "sends up to 10 messages in one call; fails if any was not sent",
      "input_schema": {
        "type": "object",
        "required": ["queue", "messages"],
        "properties": {
          "queue": {"type": "string", "minLength": 1},
          "messages": {
            "type": "array", "minItems": 1, "maxItems": 10,
            "items": {
              "type": "object",
              "required": ["body"],
              "properties": {
                "id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,80}$"},
                "body": {},
                "delay_seconds": {"type": "integer", "minimum": 0, "maximum": 900},
                "attributes": {"type": "object"},
                "group_id": {"type": "string", "minLength": 1, "maxLength": 128},
                "deduplication_id": {"type": "string", "minLength": 1, "maxLength": 128}
              },
              "additionalProperties": false
            }
          }
        },
        "additionalProperties": false
      },
      "examples": [{"queue": "audit", "messages": [{"body": {"a": 1}}, {"body": "text"}]}]
    },
    {
      "name": "sqs.delete",
      "description": "deletes a received message by its receipt handle",
      "input_schema": {
        "type": "object",
        "required": ["queue", "receipt_handle"],
        "properties": {"queue": {"type": "string", "minLength": 1},
                       "receipt_handle": {"type": "string", "minLength": 1}},
        "additionalProperties": false
      }
    },
    {
      "name": "sqs.change_visibility",
      "description": "changes the visibility timeout of a received message",
      "input_schema": {
        "type": "object",
        "required": ["queue", "receipt_handle", "visibility_timeout"],
        "properties": {"queue": {"type": "string", "minLength": 1},
                       "receipt_handle": {"type": "string", "minLength": 1},
                       "visibility_timeout": {"type": "integer", "minimum": 0, "maximum": 43200}},
        "additionalProperties": false
      }
    },
    {
      "name": "sqs.purge",
      "description": "deletes every message of a queue; refused unless sqs.allow_purge is true",
      "input_schema": {
        "type": "object",
        "required": ["queue"],
        "properties": {"queue": {"type": "string", "minLength": 1}},
        "additionalProperties": false
      }
    }
  ]
})json";
}

}  // namespace storeflow::plugins::aws
