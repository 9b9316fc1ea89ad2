# storeflow_add_plugin(NAME <name> SOURCES <files...> [LIBRARIES <targets...>])
#
# Builds a plugin as a shared module into ${STOREFLOW_PLUGIN_OUTPUT_DIR}/<name>/
# (libstoreflow_<name>.so beside a copy of the plugin's plugin.yaml), which is the
# folder the default configuration loads plugins from. Only the entry symbol is
# exported (hidden visibility). Every plugin is part of the `storeflow_plugins`
# target, which the tests and the demo depend on.
set(STOREFLOW_PLUGIN_OUTPUT_DIR "${CMAKE_BINARY_DIR}/plugins" CACHE INTERNAL
    "Where storeflow plugins are built")
if(NOT TARGET storeflow_plugins)
  add_custom_target(storeflow_plugins)
endif()

function(storeflow_add_plugin)
  cmake_parse_arguments(P "" "NAME;OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT P_NAME OR NOT P_SOURCES)
    message(FATAL_ERROR "storeflow_add_plugin needs NAME and SOURCES")
  endif()
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR "${STOREFLOW_PLUGIN_OUTPUT_DIR}/${P_NAME}")
  endif()
  set(target storeflow_plugin_${P_NAME})
  add_library(${target} MODULE ${P_SOURCES})
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME "storeflow_${P_NAME}"
    LIBRARY_OUTPUT_DIRECTORY "${P_OUTPUT_DIR}"
    CXX_VISIBILITY_PRESET hidden
    C_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/engine/include)
  target_link_libraries(${target} PRIVATE storeflow_options nlohmann_json::nlohmann_json
                                          ${P_LIBRARIES})
  if(EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/plugin.yaml")
    add_custom_command(TARGET ${target} POST_BUILD
      COMMAND ${CMAKE_COMMAND} -E copy_if_different
              "${CMAKE_CURRENT_SOURCE_DIR}/plugin.yaml" "${P_OUTPUT_DIR}/plugin.yaml"
      VERBATIM)
  endif()
  add_dependencies(storeflow_plugins ${target})
endfunction()
