#!/usr/bin/env bash
# Builds storeflow in the Debug + AddressSanitizer + UBSan configuration and runs
# every test. Installs what it needs first (Debian packages). Safe to re-run:
# the build directory is reused.
#
#   tools/test.sh            build and run the whole suite
#   tools/test.sh -R regex   pass extra arguments to ctest
set -euo pipefail
cd "$(dirname "$0")/.."

# Each stage's duration is printed as it ends and again in a summary at exit, so
# a slow CI run shows where its time went.
stage_times=()
stage_started=$SECONDS
stage_done() {
  local took=$((SECONDS - stage_started))
  stage_times+=("$1: ${took} s")
  echo "test.sh: $1 took ${took} s" >&2
  stage_started=$SECONDS
}

tools/install-deps.sh --test
stage_done "install"

jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset debug >/dev/null
cmake --build --preset debug -j"$jobs"
stage_done "build"

# ASan: report leaks and fail on them; UBSan: print stacks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Peers started below are stopped on exit, last started first: each adds a
# function to cleanup_steps instead of replacing the EXIT trap.
cleanup_steps=()
cleanup() {
  local i
  if [[ ${#stage_times[@]} -gt 0 ]]; then
    echo "test.sh: stages: ${stage_times[*]/%/;} total ${SECONDS} s" >&2
  fi
  for ((i = ${#cleanup_steps[@]} - 1; i >= 0; i--)); do
    "${cleanup_steps[i]}" || true
  done
}
trap cleanup EXIT

# The store's contract tests run against a real PostgreSQL: one throwaway
# cluster for the whole run, stopped on exit (each test makes its own database).
# A server given in STOREFLOW_TEST_PG_URL is used as is; STOREFLOW_TEST_PG=off
# skips the PostgreSQL cases.
if [[ -z "${STOREFLOW_TEST_PG_URL:-}" && "${STOREFLOW_TEST_PG:-}" != off ]]; then
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/storeflow-test-pg.XXXXXX")
  stop_pg() { tools/postgres-throwaway.sh stop "$pg_dir"; }
  cleanup_steps+=(stop_pg)
  STOREFLOW_TEST_PG_URL=$(tools/postgres-throwaway.sh start "$pg_dir")
  export STOREFLOW_TEST_PG_URL
fi

# The email plugin's tests send to a real SMTP server: one recording peer
# (tools/peers/smtp-peer.mjs, with STARTTLS, AUTH and failure injection) for the
# whole run, stopped on exit; its SMTP_* endpoints are exported (see
# tools/peers/README.md). Tests share it, so each uses its own recipients. An
# SMTP_HOST already set is used as is; STOREFLOW_TEST_PEERS=off skips the cases
# that need a peer.
if [[ -z "${SMTP_HOST:-}" && "${STOREFLOW_TEST_PEERS:-}" != off ]]; then
  peers_dir=$(mktemp -d "${TMPDIR:-/tmp}/storeflow-test-peers.XXXXXX")
  stop_peers() { tools/peers/peers.sh stop --dir "$peers_dir" && rm -rf "$peers_dir"; }
  cleanup_steps+=(stop_peers)
  tools/peers/peers.sh start smtp --dir "$peers_dir" >/dev/null
  set -a
  # shellcheck disable=SC1091
  . "$peers_dir/smtp.env"
  set +a
fi

# The aws plugin's SQS tests (actions and the `sqs` event source) run against
# fauxqs (SQS JSON protocol, FIFO, long poll, visibility; Node 22, installed by
# peers.sh from the pinned lock file): one peer for the whole run, stopped on
# exit; its SQS_ENDPOINT and FAUXQS_* are exported. Tests share it and make
# their own queues. An SQS_ENDPOINT already set is used as is;
# STOREFLOW_TEST_PEERS=off skips the cases that need it.
if [[ -z "${SQS_ENDPOINT:-}" && "${STOREFLOW_TEST_PEERS:-}" != off ]]; then
  sqs_peer_dir=$(mktemp -d "${TMPDIR:-/tmp}/storeflow-test-sqs.XXXXXX")
  stop_sqs_peer() { tools/peers/peers.sh stop --dir "$sqs_peer_dir" && rm -rf "$sqs_peer_dir"; }
  cleanup_steps+=(stop_sqs_peer)
  tools/peers/peers.sh start fauxqs --dir "$sqs_peer_dir" >/dev/null
  set -a
  # shellcheck disable=SC1091
  . "$sqs_peer_dir/fauxqs.env"
  set +a
fi

# The email plugin's ses transport tests run against aws-ses-v2-local (SES v2
# SendEmail and stored templates; what it received is read back from its
# /store): one peer for the whole run, stopped on exit; its SES_ENDPOINT,
# SES_STORE_URL, SES_REGION and SES_* keys are exported. Tests share it and tell
# their messages apart by recipient. An SES_ENDPOINT already set is used as is;
# STOREFLOW_TEST_PEERS=off skips the cases that need it.
if [[ -z "${SES_ENDPOINT:-}" && "${STOREFLOW_TEST_PEERS:-}" != off ]]; then
  ses_peer_dir=$(mktemp -d "${TMPDIR:-/tmp}/storeflow-test-ses.XXXXXX")
  stop_ses_peer() { tools/peers/peers.sh stop --dir "$ses_peer_dir" && rm -rf "$ses_peer_dir"; }
  cleanup_steps+=(stop_ses_peer)
  tools/peers/peers.sh start ses --dir "$ses_peer_dir" >/dev/null
  set -a
  # shellcheck disable=SC1091
  . "$ses_peer_dir/ses.env"
  set +a
fi

stage_done "peers"
ctest --preset debug -j"$jobs" "$@"
stage_done "ctest"

# Lint (tools/lint.sh, issue 17): once the tests pass, the published formats are
# checked with the tools users run on them: promtool on the live /metrics of
# `storeflow demo`, redocly on docs/openapi.yaml, ajv (strict) on the workflow
# schema, the shipped workflows and the docs' examples; each tool is also fed a
# broken input that it must refuse. Installs its tools on first use (under
# build/lint-tools and tools/lint/node_modules). Skipped when ctest was given
# arguments (a partial run) or with STOREFLOW_TEST_LINT=off.
if [[ $# -eq 0 && "${STOREFLOW_TEST_LINT:-}" != off ]]; then
  STOREFLOW_BIN=build/debug/bin/storeflow tools/lint.sh
  stage_done "lint"
fi

# Fuzzing (docs/fuzzing.md): once the tests pass, every libFuzzer target runs for
# 30 s (tools/fuzz.sh; a found crash fails the run and its input is kept under
# build/fuzz/crashes/). Skipped when ctest was given arguments (a partial run) or
# with STOREFLOW_TEST_FUZZ=off. Each run replays the fixed findings
# (tests/fuzz/findings/) first.
if [[ $# -eq 0 && "${STOREFLOW_TEST_FUZZ:-}" != off ]]; then
  tools/fuzz.sh --seconds 30 json_body workflow_loader template webhook_headers cron duration \
    mime_builder
  stage_done "fuzz"
fi
