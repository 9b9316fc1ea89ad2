/*
 * storeflow plugin ABI, version 1 (minor 1: storeflow_host_v1.rate_adjust,
 * storeflow_call_v1.previous_attempt; minor 2: storeflow_host_v1.source_topics and
 * public_url; minor 3: event sources, storeflow_plugin_table_v1.start_source and
 * storeflow_source_host).
 *
 * A plugin is a shared library that exports one C function, STOREFLOW_PLUGIN_ENTRY
 * (`storeflow_plugin_v1`), returning a pointer to a static
 * storeflow_plugin_table_v1. Only C types cross this boundary: UTF-8 NUL-terminated strings, JSON
 * as text, fixed-width integers, and function pointers. No exception may leave a plugin function
 * (the C++ wrapper in plugin.hpp turns them into errors).
 *
 * Compatibility rules (see docs/plugin-sdk.md):
 *  - abi_major changes only when a field changes meaning or moves: the host
 *    refuses a plugin built for another major.
 *  - A minor version only appends fields to the end of a struct. A host loads
 *    plugins built for its minor or an older one; it refuses a newer minor (the
 *    plugin may rely on fields this host does not fill in).
 *  - Every struct starts with `struct_size`; readers check it before touching a
 *    field that a later minor appended.
 *
 * Ownership: strings passed to a plugin are owned by the host and valid only for
 * the duration of the call unless said otherwise. Strings a plugin hands to the
 * host (its table, name, manifest) must stay valid until shutdown returns; replies
 * are copied by the host before the reply function returns.
 */
#ifndef STOREFLOW_PLUGIN_H
#define STOREFLOW_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STOREFLOW_PLUGIN_ABI_MAJOR 1
#define STOREFLOW_PLUGIN_ABI_MINOR 3
#define STOREFLOW_PLUGIN_ENTRY storeflow_plugin_v1
#define STOREFLOW_PLUGIN_ENTRY_NAME "storeflow_plugin_v1"

#if defined(_WIN32)
#define STOREFLOW_PLUGIN_EXPORT __declspec(dllexport)
#else
#define STOREFLOW_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* Log levels for storeflow_host_v1.log. */
enum storeflow_log_level {
  STOREFLOW_LOG_DEBUG = 0,
  STOREFLOW_LOG_INFO = 1,
  STOREFLOW_LOG_WARN = 2,
  STOREFLOW_LOG_ERROR = 3
};

/* How an action failed. */
enum storeflow_error_kind {
  /* The step may be retried (timeouts, 4xx SMTP replies, 429/5xx HTTP, ...). */
  STOREFLOW_ERROR_RETRYABLE = 1,
  /* Retrying cannot help (bad input, 5xx SMTP replies, 4xx HTTP, ...). */
  STOREFLOW_ERROR_PERMANENT = 2
};

/* What became of the step's previous attempt, as the host's effect ledger
 * recorded it (storeflow_call_v1.previous_attempt, ABI minor 1). */
enum storeflow_previous_attempt {
  /* This is the step's first attempt. */
  STOREFLOW_PREVIOUS_NONE = 0,
  /* The previous attempt returned an error (recorded): its effect did not happen,
   * as far as the plugin said. */
  STOREFLOW_PREVIOUS_FAILED = 1,
  /* The previous attempt started and its outcome was never recorded: the engine
   * stopped (crash, kill) or lost the run's lease while it was in flight. Its
   * effect may or may not have happened: a plugin that can ask its peer (an
   * idempotency header, a lookup by idempotency_key) should do so before acting
   * again. */
  STOREFLOW_PREVIOUS_UNKNOWN = 2
};

