#!/usr/bin/env bash
# Smoke test of the storeflow test peers: installs them if needed, starts all four in a
# temporary directory, checks each with a real client over loopback (smoke.mjs), checks
# that nothing listens beyond 127.0.0.1, stops them and checks they are gone.
# Last line: "N passed, M failed"; exit status non-zero on any failure.
#
#   tools/peers/smoke.sh [--keep]      --keep: leave the temp dir (logs) behind

set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PEERS="$HERE/peers.sh"
KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1

DIR="$(mktemp -d "${TMPDIR:-/tmp}/storeflow-peers-smoke.XXXXXX")"
passed=0
failed=0
ok()    { passed=$((passed + 1)); echo "ok - $*"; }
notok() { failed=$((failed + 1)); echo "not ok - $*"; }

cleanup() {
  "$PEERS" stop --dir "$DIR" >/dev/null 2>&1 || true
  if [ "$KEEP" = 1 ]; then echo "# kept $DIR" >&2; else rm -rf "$DIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if "$PEERS" install && "$PEERS" start all --dir "$DIR" >"$DIR/start.out" 2>"$DIR/start.err"; then
  ok "peers.sh start all ($(grep -c . "$DIR/start.out") env lines)"
  sed 's/^/#   /' "$DIR/start.out"

  pids="$(cat "$DIR"/*.pid | paste -sd'|')"
  if command -v ss >/dev/null 2>&1; then
    echo "# ss -ltnp (peer processes):"
    ss -ltnpH | grep -E "pid=($pids)," | sed 's/^/#   /'
    wide="$(ss -ltnpH | grep -E "pid=($pids)," | awk '$4 !~ /^127\.0\.0\.1:/')"
    if [ -z "$wide" ]; then ok "ss: every peer listener is on 127.0.0.1"
    else notok "ss: peer listeners beyond loopback: $wide"; fi
    any="$(ss -ltnH | awk '$4 ~ /^(0\.0\.0\.0|\*|\[::\]):/' | grep -cE ":($(cat "$DIR"/*.env | grep -E '_PORT=' | cut -d= -f2 | paste -sd'|'))\b" || true)"
    if [ "$any" = 0 ]; then ok "ss: no wildcard (0.0.0.0 / [::]) listener on any peer port"
    else notok "ss: $any wildcard listener(s) on peer ports"; fi
  else
    echo "# ss not installed; smoke.mjs checks /proc/net/tcp instead"
  fi

  node "$HERE/smoke.mjs" --dir "$DIR" --result "$DIR/result"
  if read -r p f <"$DIR/result" 2>/dev/null; then
    passed=$((passed + p)); failed=$((failed + f))
  else
    notok "smoke.mjs did not finish"
  fi
else
  notok "peers.sh start all"
  sed 's/^/#   /' "$DIR/start.err" 2>/dev/null
fi

# stop, then nothing we started may be left
pidlist="$(cat "$DIR"/*.pid 2>/dev/null | tr '\n' ' ')"
if "$PEERS" stop --dir "$DIR" 2>/dev/null; then
  left=""
  for p in $pidlist; do
    # a zombie (exited, not yet reaped by init) still answers kill -0: count it as gone
    if kill -0 "$p" 2>/dev/null && ! grep -q '^[0-9]* (.*) Z' "/proc/$p/stat" 2>/dev/null; then left="$left $p"; fi
  done
  if [ -z "$left" ] && ! ls "$DIR"/*.pid >/dev/null 2>&1; then ok "peers.sh stop: all peer processes gone"
  else notok "peers.sh stop: still running:$left"; fi
else
  notok "peers.sh stop failed"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
