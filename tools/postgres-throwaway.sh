#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests and benchmarks, on 127.0.0.1 and a
# free port, owned by the `postgres` user (initdb/postgres refuse to run as root).
#
#   tools/postgres-throwaway.sh start DIR   init (if needed) and start; prints the URL
#   tools/postgres-throwaway.sh stop DIR    stop and delete DIR
#
# The URL (postgresql://storeflow@127.0.0.1:PORT/storeflow) is also written to DIR/url.
set -euo pipefail

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

as_postgres() {
  if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir"; fi
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      as_postgres "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    port=$(free_port)
    # fsync stays on: benchmarks must measure durable commits.
    as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200 -c shared_buffers=256MB" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    # A data folder that survived a reboot already has the role and database.
    if ! as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -tA -d postgres \
      -c "SELECT 1 FROM pg_roles WHERE rolname = 'storeflow'" | grep -q 1; then
      as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$port" -U postgres -q -v ON_ERROR_STOP=1 -d postgres \
        -c "CREATE ROLE storeflow LOGIN SUPERUSER" -c "CREATE DATABASE storeflow OWNER storeflow" >/dev/null
    fi
    url="postgresql://storeflow@127.0.0.1:$port/storeflow"
    echo "$url" | as_postgres tee "$dir/url" >/dev/null
    echo "$url"
    ;;
  stop)
    if [[ -d "$dir/data" ]]; then
      as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
