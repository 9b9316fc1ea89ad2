#!/usr/bin/env bash
# SQS source benchmark (issue 15): messages/s that `storeflow serve` (Release
# build) accepts durably from an SQS queue with 4 long-polling receivers through
# the fauxqs emulator, next to the emulator's own receive+delete ceiling measured
# with a plain client (tests/bench/sqs_bench_client.py, 4 receiver threads) in the
# same run. Both queues are pre-filled with the same MESSAGES JSON messages
# (SendMessageBatch). storeflow's rate is from its first to its last committed
# event (events.created_at); afterwards the stored events must equal the messages
# sent: one per message, no duplicate dedup key, every body once, queue empty.
# Also prints the mean events per group commit (storeflow_group_commit_batch_size).
# Figures, not a pass/fail test; exits 1 when a message was lost or duplicated
# or the queue was not drained within TIMEOUT.
#
#   tests/bench/sqs_bench.sh [BUILD_DIR] [sqlite|postgresql|both]   (default: sqlite)
#   env: MESSAGES=10000 RECEIVERS=4 MESSAGE_BYTES=512 TIMEOUT=120 (seconds, per drain)
#        SQS_ENDPOINT (a running fauxqs on loopback; default: start one with
#        tools/peers/peers.sh in the work folder, stopped at the end)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
which_db=${2:-sqlite}
messages=${MESSAGES:-10000}
receivers=${RECEIVERS:-4}
message_bytes=${MESSAGE_BYTES:-512}
timeout_s=${TIMEOUT:-120}
bin=$build/bin/storeflow
client=$root/tests/bench/sqs_bench_client.py
[[ -x $bin ]] || { echo "no $bin: cmake --preset release && cmake --build build/release --target storeflow storeflow_plugin_sqs" >&2; exit 2; }
[[ -f $build/plugins/sqs/libstoreflow_sqs.so ]] ||
  { echo "no sqs plugin in $build/plugins/sqs: cmake --build $build --target storeflow_plugin_sqs" >&2; exit 2; }
command -v python3 >/dev/null || { echo "python3 is not installed" >&2; exit 2; }

work=$(mktemp -d /tmp/storeflow-sqs-bench.XXXXXX)
chmod 755 "$work"  # the PostgreSQL cluster below runs as user postgres
pgdir=""
server=""
own_peer=""
queues=()  # deleted at the end (a shared emulator keeps them otherwise)
cleanup() {
  if [[ -n $server ]]; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  for q in "${queues[@]}"; do sqs delete "$q" >/dev/null 2>&1 || true; done
  [[ -n $pgdir ]] && "$root/tools/postgres-throwaway.sh" stop "$pgdir" >/dev/null 2>&1 || true
  [[ -n $own_peer ]] && "$root/tools/peers/peers.sh" stop --dir "$work/peers" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

endpoint=${SQS_ENDPOINT:-}
if [[ -z $endpoint ]]; then
  "$root/tools/peers/peers.sh" start fauxqs --dir "$work/peers" > /dev/null
  own_peer=1
  endpoint=$(sed -n 's/^SQS_ENDPOINT=//p' "$work/peers/fauxqs.env")
fi
case $endpoint in
  http://127.0.0.1:* | http://localhost:* | http://\[::1\]:*) ;;
  *) echo "SQS_ENDPOINT must be on loopback, not $endpoint" >&2; exit 2 ;;
esac
sqs() { python3 "$client" "$endpoint" "$@"; }
run_id=$$-$RANDOM

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" \
     "(fauxqs, the client, storeflow and the database share them: other load skews the figures)"
echo "emulator: fauxqs at $endpoint; $messages messages of ~$message_bytes bytes per queue; $receivers receivers"

# The emulator's ceiling: a plain client, same requests as the source makes.
plain_url=$(sqs create "sqs-bench-plain-$run_id")
queues+=("$plain_url")
echo -n "plain queue: "; sqs fill "$plain_url" "$messages" "$message_bytes"
plain_out=$(sqs drain "$plain_url" "$messages" "$receivers" "$timeout_s")
plain_rate=$(sed -n 's/.*msgs_per_s=\([0-9]*\).*/\1/p' <<< "$plain_out")
echo "== plain client (emulator ceiling): ${plain_out#BENCH }"

failures=0
results=()

count_events() {  # url topic -> "events distinct_dedup_keys distinct_bodies first_ms last_ms"
  local sql_sqlite sql_pg
  sql_sqlite="SELECT COUNT(*) || ' ' || COUNT(DISTINCT dedup_key) || ' ' ||
      COUNT(DISTINCT json_extract(payload, '\$.n')) || ' ' || IFNULL(MIN(created_at), 0) || ' ' ||
      IFNULL(MAX(created_at), 0) FROM events WHERE topic = '$2';"
  sql_pg="SELECT COUNT(*) || ' ' || COUNT(DISTINCT dedup_key) || ' ' ||
      COUNT(DISTINCT payload::json->>'n') || ' ' || COALESCE(MIN(created_at), 0) || ' ' ||
      COALESCE(MAX(created_at), 0) FROM events WHERE topic = '$2';"
  case $1 in
    sqlite:*) sqlite3 -cmd '.timeout 5000' "${1#sqlite:}" "$sql_sqlite" ;;
    *) psql "$1" -Atc "$sql_pg" ;;
  esac
}