/* What the host knows about the step that invokes an action. */
typedef struct storeflow_call_v1 {
  uint32_t struct_size;
  int64_t run_id;              /* 0 outside a run (e.g. a test harness) */
  const char* workflow;        /* workflow name, "" outside a run */
  const char* step_path;       /* "send", "emails[2].send" */
  const char* idempotency_key; /* the same on every attempt of this step */
  int32_t attempt;             /* 1-based */
  int64_t now_ms;              /* the engine clock, Unix milliseconds */
  int64_t deadline_ms;         /* the step's deadline on the engine clock; -1: none */
  /* ABI minor 1 (check struct_size before reading): */
  int32_t previous_attempt; /* enum storeflow_previous_attempt */
} storeflow_call_v1;

/* Where an invoke (or init) puts its result. Opaque; filled through the host. */
typedef struct storeflow_reply storeflow_reply;

/* Receives a value produced by the host (kv_get). `data` is valid only during the
 * callback. */
typedef void (*storeflow_bytes_fn)(void* user, const char* data, size_t size);

/* Services the host offers. Every function takes `context` as its first argument
 * (pass host->context). All are thread-safe. */
typedef struct storeflow_host_v1 {
  uint32_t struct_size;
  void* context;

  /* Answers an invoke (or init, with "null" output) successfully. `output_json` is
   * a JSON document. Call exactly one reply function per invoke. */
  void (*reply_ok)(storeflow_reply* reply, const char* output_json);
  /* Answers with a classified error. `code` is short and machine-readable
   * ("smtp_550", "timeout"); `message` is for people. retry_after_ms >= 0 is a hint
   * for retryable errors; -1 for none. */
  void (*reply_error)(storeflow_reply* reply, int32_t kind, const char* code, const char* message,
                      int64_t retry_after_ms);

  /* Writes into the engine's log, prefixed with the plugin name and, when `call`
   * is not NULL, the run and step. */
  void (*log)(void* context, const storeflow_call_v1* call, int32_t level, const char* message);

  /* A secret by name (config secrets.file or env STOREFLOW_SECRET_<NAME>); NULL when
   * unknown. The pointer stays valid until shutdown returns. Never log it. */
  const char* (*secret)(void* context, const char* name);

  /* The plugin's own durable key/value space (other plugins cannot see it).
   * kv_get: 1 found (value passed to `sink`), 0 not found, -1 store error.
   * kv_put: ttl_ms > 0 makes the value expire; 0 keeps it. 0 ok, -1 error.
   * kv_delete: 1 deleted, 0 not found, -1 error. */
  int32_t (*kv_get)(void* context, const char* key, storeflow_bytes_fn sink, void* user);
  int32_t (*kv_put)(void* context, const char* key, const char* value, size_t size, int64_t ttl_ms);
  int32_t (*kv_delete)(void* context, const char* key);

  /* Metrics, exported by the engine as storeflow_plugin_<plugin>_<name>, counters
   * with `_total` appended when missing. Declare each in the manifest's optional
   * `metrics` list ({name, type, help, unit?, buckets?}; docs/plugin-sdk.md):
   * an undeclared name is exported with a generic help and warned about once.
   * `labels_json` is a flat JSON object of string values, or NULL. */
  void (*counter_add)(void* context, const char* name, const char* labels_json, double value);
  void (*histogram_observe)(void* context, const char* name, const char* labels_json, double value);
  void (*gauge_set)(void* context, const char* name, const char* labels_json, double value);

  /* The engine clock (Unix milliseconds); virtual in tests. */
  int64_t (*now_ms)(void* context);

  /* A named token bucket shared by all workers of the engine (and, on PostgreSQL,
   * by all engines on the same database). The bucket holds up to `capacity`
   * tokens and gains `refill_per_second` tokens per second. Takes `cost` tokens,
   * waiting at most `max_wait_ms`. Returns 1 when taken; 0 when not, with
   * *retry_after_ms set to when enough tokens will be there; -1 on error. */
  int32_t (*rate_acquire)(void* context, const char* bucket, double capacity,
                          double refill_per_second, double cost, int64_t max_wait_ms,
                          int64_t* retry_after_ms);

  /* Renders `template_text` with the engine's `${{ expression }}` templating (Lua
   * expressions, sandboxed and time-limited) against `data_json` (the expression
   * context: top-level keys become names). 1: rendered text passed to `sink`;
   * 0: the template is wrong, the message (with line:col) passed to `sink`;
   * -1: internal error. */
  int32_t (*render_template)(void* context, const char* template_text, const char* data_json,
                             storeflow_bytes_fn sink, void* user);

  /* --- ABI 1.1 (check struct_size >= STOREFLOW_HOST_V1_1_SIZE before calling) --- */

  /* Corrects a bucket of rate_acquire (same name, capacity and refill) once the
   * real cost is known: first gives back `refund` tokens (>= 0; the level never
   * exceeds the capacity), then, when `at_most` >= 0, lowers the level to
   * `at_most` if it is higher (e.g. what the remote API says is still
   * available). `*level` (may be NULL) receives the level after. Refund 0 and
   * at_most -1 only reads the level. Returns 1 on success, -1 on error. */
  int32_t (*rate_adjust)(void* context, const char* bucket, double capacity,
                         double refill_per_second, double refund, double at_most, double* level);

  /* --- ABI 1.2 (check struct_size >= STOREFLOW_HOST_V1_2_SIZE before calling) --- */

  /* The topics of webhook source `source` ("shopify") that the engine's loaded
   * workflows listen to: each `webhook: <source>/<topic>` trigger and each
   * `wait_for: {event: <source>/<topic>}` step of the current version of every
   * workflow. Passes a JSON array of distinct topic strings, sorted
   * (["carts/create","orders/create"]), to `sink`; an empty array when none
   * does. Returns 1 when passed, 0 when the host knows no workflows (e.g. a
   * test harness or `storeflow validate`), -1 on error. */
  int32_t (*source_topics)(void* context, const char* source, storeflow_bytes_fn sink, void* user);
  /* The engine's public base URL (config http.public_url, e.g.
   * "https://flows.example.com", without a trailing slash): where the outside
   * world reaches its webhooks (<public_url>/webhooks/<source>) and REST
   * triggers. NULL when not configured. Valid until shutdown returns. */
  const char* (*public_url)(void* context);
} storeflow_host_v1;

