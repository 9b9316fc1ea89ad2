# Sourced by the build scripts (test.sh, demo.sh, fuzz.sh).
#
# fresh_build_dir DIR GENERATOR CXX: a build folder configured by another generator or
# another C++ compiler than the preset now names is configured afresh (its cache goes;
# the objects come back from ccache where it is installed): CMake refuses to switch
# generators in place, and a compiler switch in place leaves a half-updated cache.
fresh_build_dir() {
  local dir=$1 generator=$2 cxx=$3 cache="$1/CMakeCache.txt"
  [[ -f "$cache" ]] || return 0
  if ! grep -qx "CMAKE_GENERATOR:INTERNAL=$generator" "$cache" ||
     { [[ -n "$cxx" ]] && ! grep -q "^CMAKE_CXX_COMPILER:[A-Z]*=.*$cxx\$" "$cache"; }; then
    echo "build: $dir was configured by another generator or compiler; configuring it afresh" >&2
    rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
  fi
}
