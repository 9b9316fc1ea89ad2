#!/usr/bin/env bash
# Builds storeflow and its plugins (Release) and runs the main job on the embedded
# default (SQLite, no servers to start): validate the shipped workflows, run the
# merchants' rule tests, then `storeflow demo`, which serves the shop API flows on
# an ephemeral loopback port and plays a shopper's visit over HTTP (products,
# interactions, a recommendation, a cart, an order paid, emailed to an outbox
# folder and invoiced through the storage plugin; a signed Shopify webhook
# delivered twice), then a scripted commerce day against the Shopify simulator
# (storeflow-shopify-sim, built next to storeflow) on a manual clock, with a summary
# of the engine's counts against the script's and var/demo/report.html. Exit 0 when
# every check holds. Files stay in var/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
# shellcheck source=lib/build-dir.sh
. tools/lib/build-dir.sh
fresh_build_dir build/release Ninja clang++-14
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs" --target storeflow storeflow_plugins storeflow-shopify-sim
bin=build/release/bin/storeflow

set -x
"$bin" --version
"$bin" validate workflows/
"$bin" rules test scripts/
"$bin" demo --dir var/demo
