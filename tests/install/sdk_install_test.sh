#!/usr/bin/env bash
# The install proof (ctest label `install`): the build installed into a temporary
# prefix is all a plugin author needs. Copies plugins/example out of the tree,
# configures it with CMAKE_PREFIX_PATH=<prefix> alone, builds it and runs its
# tests (the plugin test kit), installs it into the prefix, and checks that
# <prefix>/bin/storeflow (from an empty folder, with the prefix's configuration)
# lists it loaded beside the shipped plugins and validates the shipped workflows.
#
# usage: sdk_install_test.sh BUILD_DIR SOURCE_DIR CXX_COMPILER [LAUNCHER]
set -euo pipefail
build=$1 source=$2 cxx=$3 launcher=${4:-}
work="$build/install-test/sdk"  # a fixed path: ccache (base_dir=/work) hits on reruns
prefix="$work/prefix"
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
rm -rf "$work"
mkdir -p "$work/run"
trap 'rm -rf "$work"' EXIT

step "build what is installed (a no-op when up to date)"
timeout 900 cmake --build "$build" -j2 --target storeflow storeflow_plugins \
  storeflow_plugin_testkit_archive >/dev/null

step "cmake --install $build --prefix $prefix"
timeout 120 cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/storeflow include/storeflow/plugin.hpp include/storeflow/testkit.hpp \
         lib/libstoreflow_plugin_testkit.a lib/cmake/Storeflow/StoreflowConfig.cmake \
         share/pkgconfig/storeflow-plugin.pc etc/storeflow/storeflow.yaml \
         share/storeflow/workflows/shop-orders.yaml share/storeflow/scripts/shop.lua \
         lib/storeflow/plugins/email/plugin.yaml lib/storeflow/plugins/sqs/libstoreflow_sqs.so; do
  [[ -e "$prefix/$f" ]] || fail "$prefix/$f was not installed"
done
[[ ! -e "$prefix/lib/storeflow/plugins/example" ]] || fail "the example plugin is not shipped"
grep -q "templates_dir: $prefix/share/storeflow/email-templates" "$prefix/etc/storeflow/storeflow.yaml" \
  || fail "the installed storeflow.yaml does not point at the prefix's templates"
# The installed headers include only each other (nothing private of the engine).
while IFS= read -r included; do
  [[ -f "$prefix/include/$included" ]] || fail "an installed header includes \"$included\", not installed"
done < <(grep -rhoP '#include "\K[^"]+' "$prefix/include")
echo "installed: $(cd "$prefix" && find . -type f | wc -l) files"

cp -r "$source/plugins/example" "$work/example"  # what is used from the source tree

step "pkg-config storeflow-plugin"
PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --cflags storeflow-plugin
[[ "$(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --variable=abi storeflow-plugin)" =~ ^[0-9]+\.[0-9]+$ ]] \
  || fail "storeflow-plugin.pc has no abi"
# Without CMake (docs/plugin-sdk.md, section 2): the flags are enough to build a plugin.
# shellcheck disable=SC2046
${launcher:+"$launcher"} "$cxx" -std=c++17 -shared -fPIC -fvisibility=hidden \
  $(PKG_CONFIG_PATH="$prefix/share/pkgconfig" pkg-config --cflags storeflow-plugin) \
  -DSTOREFLOW_PLUGIN_NAME='"example"' -DSTOREFLOW_PLUGIN_VERSION='"1.0.0"' \
  -o "$work/pkgconfig-example.so" "$work/example/src/example_plugin.cpp"
nm -D --defined-only "$work/pkgconfig-example.so" | grep -q ' T storeflow_plugin_v1$' \
  || fail "the pkg-config build does not export storeflow_plugin_v1"

step "the example plugin, out of the tree, against $prefix alone"
launcher_args=()
[[ -n "$launcher" ]] && launcher_args=(-DCMAKE_CXX_COMPILER_LAUNCHER="$launcher")
timeout 120 cmake -S "$work/example" -B "$work/example-build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER="$cxx" "${launcher_args[@]}" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_INSTALL_PREFIX="$prefix" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
# (The work folder is in the build tree, itself maybe inside the source tree.)
if grep -r --include=build.ninja --include=CMakeCache.txt -P "\\Q$source\\E/(?!${build#"$source"/})" \
     "$work/example-build"; then
  fail "the out-of-tree build refers to the source tree $source"
fi
timeout 600 cmake --build "$work/example-build" -j2
[[ -f "$work/example-build/plugins/example/plugin.yaml" ]] || fail "no generated plugin.yaml"
grep -q 'version: "1.0.0"' "$work/example-build/plugins/example/plugin.yaml" || fail "plugin.yaml version"

step "its tests, with the plugin test kit"
timeout 300 ctest --test-dir "$work/example-build" --output-on-failure --timeout 120 2>&1 | tail -n 5
[[ ${PIPESTATUS[0]} -eq 0 ]] || fail "the example plugin's tests failed"

step "cmake --install the plugin into $prefix; storeflow plugins list"
timeout 60 cmake --install "$work/example-build" >/dev/null
[[ -f "$prefix/lib/storeflow/plugins/example/libstoreflow_example.so" ]] || fail "plugin not installed"
cd "$work/run"
list=$(env -u STOREFLOW_CONFIG -u STOREFLOW_PLUGINS_DIRS timeout 60 "$prefix/bin/storeflow" plugins list --json)
echo "$list" | jq -c '.[] | {name, version, abi, loaded, path}' 2>/dev/null || echo "$list"
for name in example email storage shopify sqs; do
  echo "$list" | jq -e --arg n "$name" --arg dir "$prefix/lib/storeflow/plugins/" \
    '.[] | select(.name == $n and .loaded and ((.path // "") | startswith($dir)))' >/dev/null \
    || fail "plugins list: $name is not loaded from $prefix/lib/storeflow/plugins"
done
echo "$list" | jq -e '.[] | select(.name == "example" and .version == "1.0.0")' >/dev/null \
  || fail "plugins list: example is not version 1.0.0"

step "storeflow run: the prefix's configuration (plugins.config.example) and plugin"
sed -i 's/^  config:$/  config:\n    example:\n      greeting: Ahoy/' "$prefix/etc/storeflow/storeflow.yaml"
cat >"$work/run/greet.yaml" <<'YAML'
workflow: greet
on: [{event: go}]
steps:
  - id: hello
    uses: example.greet
    with: { name: "${{ event.who }}" }
YAML
run=$(echo '{"who": "Ada"}' | env -u STOREFLOW_CONFIG timeout 60 "$prefix/bin/storeflow" run greet.yaml --input -)
echo "$run" | jq -c '{status, output: .steps}' 2>/dev/null || echo "$run"
echo "$run" | grep -q '"message": "Ahoy, Ada!"' || fail "storeflow run did not greet with the installed config"

step "storeflow validate the shipped workflows (the prefix's configuration and plugins)"
env -u STOREFLOW_CONFIG timeout 60 "$prefix/bin/storeflow" validate --root "$prefix/share/storeflow" \
  "$prefix/share/storeflow/workflows" | tail -n 2
echo "PASS: installed SDK, out-of-tree plugin built, tested and loaded"
