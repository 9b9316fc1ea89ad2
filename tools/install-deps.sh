#!/usr/bin/env bash
# Installs the Debian 12 packages storeflow needs to build and test.
# Idempotent: packages already present are not reinstalled, and nothing is
# printed when everything is there. Must run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates tzdata
  libpoco-dev liblua5.4-dev libyaml-cpp-dev nlohmann-json3-dev libvalijson-dev
  libpq-dev libsqlite3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  lld  # the linker CMake picks when present: links the ASan test binaries ~2.5x faster
  # Every preset compiles with clang 14: with its precompiled headers (STOREFLOW_PCH)
  # it builds the Release tree of tools/demo.sh in about 0.6 of GCC 12's time.
  clang-14
)
if [[ "${1:-}" == "--test" ]]; then
  # Test-only peers: a throwaway PostgreSQL, Node for the emulators, wrk for benchmarks.
  packages+=(postgresql-15 postgresql-client-15 wrk curl python3)
  # The install and package tests (tests/install/): cpack -G DEB's dpkg-shlibdeps,
  # dpkg-deb, jq to read `storeflow plugins list --json`.
  packages+=(dpkg-dev jq)
  # The test build (preset `debug`) and the fuzz build use clang's ASan/UBSan/libFuzzer
  # runtimes, in libclang-rt-14-dev (only "recommended" by clang-14).
  packages+=(libclang-rt-14-dev)
  # Headless Chromium for the storefront's browser test (tests/e2e/browser/), driven
  # by puppeteer-core from tools/peers (which never downloads a browser of its own).
  packages+=(chromium)
  # Node may come from another source (the CI image ships NodeSource's, which
  # bundles npm and conflicts with Debian's npm): only install it when absent.
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
