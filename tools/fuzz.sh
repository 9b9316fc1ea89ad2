#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, CMake preset `fuzz`: clang 14 with
# -fsanitize=fuzzer,address,undefined) and runs each for a bounded time on a
# temporary corpus seeded from tests/fuzz/seeds/<target>/, the earlier findings
# tests/fuzz/findings/<target>-* and the project's fixtures (workflows, test
# fixtures, docs examples). Prints one line per target:
# its executions and the result. Exits non-zero when a target found a crash, a
# timeout or an out-of-memory input; that input is kept under
# build/fuzz/crashes/<target>/ and its path is printed (replay it with
# build/fuzz/fuzz/fuzz_<target> <file>).
#
#   tools/fuzz.sh                        every target, 30 s each
#   tools/fuzz.sh --seconds 300 cron     one target, 5 minutes
#   tools/fuzz.sh --seconds 1800 --runs 10000000 cron
#                                        until 10 M executions or 30 minutes
#   tools/fuzz.sh --list                 the target names
#
# Environment: STOREFLOW_FUZZ_CORPUS=dir keeps each target's corpus in dir/<target>
# between runs (default: a temporary corpus, deleted on exit); FUZZ_JOBS sets the
# build's parallelism and how many targets run at once, each on one core under `nice`
# (default: nproc).
# Installs clang 14 and its fuzzer runtime with apt when missing (as root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

targets_all=(json_body workflow_loader template webhook_headers cron duration mime_builder)
seconds=30
runs=0
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds)
      [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --seconds needs a positive whole number" >&2; exit 2; }
      seconds=$2
      shift 2
      ;;
    --runs)
      [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --runs needs a positive whole number" >&2; exit 2; }
      runs=$2
      shift 2
      ;;
    --list) printf '%s\n' "${targets_all[@]}"; exit 0 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *)
      if [[ ! " ${targets_all[*]} " == *" $1 "* ]]; then
        echo "fuzz.sh: unknown target '$1' (targets: ${targets_all[*]})" >&2
        exit 2
      fi
      targets+=("$1")
      shift
      ;;
  esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=("${targets_all[@]}")

# ---- toolchain: the project's build dependencies, clang 14 and libFuzzer ----
tools/install-deps.sh
fuzzer_runtime() {
  command -v clang++-14 >/dev/null 2>&1 || return 1
  local dir
  dir=$(clang++-14 -print-resource-dir)
  [[ -f "$dir/lib/linux/libclang_rt.fuzzer-$(uname -m).a" &&
     -f "$dir/include/fuzzer/FuzzedDataProvider.h" ]]
}
if ! fuzzer_runtime; then
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  echo "fuzz.sh: installing clang-14 libclang-rt-14-dev"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends clang-14 libclang-rt-14-dev >/dev/null
  fuzzer_runtime || { echo "fuzz.sh: libFuzzer (libclang-rt-14-dev) is still missing" >&2; exit 1; }
fi

# ---- build ----
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
start=$SECONDS
# shellcheck source=lib/build-dir.sh
. tools/lib/build-dir.sh
fresh_build_dir build/fuzz Ninja clang++-14
cmake --preset fuzz "${launcher[@]}" >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=(--target "fuzz_$t"); done
cmake --build --preset fuzz -j"${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}" "${build_targets[@]}" >/dev/null
echo "fuzz.sh: built ${#targets[@]} target(s) in $((SECONDS - start)) s"

