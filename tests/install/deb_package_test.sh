#!/usr/bin/env bash
# The .deb proof (ctest labels `install`, `package`): `cpack -G DEB` in the build
# folder makes storeflow_<version>_<arch>.deb; its files, control data, conffiles
# and systemd unit are checked (dpkg-deb -c / -I), then it is unpacked into a
# temporary root (dpkg-deb -x: the machine's dpkg database, users and /etc are
# not touched) and the unit's ExecStart runs there as the unit would (its
# Environment=, WorkingDirectory=, every absolute path moved under the temporary
# root, --listen on a free loopback port; as `nobody` when run as root, like
# User=), until /readyz answers 200; SIGTERM must then end it with status 0.
# Exit 77 (skipped) without cpack/dpkg-deb.
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
cleanup() {
  if [[ -n "$server" ]]; then kill -KILL "$server" 2>/dev/null || true; fi
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
done < <(sed -n 's/^Environment=//p' "$unit")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as=()
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
  chown -R nobody:nogroup "$root/var/lib/storeflow"
  as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs)
  echo "as nobody (User=storeflow; the package's user is not created here)"
else
  echo "as $(id -un): not root, so not as a separate user"
fi
(cd "$root/var/lib/storeflow" && exec env -i PATH=/usr/bin:/bin "${envs[@]}" \
   "${as[@]}" "${argv[@]}" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1) &
server=$!
ready=""
for _ in $(seq 1 120); do
  if ready=$(curl -fsS --max-time 2 "http://127.0.0.1:$port/readyz" 2>/dev/null); then break; fi
  running "$server" || { cat "$work/serve.log"; fail "serve exited early"; }
  sleep 0.5
done
[[ -n "$ready" ]] || { cat "$work/serve.log"; fail "/readyz did not answer 200 within 60 s"; }
echo "/readyz: $ready"
grep -m1 "workflow(s) from" "$work/serve.log" || true
# The server is the subshell's exec'd process itself: SIGTERM reaches serve, which
# drains and exits; bounded (KILLed by the cleanup after 60 s).
kill -TERM "$server"
stop_start=$SECONDS
for _ in $(seq 1 120); do running "$server" || break; sleep 0.5; done
if running "$server"; then
  tail -n 20 "$work/serve.log"
  ps -o pid,stat,etime,wchan:30,cmd -p "$server" | cut -c1-160
  fail "serve did not exit within 60 s of SIGTERM"
fi
status=0
wait "$server" || status=$?
server=""
echo "serve exited with status $status $((SECONDS - stop_start)) s after SIGTERM"
[[ $status -eq 0 ]] || { tail -n 20 "$work/serve.log"; fail "serve exited $status after SIGTERM"; }
[[ -f "$root/var/lib/storeflow/storeflow.db" ]] || fail "no database in the state folder"
echo "PASS: $(basename "$deb") built, inspected, and its unit's command served /readyz"
