#!/usr/bin/env bash
# Builds storeflow in the Debug + AddressSanitizer + UBSan configuration and runs
# every test. Installs what it needs first (Debian packages). Safe to re-run:
# the build directory is reused.
#
#   tools/test.sh            build and run the whole suite
#   tools/test.sh -R regex   pass extra arguments to ctest
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh --test

jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset debug >/dev/null
cmake --build --preset debug -j"$jobs"

# ASan: report leaks and fail on them; UBSan: print stacks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# The store's contract tests run against a real PostgreSQL: one throwaway
# cluster for the whole run, stopped on exit (each test makes its own database).
# A server given in STOREFLOW_TEST_PG_URL is used as is; STOREFLOW_TEST_PG=off
# skips the PostgreSQL cases.
if [[ -z "${STOREFLOW_TEST_PG_URL:-}" && "${STOREFLOW_TEST_PG:-}" != off ]]; then
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/storeflow-test-pg.XXXXXX")
  trap 'tools/postgres-throwaway.sh stop "$pg_dir"' EXIT
  STOREFLOW_TEST_PG_URL=$(tools/postgres-throwaway.sh start "$pg_dir")
  export STOREFLOW_TEST_PG_URL
fi

ctest --preset debug -j"$jobs" "$@"
