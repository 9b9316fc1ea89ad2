#!/usr/bin/env bash
# Builds storeflow (Release) and runs the main job on the embedded default.
# Until the durable runtime lands this is: validate the shipped workflows, run the
# merchants' rule tests, and evaluate the recommendation rule on sample input.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset release >/dev/null
cmake --build --preset release -j"$jobs" --target storeflow
bin=build/release/bin/storeflow

set -x
"$bin" --version
"$bin" validate workflows/
"$bin" rules test scripts/
"$bin" rules eval 'scripts/recommend.lua#recommend' --input scripts/examples/recommend-input.json
