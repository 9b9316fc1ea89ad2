# Warnings and sanitizers shared by every storeflow target (interface target).
add_library(storeflow_options INTERFACE)
target_compile_options(storeflow_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-missing-field-initializers)

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
