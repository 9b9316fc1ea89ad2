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
# shellcheck source=lib/build-dir.sh
. tools/lib/build-dir.sh
fresh_build_dir build/debug Ninja clang++-14
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

# The emulators the plugins' tests talk to (tools/peers/peers.sh, pinned npm
# versions, loopback only): each runs for the whole run in its own folder, is
# stopped on exit, and exports the endpoints of its NAME.env (tools/peers/README.md).
# Tests share them, so each uses its own recipients, queues and buckets. A peer
# whose variable is already set is used as is; STOREFLOW_TEST_PEERS=off skips the
# cases that need them.
#   smtp    the email plugin's SMTP tests (STARTTLS, AUTH, failure injection)
#   fauxqs  the sqs plugin (actions and the `sqs` source: FIFO, long poll,
#           visibility) and the storage plugin's s3 backend (its S3 API)
#   s3rver  the storage plugin's s3 backend (path style, files on disk)
#   ses     the email plugin's ses transport (aws-ses-v2-local; what it received is
#           read back from its /store)
peer_dirs=()
stop_peers() {
  local dir
  for dir in "${peer_dirs[@]}"; do
    tools/peers/peers.sh stop --dir "$dir" && rm -rf "$dir"
  done
}
cleanup_steps+=(stop_peers)
# start_peer NAME VARIABLE: starts peer NAME unless VARIABLE is set.
start_peer() {
  local name=$1 variable=$2 dir
  [[ -z "${!variable:-}" && "${STOREFLOW_TEST_PEERS:-}" != off ]] || return 0
  dir=$(mktemp -d "${TMPDIR:-/tmp}/storeflow-test-$name.XXXXXX")
  peer_dirs+=("$dir")
  tools/peers/peers.sh start "$name" --dir "$dir" >/dev/null
  set -a
  # shellcheck disable=SC1090
  . "$dir/$name.env"
  set +a
}
start_peer smtp SMTP_HOST
start_peer fauxqs SQS_ENDPOINT
start_peer s3rver S3_ENDPOINT
start_peer ses SES_ENDPOINT

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
