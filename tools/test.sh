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

ctest --preset debug -j"$jobs" "$@"