/* The size of storeflow_host_v1 as ABI 1.1 defines it: a host that fills in
 * rate_adjust has struct_size >= this. */
#define STOREFLOW_HOST_V1_1_SIZE \
  (offsetof(storeflow_host_v1, rate_adjust) + sizeof(((storeflow_host_v1*)0)->rate_adjust))

/* The size of storeflow_host_v1 as ABI 1.2 defines it: a host that fills in
 * source_topics and public_url has struct_size >= this. */
#define STOREFLOW_HOST_V1_2_SIZE \
  (offsetof(storeflow_host_v1, public_url) + sizeof(((storeflow_host_v1*)0)->public_url))

/* --- ABI 1.3: event sources --- */

/* What storeflow_source_host.publish answered. */
enum storeflow_publish_result {
  /* Committed as a new event (with the runs it starts): acknowledge the message
   * upstream now. */
  STOREFLOW_PUBLISH_NEW = 1,
  /* An event with this dedup_key was already committed from this source: nothing
   * new was stored; acknowledge the message upstream too. */
  STOREFLOW_PUBLISH_DUPLICATE = 0,
  /* Not committed (the store failed or did not answer in time, or the engine is
   * stopping): do NOT acknowledge; let the message come back (or retry it). */
  STOREFLOW_PUBLISH_FAILED = -1,
  /* Refused for good: the payload is not JSON, meta is not an object, the topic is
   * empty. Retrying the same message cannot help (treat it as poison). */
  STOREFLOW_PUBLISH_REFUSED = -2
};

/* What the host offers a running source (start_source). Valid until start_source
 * returns; its functions may be called from any thread the source starts. */
