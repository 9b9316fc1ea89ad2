# Warnings and sanitizers shared by every storeflow target (interface target).
add_library(storeflow_options INTERFACE)
target_compile_options(storeflow_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)
# GCC 12 at -O2/-O3 reports -Wrestrict inside libstdc++'s std::string for code that
# only assigns or replaces strings (GCC bug 105329, a false positive): the Release
# build of tools/demo.sh printed 29 of them. clang and other GCC versions keep it.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 12
   AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(storeflow_options INTERFACE -Wno-restrict)
endif()

# Link with lld when the compiler can use it (tools/install-deps.sh installs it):
# the sanitized test binaries are large, and lld links them in about a third of
# the time of GNU ld. STOREFLOW_LINKER=default keeps the toolchain's linker.
set(STOREFLOW_LINKER "lld" CACHE STRING "Linker: lld (when usable) or default")
if(STOREFLOW_LINKER STREQUAL "lld")
  include(CheckLinkerFlag)
  check_linker_flag(CXX "-fuse-ld=lld" STOREFLOW_HAVE_LLD)
  if(STOREFLOW_HAVE_LLD)
    add_link_options(-fuse-ld=lld)
  endif()
endif()

if(STOREFLOW_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_compile_options(storeflow_options INTERFACE ${_san})
  target_link_options(storeflow_options INTERFACE ${_san})
endif()

# The fuzz build (STOREFLOW_BUILD_FUZZ, preset `fuzz`): every target of the tree is
# compiled with libFuzzer's coverage instrumentation plus ASan and UBSan, so the
# engine libraries the fuzz targets link are instrumented too; the targets in
# tests/fuzz add -fsanitize=fuzzer at link time (libFuzzer's main).
if(STOREFLOW_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "STOREFLOW_BUILD_FUZZ needs clang (libFuzzer): use the fuzz preset "
                        "(CMAKE_CXX_COMPILER=clang++-14), or tools/fuzz.sh")
  endif()
  if(STOREFLOW_SANITIZE)
    message(FATAL_ERROR "STOREFLOW_BUILD_FUZZ brings its own sanitizers: set STOREFLOW_SANITIZE=OFF")
  endif()
  set(STOREFLOW_FUZZ_SANITIZERS address,undefined)
  add_compile_options(-fsanitize=fuzzer-no-link,${STOREFLOW_FUZZ_SANITIZERS}
                      -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      -UNDEBUG)  # assertions stay on: they are properties too
  add_link_options(-fsanitize=${STOREFLOW_FUZZ_SANITIZERS})
endif()
