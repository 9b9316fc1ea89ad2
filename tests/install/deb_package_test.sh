#!/usr/bin/env bash
# The .deb proof (ctest labels `install`, `package`): `cpack -G DEB` in the build
# folder makes storeflow_<version>_<arch>.deb; its files, control data, conffiles
# and systemd unit are checked (dpkg-deb -c / -I). Then:
#
# - as root (CI: a throwaway Debian 12 machine), the package is installed for real
#   with `dpkg -i`: the files, the `storeflow` user and group, /var/lib/storeflow
#   and the conffile are checked; installed a second time (the upgrade path: the
#   maintainer scripts run again, an edited conffile is kept); the unit's ExecStart
#   runs as the unit would, without systemd (User= through runuser, its
#   Environment=, WorkingDirectory= and UMask=, --listen on a free loopback port)
#   until /readyz answers 200, a read-only command reads the database beside it,
#   SIGTERM must end it with status 0; `dpkg -r` keeps the state and `dpkg --purge`
#   removes it and the user, as postrm says. A machine where storeflow is already
#   installed (or its user or folders exist) is refused, not clobbered.
# - otherwise (or with STOREFLOW_DEB_TEST_UNPACK=1) it is unpacked into a temporary
#   root (dpkg-deb -x: the machine's dpkg database, users and /etc are not touched)
#   and the unit's ExecStart runs there (every absolute path moved under that root).
#
# Every wait is bounded. Exit 77 (skipped) without cpack/dpkg-deb.
#
# usage: deb_package_test.sh BUILD_DIR
set -euo pipefail
build=$1
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
# Whether process $1 runs (a child that exited stays a zombie until waited for).
running() { [[ -e /proc/$1 ]] && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }
for tool in cpack dpkg-deb dpkg-shlibdeps curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (tools/install-deps.sh --test)"; exit 77; }
done
work=$(mktemp -d /tmp/storeflow-deb-test.XXXXXX)
chmod 0755 "$work"
server=""
installed=""  # set once this test's dpkg -i ran: the cleanup purges the package
cleanup() {
  if [[ -n "$server" ]]; then
    # runuser's child (the server itself when run as the unit's user), then it.
    for child in $(ps -o pid= --ppid "$server" 2>/dev/null); do kill -KILL "$child" 2>/dev/null || true; done
    kill -KILL "$server" 2>/dev/null || true
  fi
  if [[ -n "$installed" ]]; then
    timeout 120 dpkg --purge storeflow </dev/null >"$work/cleanup-purge.log" 2>&1 \
      || { echo "cleanup: dpkg --purge storeflow failed:"; cat "$work/cleanup-purge.log"; }
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step "build what is packaged (a no-op when up to date)"
timeout 900 cmake --build "$build" -j2 --target storeflow storeflow_plugins >/dev/null

step "cpack -G DEB"
(cd "$build" && timeout 300 cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) \
  || { cat "$work/cpack.log"; fail "cpack failed"; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
arch=$(dpkg --print-architecture)
deb="$work/out/storeflow_${version}_${arch}.deb"
[[ -f "$deb" ]] || { ls "$work/out"; fail "no $deb"; }
echo "$(basename "$deb"): $(du -h "$deb" | cut -f1)"

step "dpkg-deb -I (control, conffiles)"
dpkg-deb -I "$deb" control | grep -E '^(Package|Version|Architecture|Depends):'
[[ "$(dpkg-deb -f "$deb" Package)" == storeflow ]] || fail "Package"
dpkg-deb -f "$deb" Depends | grep -q adduser || fail "Depends lacks adduser"
dpkg-deb -f "$deb" Depends | grep -q libpoco || fail "Depends lacks the Poco libraries (shlibdeps)"
[[ "$(dpkg-deb -I "$deb" conffiles)" == "/etc/storeflow/storeflow.yaml" ]] || fail "conffiles"
for script in postinst prerm postrm; do
  dpkg-deb -I "$deb" "$script" >"$work/$script" || fail "no $script"
  sh -n "$work/$script" || fail "$script is not valid sh"
done
grep -q 'adduser --system --group' "$work/postinst" || fail "postinst does not create the user"
grep -q 'rm -rf /var/lib/storeflow' "$work/postrm" || fail "postrm purge keeps the state"

step "dpkg-deb -c (files)"
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/files"
for f in ./usr/bin/storeflow ./etc/storeflow/storeflow.yaml ./usr/lib/systemd/system/storeflow.service \
         ./usr/lib/storeflow/plugins/email/libstoreflow_email.so ./usr/lib/storeflow/plugins/email/plugin.yaml \
         ./usr/lib/storeflow/plugins/storage/plugin.yaml ./usr/lib/storeflow/plugins/shopify/plugin.yaml \
         ./usr/lib/storeflow/plugins/sqs/plugin.yaml ./usr/share/storeflow/workflows/shop-orders.yaml \
         ./usr/share/storeflow/scripts/shop.lua ./usr/share/storeflow/email-templates/order-confirmation.txt \
         ./usr/share/doc/storeflow/install.md; do
  grep -qxF "$f" "$work/files" || fail "$f is not in the package"
done
if grep -E '^\./usr/(include|lib/cmake)|plugins/example/' "$work/files"; then
  fail "the SDK or the example plugin is in the package"
fi
echo "$(wc -l <"$work/files") entries"

step "the unit"
root="$work/root"
dpkg-deb -x "$deb" "$root"
unit="$root/usr/lib/systemd/system/storeflow.service"
for line in User=storeflow Group=storeflow Restart=on-failure ProtectSystem=strict NoNewPrivileges=yes \
            PrivateTmp=yes ReadWritePaths=/var/lib/storeflow WorkingDirectory=/var/lib/storeflow; do
  grep -qxF "$line" "$unit" || fail "the unit lacks $line"
done
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
echo "ExecStart=$exec_start"
[[ "$exec_start" == "/usr/bin/storeflow serve "* ]] || fail "ExecStart does not run serve"
grep -q "/var/lib/storeflow/outbox" "$root/etc/storeflow/storeflow.yaml" || fail "storeflow.yaml state paths"

# Starts "$@" in the background as the server and waits (60 s at most) until
# /readyz on $port answers 200; fails with the log otherwise.
serve_until_ready() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  server=$!
  ready=""
  for _ in $(seq 1 120); do
    if ready=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/readyz" 2>/dev/null); then break; fi
    running "$server" || { cat "$log"; fail "serve exited early"; }
    sleep 0.5
  done
  [[ -n "$ready" ]] || { cat "$log"; fail "/readyz did not answer 200 within 60 s"; }
  echo "/readyz: $ready"
  grep -m1 "workflow(s) from" "$log" || true
}

# SIGTERM to process $2 (default: the server); the server must then exit 0
# within 60 s.
stop_server() {
  local log=$1
  kill -TERM "${2:-$server}"
  local stop_start=$SECONDS
  for _ in $(seq 1 120); do running "$server" || break; sleep 0.5; done
  if running "$server"; then
    tail -n 20 "$log"
    ps -o pid,stat,etime,wchan:30,cmd --ppid "$server" -p "$server" | cut -c1-160
    fail "serve did not exit within 60 s of SIGTERM"
  fi
  local status=0
  wait "$server" || status=$?
  server=""
  echo "serve exited with status $status $((SECONDS - stop_start)) s after SIGTERM"
  [[ $status -eq 0 ]] || { tail -n 20 "$log"; fail "serve exited $status after SIGTERM"; }
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The unit's Environment= assignments, one per line.
unit_environment() { sed -n 's/^Environment=//p' "$1"; }

unpack_and_run() {
  step "ExecStart in the unpacked root"
  # The unit's paths, under the temporary root: the configuration copy too.
  sed -i "s|/usr/share/storeflow|$root/usr/share/storeflow|g; s|/var/lib/storeflow|$root/var/lib/storeflow|g" \
    "$root/etc/storeflow/storeflow.yaml"
  mkdir -p "$root/var/lib/storeflow"
  read -r -a argv <<<"$exec_start"
  for i in "${!argv[@]}"; do [[ "${argv[i]}" == /* ]] && argv[i]="$root${argv[i]}"; done
  envs=()
  while IFS= read -r assignment; do
    envs+=("${assignment//\/var\/lib\/storeflow/$root/var/lib/storeflow}")
  done < <(unit_environment "$unit")
  port=$(free_port)
  as=()
  if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
    chown -R nobody:nogroup "$root/var/lib/storeflow"
    as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs)
    echo "as nobody (User=storeflow; the package's user is not created here)"
  else
    echo "as $(id -un): not root, so not as a separate user"
  fi
  # The server is the subshell's exec'd process itself: SIGTERM reaches serve.
  serve_until_ready "$work/serve.log" \
    bash -c 'cd "$1" && shift && exec "$@"' _ "$root/var/lib/storeflow" \
    env -i PATH=/usr/bin:/bin "${envs[@]}" "${as[@]}" "${argv[@]}" --listen "127.0.0.1:$port"
  stop_server "$work/serve.log"
  [[ -f "$root/var/lib/storeflow/storeflow.db" ]] || fail "no database in the state folder"
  echo "PASS: $(basename "$deb") built, inspected, and its unit's command served /readyz (unpacked)"
}

# dpkg's status of storeflow ("install ok installed"; "" when unknown to dpkg).
package_status() { dpkg-query -W -f='${Status}' storeflow 2>/dev/null || true; }

# mode, owner:group and the path, as `stat` prints them: "750 storeflow:storeflow".
mode_owner() { stat -c '%a %U:%G' "$1"; }

install_and_run() {
  step "refuse to clobber an installation"
  # One such test at a time on the machine (other worktrees, other builds).
  exec 9>/run/lock/storeflow-deb-test.lock
  flock -w 240 9 || fail "another deb_package_test.sh held /run/lock/storeflow-deb-test.lock for 4 min"
  local status
  status=$(package_status)
  if [[ -n "$status" && "$status" != "unknown ok not-installed" && "$status" != *" not-installed" ]]; then
    fail "a storeflow package is already on this machine (dpkg status: $status): this test installs and \
purges its own and will not replace it. Remove it first (dpkg --purge storeflow; that deletes \
/var/lib/storeflow), or run the test as a non-root user or with STOREFLOW_DEB_TEST_UNPACK=1 (unpack only)"
  fi
  for left in /var/lib/storeflow /etc/storeflow; do
    [[ ! -e "$left" ]] || fail "$left exists without the storeflow package: purging the test's package \
would delete it; move it away, or run with STOREFLOW_DEB_TEST_UNPACK=1"
  done
  if getent passwd storeflow >/dev/null || getent group storeflow >/dev/null; then
    fail "a storeflow user or group exists without the package: purging the test's package would \
delete it; remove it, or run with STOREFLOW_DEB_TEST_UNPACK=1"
  fi
  echo "no storeflow package, user, group, /var/lib/storeflow or /etc/storeflow: installing"

  step "dpkg -i"
  installed=yes
  timeout 300 dpkg -i "$deb" </dev/null >"$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log"; fail "dpkg -i failed"; }
  [[ "$(package_status)" == "install ok installed" ]] || fail "dpkg status after -i: $(package_status)"
  /usr/bin/storeflow --version | grep -qF "storeflow $version" || fail "/usr/bin/storeflow --version"
  for f in /usr/lib/systemd/system/storeflow.service /usr/lib/storeflow/plugins/email/libstoreflow_email.so \
           /usr/share/storeflow/workflows/shop-orders.yaml /usr/share/doc/storeflow/install.md; do
    [[ -f "$f" ]] || fail "$f was not installed"
  done
  dpkg-query -W -f='${Conffiles}\n' storeflow | grep -q '^ /etc/storeflow/storeflow.yaml ' \
    || fail "dpkg does not list /etc/storeflow/storeflow.yaml as a conffile"
  local passwd uid
  passwd=$(getent passwd storeflow) || fail "postinst did not create the user storeflow"
  echo "user: $passwd"
  uid=$(cut -d: -f3 <<<"$passwd")
  (( uid < 1000 )) || fail "storeflow is not a system user (uid $uid)"
  [[ "$(cut -d: -f6 <<<"$passwd")" == /var/lib/storeflow ]] || fail "storeflow's home is not /var/lib/storeflow"
  [[ "$(id -gn storeflow)" == storeflow ]] || fail "storeflow's group is not storeflow"
  [[ "$(mode_owner /var/lib/storeflow)" == "750 storeflow:storeflow" ]] \
    || fail "/var/lib/storeflow is $(mode_owner /var/lib/storeflow), not 750 storeflow:storeflow"
  [[ "$(mode_owner /etc/storeflow/storeflow.yaml)" == "640 root:storeflow" ]] \
    || fail "/etc/storeflow/storeflow.yaml is $(mode_owner /etc/storeflow/storeflow.yaml), not 640 root:storeflow"
  echo "files, conffile, user (uid $uid), /var/lib/storeflow and the configuration's mode: as promised"

  step "dpkg -i again (the upgrade path), with the conffile edited"
  echo "# edited by deb_package_test.sh" >>/etc/storeflow/storeflow.yaml
  timeout 300 dpkg -i "$deb" </dev/null >"$work/dpkg-i2.log" 2>&1 || { cat "$work/dpkg-i2.log"; fail "the second dpkg -i failed"; }
  [[ "$(package_status)" == "install ok installed" ]] || fail "dpkg status after the second -i: $(package_status)"
  [[ "$(getent passwd storeflow | cut -d: -f3)" == "$uid" ]] || fail "the second install changed the user"
  grep -qxF "# edited by deb_package_test.sh" /etc/storeflow/storeflow.yaml || fail "the edited conffile was replaced"
  [[ "$(mode_owner /etc/storeflow/storeflow.yaml)" == "640 root:storeflow" ]] || fail "conffile mode after upgrade"
  [[ "$(mode_owner /var/lib/storeflow)" == "750 storeflow:storeflow" ]] || fail "state folder mode after upgrade"
  echo "installed twice: same user, the edit kept, the modes kept"

  step "the unit's ExecStart as its user (no systemd here: runuser, as User= would)"
  local unit=/usr/lib/systemd/system/storeflow.service user workdir umask_value
  user=$(sed -n 's/^User=//p' "$unit")
  workdir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
  umask_value=$(sed -n 's/^UMask=//p' "$unit")
  read -r -a argv <<<"$(sed -n 's/^ExecStart=//p' "$unit")"
  envs=()
  while IFS= read -r assignment; do envs+=("$assignment"); done < <(unit_environment "$unit")
  port=$(free_port)
  echo "as $user in $workdir (umask ${umask_value:-default}): ${argv[*]} --listen 127.0.0.1:$port"
  # runuser exits with the server's status.
  serve_until_ready "$work/serve.log" \
    bash -c 'cd "$1" && umask "$2" && shift 2 && exec "$@"' _ "$workdir" "${umask_value:-0022}" \
    env -i PATH=/usr/bin:/bin "${envs[@]}" "$(command -v runuser)" -u "$user" -- "${argv[@]}" --listen "127.0.0.1:$port"
  local db_path=/var/lib/storeflow/storeflow.db
  [[ "$(stat -c %U "$db_path")" == "$user" ]] || fail "the database is not owned by $user"
  # Reading beside the running engine (as root, as an operator would): no lock
  # taken, nothing written, no file left that the engine's user could not open.
  local listed
  listed=$(cd / && timeout 60 /usr/bin/storeflow runs list --db "sqlite:$db_path" 2>"$work/runs.err") \
    || { cat "$work/runs.err"; fail "storeflow runs list beside the engine failed"; }
  [[ "$(tr -d ' \n' <<<"$listed")" == "[]" ]] || fail "runs list beside the engine printed: $listed"
  if [[ -n "$(find /var/lib/storeflow -user root)" ]]; then
    find /var/lib/storeflow -user root -ls
    fail "a read beside the engine left files owned by root in /var/lib/storeflow"
  fi
  echo "runs list beside the engine: $listed"
  # SIGTERM to storeflow itself, as systemd would: runuser, given it, would kill
  # its child 2 s later ("Session terminated, killing shell...").
  local serve_pid
  serve_pid=$(ps -o pid= --ppid "$server" | tr -d ' ')
  [[ -n "$serve_pid" && "$(ps -o uid= -p "$serve_pid" | tr -d ' ')" == "$(id -u "$user")" ]] \
    || fail "no storeflow process of $user under runuser ($server)"
  stop_server "$work/serve.log" "$serve_pid"

  step "dpkg -r keeps the state; dpkg --purge removes it and the user"
  timeout 120 dpkg -r storeflow </dev/null >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log"; fail "dpkg -r failed"; }
  [[ ! -e /usr/bin/storeflow ]] || fail "dpkg -r left /usr/bin/storeflow"
  [[ -f "$db_path" ]] || fail "dpkg -r deleted the database"
  [[ -f /etc/storeflow/storeflow.yaml ]] || fail "dpkg -r deleted the configuration"
  getent passwd storeflow >/dev/null || fail "dpkg -r deleted the user"
  [[ "$(package_status)" == "deinstall ok config-files" ]] || fail "dpkg status after -r: $(package_status)"
  timeout 120 dpkg --purge storeflow </dev/null >"$work/dpkg-purge.log" 2>&1 \
    || { cat "$work/dpkg-purge.log"; fail "dpkg --purge failed"; }
  installed=""
  for gone in /var/lib/storeflow /etc/storeflow /usr/lib/storeflow /usr/share/storeflow; do
    [[ ! -e "$gone" ]] || fail "dpkg --purge left $gone"
  done
  ! getent passwd storeflow >/dev/null || fail "dpkg --purge left the user storeflow (postrm deletes it)"
  ! getent group storeflow >/dev/null || fail "dpkg --purge left the group storeflow"
  case "$(package_status)" in "" | *not-installed) ;; *) fail "dpkg status after --purge: $(package_status)" ;; esac
  echo "PASS: $(basename "$deb") built, inspected, installed twice with dpkg -i, served /readyz as \
its user, removed and purged"
}

if [[ $(id -u) -eq 0 && "${STOREFLOW_DEB_TEST_UNPACK:-}" != 1 ]] && command -v dpkg >/dev/null \
   && command -v runuser >/dev/null && command -v flock >/dev/null; then
  install_and_run
else
  unpack_and_run
fi