typedef struct storeflow_source_host {
  uint32_t struct_size;
  void* source_ctx;
  /* Hands one message to the engine as an event of topic "<source>/<topic>"
   * (what `queue: <source>/<topic>` triggers and wait_for steps match) and
   * blocks until it is committed, through the same group commit as webhooks, or
   * has failed (bounded by http.commit_timeout). `dedup_key` (NULL or "" for
   * none) makes a redelivered message a duplicate: unique per source.
   * `payload_json` is a JSON document; `meta_json` a JSON object or NULL (seen by
   * the run's expressions as `meta`). Returns an enum storeflow_publish_result. */
  int32_t (*publish)(void* source_ctx, const char* topic, const char* dedup_key,
                     const char* payload_json, const char* meta_json);
  /* Waits at most `wait_ms` (0: does not wait) for the host to ask the source to
   * stop. Returns 1 when it must stop (start_source should return soon), 0 when
   * the time passed without that. */
  int32_t (*should_stop)(void* source_ctx, int64_t wait_ms);
} storeflow_source_host;

/* The table a plugin exports. */
typedef struct storeflow_plugin_table_v1 {
  uint32_t struct_size; /* sizeof(storeflow_plugin_table_v1) as the plugin was built */
  uint32_t abi_major;   /* STOREFLOW_PLUGIN_ABI_MAJOR */
  uint32_t abi_minor;   /* STOREFLOW_PLUGIN_ABI_MINOR */
  const char* name;     /* [a-z][a-z0-9_]*, e.g. "email"; its actions are "email.*" */
  const char* version;  /* the plugin's own version, e.g. "1.2.0" */
  /* JSON: {"description": "...", "config_schema": {...},
   *        "actions": [{"name": "email.send", "description": "...",
   *                     "input_schema": {...}, "output_schema": {...}?,
   *                     "examples": [{...}]?}],
   *        "sources": [{"name": "...", "description": "..."}]?} */
  const char* manifest_json;

  /* Creates an instance for `config_json` (already validated against
   * config_schema). Returns NULL on failure after reply_error on `reply`. `host`
   * stays valid until shutdown returns. */
  void* (*init)(const storeflow_host_v1* host, const char* config_json, storeflow_reply* reply);
  /* Runs one action (input already validated against its input_schema). Must call
   * reply_ok or reply_error on `reply` exactly once before returning. Called from
   * many threads at once. */
  void (*invoke)(void* instance, const char* action, const char* input_json,
                 const storeflow_call_v1* call, storeflow_reply* reply);
  /* Releases the instance; no call is in flight. */
  void (*shutdown)(void* instance);

  /* --- ABI 1.3 (the host checks struct_size >= STOREFLOW_TABLE_V1_3_SIZE) --- */

  /* Runs source `name` (declared in the manifest's "sources") until
   * host->should_stop says so, then returns 0. The host calls it on a thread of
   * its own, once per source that a loaded workflow listens to (a `queue:
   * <name>/<topic>` trigger), after init and never after shutdown; the source
   * may start threads of its own and must join them before it returns.
   * `config_json`: {"topics": ["<topic>", ...]}, the topics the workflows listen
   * to. Returns -1 when it cannot run (after logging why through the host's log):
   * the host starts it again after a pause. NULL: the plugin has no sources. */
  int32_t (*start_source)(void* instance, const char* name, const char* config_json,
                          const storeflow_source_host* host);
} storeflow_plugin_table_v1;

/* The size of storeflow_plugin_table_v1 in ABI 1.0 to 1.2 (before start_source). */
#define STOREFLOW_TABLE_V1_0_SIZE                  \
  (offsetof(storeflow_plugin_table_v1, shutdown) + \
   sizeof(((storeflow_plugin_table_v1*)0)->shutdown))

/* The size of storeflow_plugin_table_v1 as ABI 1.3 defines it: a table with
 * struct_size >= this has start_source (which may still be NULL). */
#define STOREFLOW_TABLE_V1_3_SIZE                      \
  (offsetof(storeflow_plugin_table_v1, start_source) + \
   sizeof(((storeflow_plugin_table_v1*)0)->start_source))

/* The entry point a plugin exports. */
typedef const storeflow_plugin_table_v1* (*storeflow_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* STOREFLOW_PLUGIN_H */