metric() {  # port result -> storeflow_source_messages_total{source="sqs",result=...}
  curl -s -m 5 "http://127.0.0.1:$1/metrics" |
    awk -v r="result=\"$2\"" '/^storeflow_source_messages_total/ && index($0, r) && index($0, "source=\"sqs\"") {s += $NF} END {print s + 0}'
}

commit_size() {  # port -> events per group-commit transaction (mean) and the transactions
  curl -s -m 5 "http://127.0.0.1:$1/metrics" |
    awk '/^storeflow_group_commit_batch_size_sum/ {s = $NF} /^storeflow_group_commit_batch_size_count/ {c = $NF}
         END {printf "%.1f events per commit (%d commits)", (c > 0 ? s / c : 0), c}'
}

run_one() {  # name db_url
  local name=$1 url=$2 log=$work/serve-$1.log queue port
  queue="sqs-bench-$name-$run_id"
  local queue_url
  queue_url=$(sqs create "$queue")
  queues+=("$queue_url")
  echo -n "$name queue: "; sqs fill "$queue_url" "$messages" "$message_bytes"
  mkdir -p "$work/workflows-$name"
  cat > "$work/workflows-$name/from-sqs.yaml" <<EOF
workflow: from-sqs
on:
  - queue: sqs/$queue
steps:
  - id: note
    uses: log
    with: { message: "order \${{ event.n }}", level: debug }
EOF
  cat > "$work/storeflow-$name.yaml" <<EOF
http:
  listen: 127.0.0.1:0
  access_log: false
plugins:
  dirs: [$build/plugins]
  config:
    sqs:
      region: us-east-1
      endpoint: $endpoint
      defaults: { receivers: $receivers, wait_seconds: 2, max_messages: 10, visibility_timeout: 60 }
EOF
  AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret \
    "$bin" serve --db "$url" --workflows "$work/workflows-$name" --config "$work/storeflow-$name.yaml" \
    --listen 127.0.0.1:0 > "$log" 2>&1 &
  server=$!
  port=""
  for _ in $(seq 1 300); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    [[ -n $port ]] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.05
  done
  [[ -n $port ]] || { cat "$log" >&2; exit 1; }
  # Wait until every message was accepted (the source's own counter) and the
  # queue is empty, or the time is up.
  local started=$SECONDS accepted=0 left=-1
  while ((SECONDS - started < timeout_s)); do
    accepted=$(metric "$port" new)
    if ((accepted >= messages)); then
      left=$(sqs left "$queue_url")
      ((left == 0)) && break
    fi
    sleep 0.5
  done
  local duplicates failed commits
  duplicates=$(metric "$port" duplicate)
  failed=$(metric "$port" failed)
  commits=$(commit_size "$port")
  [[ $left == 0 ]] || left=$(sqs left "$queue_url")
  kill -TERM "$server"; wait "$server" || true; server=""
  local events distinct bodies first last seconds rate
  read -r events distinct bodies first last < <(count_events "$url" "sqs/$queue")
  seconds=$(awk -v a="$first" -v b="$last" 'BEGIN {printf "%.2f", (b - a) / 1000}')
  rate=$(awk -v n="$events" -v s="$seconds" 'BEGIN {printf "%.0f", (s > 0 ? n / s : 0)}')
  local verdict=OK
  if ((events != messages || distinct != messages || bodies != messages || left != 0)); then
    verdict=MISMATCH
    ((left == 0)) || verdict="MISMATCH (not drained within TIMEOUT=${timeout_s}s)"
    failures=$((failures + 1))
  fi
  echo "== storeflow on $name: msgs_per_s=$rate (first to last committed event: $seconds s)"
  echo "   stored events=$events distinct_dedup_keys=$distinct distinct_bodies=$bodies" \
       "sent=$messages left_on_queue=$left source_duplicates=$duplicates source_failed=$failed $verdict"
  echo "   group commit: $commits"
  echo "   load average (1/5/15 min, the benchmark included): $(cut -d' ' -f1-3 /proc/loadavg)" \
       "on $(nproc) cores"
  results+=("$name $rate")
}

if [[ $which_db == postgresql || $which_db == both ]]; then
  pgdir=$work/pg
  pgurl=$("$root/tools/postgres-throwaway.sh" start "$pgdir")
  echo "postgresql: fsync=$(psql "$pgurl" -Atc 'SHOW fsync') synchronous_commit=$(psql "$pgurl" -Atc 'SHOW synchronous_commit')"
  run_one postgresql "$pgurl"
fi
if [[ $which_db == sqlite || $which_db == both ]]; then
  run_one sqlite "sqlite:$work/bench.db"
fi

echo "== side by side ($receivers receivers, $messages messages):"
printf '   %-28s %8s msgs/s\n' "plain client (emulator)" "$plain_rate"
for r in "${results[@]}"; do
  read -r name rate <<< "$r"
  printf '   %-28s %8s msgs/s  (%s of the ceiling)\n' "storeflow on $name" "$rate" \
    "$(awk -v a="$rate" -v b="$plain_rate" 'BEGIN {printf "%.0f%%", (b > 0 ? 100 * a / b : 0)}')"
done
((failures == 0)) || { echo "messages were lost, duplicated or not drained (see MISMATCH above)" >&2; exit 1; }
