# Precompiled headers for a cold build (STOREFLOW_PCH).
#
# Nearly every translation unit of the tree includes the same large headers: the
# standard library's containers and streams and nlohmann/json (about 160 000
# preprocessed lines for one engine file; parsing them is close to half its
# compile time). With STOREFLOW_PCH each C++ target compiles them once, into its
# own precompiled header (its own flags and definitions), and every file of the
# target starts from it; test targets add GoogleTest.
#
# Default: ON with clang when the build does not compile through a launcher (ccache).
# Measured on engine/src/runtime files (Release): clang 14 with it takes 0.55-0.8 of
# the time without; GCC 12 gained nothing (its 110 MB precompiled header costs about
# what it saves), so it stays OFF there. ccache cannot cache a compile that uses a
# precompiled header without sloppiness settings, and a warm ccache beats it. So
# tools/test.sh (CI) and tools/demo.sh build cold with it, and a developer's ccache
# build without it, which also catches a file that forgot an include the
# precompiled header would have hidden.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(_storeflow_pch_default ON)
else()
  set(_storeflow_pch_default OFF)
endif()
option(STOREFLOW_PCH "Precompile the standard library, nlohmann/json (and GoogleTest for tests) per target"
       ${_storeflow_pch_default})

# The headers every target gets; tests also get GoogleTest's.
set(STOREFLOW_PCH_HEADERS
    <algorithm> <atomic> <chrono> <cstdint> <cstring> <filesystem> <functional> <map>
    <memory> <mutex> <optional> <ostream> <set> <sstream> <string> <string_view> <thread>
    <unordered_map> <utility> <variant> <vector> <nlohmann/json.hpp>)
set(STOREFLOW_PCH_TEST_HEADERS <gtest/gtest.h> <gmock/gmock.h>)
# A target with fewer C++ files than this compiles faster without one.
set(STOREFLOW_PCH_MIN_SOURCES 3)

# Every build-system target defined in `dir` and the folders below it.
function(_storeflow_targets_under dir out)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _storeflow_targets_under("${sub}" below)
    list(APPEND targets ${below})
  endforeach()
  set(${out} "${targets}" PARENT_SCOPE)
endfunction()

# Gives each C++ target of the tree its precompiled header; call once, after every
# add_subdirectory.
function(storeflow_precompile_headers)
  if(NOT STOREFLOW_PCH)
    return()
  endif()
  _storeflow_targets_under("${PROJECT_SOURCE_DIR}" targets)
  set(count 0)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(NOT type MATCHES "^(STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY|EXECUTABLE)$")
      continue()
    endif()
    get_target_property(sources ${target} SOURCES)
    list(FILTER sources INCLUDE REGEX "\\.(cpp|cc|cxx)$")
    list(LENGTH sources n)
    if(n LESS STOREFLOW_PCH_MIN_SOURCES)
      continue()
    endif()
    set(headers ${STOREFLOW_PCH_HEADERS})
    get_target_property(libraries ${target} LINK_LIBRARIES)
    if(libraries MATCHES "GTest::")
      list(APPEND headers ${STOREFLOW_PCH_TEST_HEADERS})
    endif()
    # C++ files only (a target may hold C files); `>` is spelled $<ANGLE-R> inside the
    # generator expression.
    string(REPLACE ">" "$<ANGLE-R>" headers "${headers}")
    target_precompile_headers(${target} PRIVATE "$<$<COMPILE_LANGUAGE:CXX>:${headers}>")
    math(EXPR count "${count} + 1")
  endforeach()
  message(STATUS "storeflow: precompiled headers for ${count} targets (STOREFLOW_PCH)")
endfunction()