bin_dir=build/fuzz/fuzz
crash_root=build/fuzz/crashes
work=$(mktemp -d "${TMPDIR:-/tmp}/storeflow-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# ---- seeds ----
# add_seed DIR FILE...: copies each file (at most 64 KiB) into DIR under its hash.
add_seed() {
  local dir=$1 f
  shift
  for f in "$@"; do
    [[ -f "$f" && $(stat -c %s "$f") -le 65536 ]] || continue
    cp "$f" "$dir/seed-$(sha1sum "$f" | cut -c1-16)"
  done
}
# seed_text DIR TEXT: one seed with that content.
seed_text() {
  local f="$work/seed.tmp"
  printf '%s' "$2" >"$f"
  add_seed "$1" "$f"
}
yaml_files() {
  find workflows tests/fixtures -name '*.yaml' -type f 2>/dev/null | sort
}
# The ```yaml blocks of the docs, one file each.
docs_yaml() {
  local out=$1
  mkdir -p "$out"
  awk -v out="$out" '
    /^```yaml/ { n++; file = out "/doc-" n ".yaml"; inside = 1; next }
    /^```/ { inside = 0; next }
    inside { print > file }
  ' docs/*.md 2>/dev/null || true
  find "$out" -type f
}
# The values after `key:` in the workflow files (one per line, quotes removed).
yaml_values() {
  local pattern=$1
  yaml_files | xargs grep -h -E "^[[:space:]-]*($pattern):[[:space:]]" 2>/dev/null |
    sed -E "s/^[[:space:]-]*($pattern):[[:space:]]*//; s/^\"(.*)\"\$/\\1/; s/^'(.*)'\$/\\1/" |
    sort -u | head -200 || true
}

make_corpus() {
  local target=$1 dir=$2
  mkdir -p "$dir"
  [[ -d "tests/fuzz/seeds/$target" ]] && add_seed "$dir" "tests/fuzz/seeds/$target"/*
  # Earlier findings (tests/fuzz/findings/<target>-*), fixed: each run replays them.
  add_seed "$dir" tests/fuzz/findings/"$target"-*
  case "$target" in
    json_body)
      mapfile -t files < <(find tests/fixtures workflows -name '*.json' -type f | sort)
      add_seed "$dir" "${files[@]}"
      ;;
    workflow_loader)
      mapfile -t files < <(yaml_files)
      add_seed "$dir" "${files[@]}"
      mapfile -t files < <(docs_yaml "$work/docs-$target")
      add_seed "$dir" "${files[@]}"
      ;;
    template)
      while IFS= read -r v; do seed_text "$dir" "$v"; done < <(
        { yaml_files; find docs -name '*.md'; } | xargs grep -h -o -E '[^ ]*\$\{\{.*\}\}[^ ]*' 2>/dev/null |
          sed -E "s/^[\"']//; s/[\"',]\$//" | sort -u | head -300 || true)
      ;;
    cron)
      while IFS= read -r v; do seed_text "$dir" "$v"; done < <(yaml_values 'schedule|cron')
      ;;
    duration)
      while IFS= read -r v; do seed_text "$dir" "$v"; done < <(
        yaml_values 'timeout|delay|max_delay|sleep|dedupe_ttl|abandon_after|[a-z_]+_after')
      ;;
    webhook_headers)
      local f
      for f in tests/fixtures/shopify/*.json; do
        [[ -f "$f" ]] || continue
        seed_text "$dir" "$(printf 'shopify\nX-Shopify-Topic: %s\nX-Shopify-Hmac-Sha256: AAAA\nX-Shopify-Webhook-Id: w-1\nX-Shopify-Shop-Domain: shop.example\n\n%s' \
          "$(basename "$f" .json | tr _ /)" "$(cat "$f")")"
      done
      ;;
    mime_builder)
      local f kind
      for f in tests/fixtures/e2e/email-templates/*; do
        [[ -f "$f" ]] || continue
        kind=text
        [[ "$f" == *.html ]] && kind=html
        seed_text "$dir" "$(printf 'from: Shop <shop@example.com>\nto: Ada <ada@example.com>\nsubject: %s\n' "$(basename "$f")"; sed "s/^/$kind: /" "$f")"
      done
      ;;
  esac
}

# ---- runs ----
# run_target TARGET: fuzzes one target; writes its result line to $work/TARGET.line
# and exits non-zero when it found something. FUZZ_JOBS of them run at once.
run_target() {
  local target=$1 corpus crashes log status execs line artifact target_started
  if [[ -n "${STOREFLOW_FUZZ_CORPUS:-}" ]]; then
    corpus="$STOREFLOW_FUZZ_CORPUS/$target"
  else
    corpus="$work/corpus-$target"
  fi
  make_corpus "$target" "$corpus"
  crashes="$crash_root/$target"
  mkdir -p "$crashes"
  log="$work/$target.log"
  status=0
  local run_args=()
  [[ $runs -eq 0 ]] || run_args=(-runs="$runs")
  target_started=$SECONDS
  # libFuzzer stops itself after -max_total_time (or -runs, when given); `timeout` bounds a hang of the
  # runner itself (a single input is bounded by -timeout). The seed is fixed
  # (STOREFLOW_FUZZ_SEED, default 1) so a run can be repeated input for input;
  # set another, or 0 for a random one, to explore further.
  timeout --kill-after=30 $((seconds + 120)) nice -n 10 "$bin_dir/fuzz_$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -seed="${STOREFLOW_FUZZ_SEED:-1}" "${run_args[@]}" \
    -artifact_prefix="$crashes/" "$corpus" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  [[ -n "$execs" ]] || execs=$(grep -o '#[0-9]*' "$log" | tail -1 | tr -d '#')
  if [[ $status -eq 0 ]]; then
    line=$(printf '%-16s %12s executions in %ss  clean (corpus %s inputs)' "$target" "${execs:-?}" \
      "$((SECONDS - target_started))" "$(find "$corpus" -type f | wc -l)")
  else
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    cp "$log" "$crashes/last-run.log"
    line=$(printf '%-16s %12s executions  FAILED (exit %s): %s; log %s' "$target" "${execs:-?}" \
      "$status" "${artifact:-no input written}" "$crashes/last-run.log")
    line+=$'\n'$(grep -m1 -E 'ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error|fuzz property failed' "$log" |
      sed 's/^/    /' || true)
  fi
  echo "$line" >"$work/$target.line"
  echo "$line"
  [[ $status -eq 0 ]]
}

failed=0
summary=()
parallel=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
for target in "${targets[@]}"; do
  while [[ $(jobs -rp | wc -l) -ge $parallel ]]; do wait -n || true; done
  run_target "$target" &
done
wait || true
# A target failed when its line says so, or when it left none (its run broke off).
for target in "${targets[@]}"; do
  if [[ -f "$work/$target.line" ]]; then
    summary+=("$(head -1 "$work/$target.line")")
    grep -q ' FAILED ' "$work/$target.line" && failed=1
  else
    summary+=("$target: no result (the run broke off; see above)")
    failed=1
  fi
done

if [[ ${#targets[@]} -gt 1 ]]; then
  echo "fuzz.sh: summary (${seconds}s per target)"
  printf '  %s\n' "${summary[@]}"
fi
echo "fuzz.sh: $([[ $failed -eq 0 ]] && echo clean || echo FAILED) after $((SECONDS - start)) s (build and runs)"
exit "$failed"
