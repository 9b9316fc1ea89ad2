#!/usr/bin/env bash
# Webhook ingress benchmark (issue 5): `storeflow serve` (Release build) receives
# Shopify-signed ~2 KB carts/create deliveries with unique webhook ids from wrk
# (64 connections, 20 s), on PostgreSQL 15 with fsync on (a throwaway cluster,
# tools/postgres-throwaway.sh) and on SQLite. Afterwards it checks that the
# stored events equal the 200 answers, with no duplicates, and prints req/s,
# p50 and p99. Figures, not a pass/fail test.
#
#   tests/bench/webhook_bench.sh [BUILD_DIR] [sqlite|postgresql|both]
#   env: DURATION=20s CONNECTIONS=64 THREADS=2 WORKFLOWS=DIR (default: none, ingest only)
#        REPLAY_DEDUPE=off (webhooks.replay_dedupe; the bodies repeat, see below)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
which_db=${2:-both}
duration=${DURATION:-20s}
connections=${CONNECTIONS:-64}
wrk_threads=${THREADS:-2}
bin=$build/bin/storeflow
[[ -x $bin ]] || { echo "no $bin: cmake --preset release && cmake --build build/release" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

work=$(mktemp -d /tmp/storeflow-webhook-bench.XXXXXX)
chmod 755 "$work"  # the PostgreSQL cluster below runs as user postgres
pgdir=""
server=""
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [[ -n $pgdir ]] && "$root/tools/postgres-throwaway.sh" stop "$pgdir" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

secret=bench-secret-$RANDOM
# 256 distinct signed bodies of about 2 KB (a Shopify cart with padded line items).
bodies=$work/bodies.tsv
for i in $(seq 1 256); do
  items=""
  for j in 1 2 3 4 5 6; do
    items+="{\"id\":70491220518828${i}${j},\"quantity\":${j},\"variant_id\":70491220518828857${j},"
    items+="\"key\":\"704912205188288575:3abdf474dce81d0025dd15b9a02ef6bf\",\"price\":\"19.99\","
    items+="\"line_price\":\"59.97\",\"product_id\":788032119674292922,\"sku\":\"example-shirt-s\","
    items+="\"title\":\"Example T-Shirt - Small\",\"vendor\":\"Acme\",\"grams\":200},"
  done
  body="{\"id\":\"cart-$i\",\"token\":\"cart-$i\",\"note\":\"storeflow webhook benchmark cart, padded to about two kilobytes like a real one\",\"currency\":\"USD\",\"customer_locale\":\"en\",\"line_items\":[${items%,}],"
  body+="\"updated_at\":\"2026-11-21T08:00:00Z\",\"created_at\":\"2026-11-21T08:00:00Z\"}"
  sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -binary | base64)
  printf '%s\t%s\n' "$sig" "$body" >> "$bodies"
done
echo "bodies: $(wc -l < "$bodies") of $(($(head -1 "$bodies" | cut -f2 | wc -c) - 1)) bytes"

workflows=${WORKFLOWS:-$work/workflows}
mkdir -p "$work/workflows"

count_events() {  # url -> "events distinct_dedup_keys"
  case $1 in
    sqlite:*) sqlite3 "${1#sqlite:}" \
      "SELECT COUNT(*) || ' ' || COUNT(DISTINCT dedup_key) FROM events WHERE source='shopify';" ;;
    *) psql "$1" -Atc \
      "SELECT COUNT(*) || ' ' || COUNT(DISTINCT dedup_key) FROM events WHERE source='shopify';" ;;
  esac
}

run_one() {  # name url
  local name=$1 url=$2 log=$work/serve-$1.log out=$work/wrk-$1.txt port
  # The 256 bodies repeat under new webhook ids: replay dedupe (on by default)
  # would answer all but the first 256 as duplicates, so it is off here.
  SHOPIFY_WEBHOOK_SECRET=$secret STOREFLOW_HTTP_ACCESS_LOG=false \
    STOREFLOW_WEBHOOKS_REPLAY_DEDUPE=${REPLAY_DEDUPE:-off} \
    "$bin" serve --db "$url" --workflows "$workflows" --listen 127.0.0.1:0 2> "$log" &
  server=$!
  port=""
  for _ in $(seq 1 200); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { cat "$log" >&2; exit 1; }
  wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency -s "$root/tests/bench/webhook_bench.lua" \
    "http://127.0.0.1:$port" -- "$bodies" "$name-$RANDOM" > "$out"
  kill -TERM "$server"; wait "$server" || true; server=""
  local ok events distinct
  ok=$(sed -n 's/.*ok200=\([0-9]*\).*/\1/p' "$out")
  read -r events distinct < <(count_events "$url")
  echo "== $name: $(grep '^BENCH req_per_s' "$out" | sed 's/^BENCH //')"
  echo "   $(grep '^BENCH requests' "$out" | sed 's/^BENCH //')"
  # wrk counts the answers received within the duration; the requests still in
  # flight when it stops (at most one per connection) were committed too, but
  # their 200s were not counted. So: 200s <= events <= 200s + connections, and
  # every stored event has its own webhook id.
  local verdict=MISMATCH
  if ((events >= ok && events <= ok + connections)) && [[ $distinct == "$events" ]]; then
    verdict=OK
  fi
  echo "   stored events=$events distinct_webhook_ids=$distinct 200_answers=$ok" \
       "in_flight_at_stop=$((events - ok)) $verdict"
  echo "   load average (1/5/15 min, the benchmark included): $(cut -d' ' -f1-3 /proc/loadavg)" \
       "on $(nproc) cores"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" \
     "(wrk, storeflow and PostgreSQL share them: other load skews the figures)"
if [[ $which_db == postgresql || $which_db == both ]]; then
  pgdir=$work/pg
  pgurl=$("$root/tools/postgres-throwaway.sh" start "$pgdir")
  echo "postgresql: fsync=$(psql "$pgurl" -Atc 'SHOW fsync') synchronous_commit=$(psql "$pgurl" -Atc 'SHOW synchronous_commit')"
  run_one postgresql "$pgurl"
fi
if [[ $which_db == sqlite || $which_db == both ]]; then
  run_one sqlite "sqlite:$work/bench.db"
fi
