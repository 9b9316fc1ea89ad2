# `cmake --install`: what an installation holds (docs/install.md), in components:
#   runtime  bin/storeflow; share/storeflow/{workflows,scripts,email-templates};
#            etc/storeflow/storeflow.yaml (written at install time, below)
#   plugins  lib/storeflow/plugins/<name>/ (storeflow_add_plugin, cmake/StoreflowPlugin.cmake)
#   sdk      include/storeflow/{plugin.h,plugin.hpp,testkit.hpp}, lib/libstoreflow_plugin_testkit.a,
#            lib/cmake/Storeflow/ (find_package(Storeflow CONFIG)), share/pkgconfig/storeflow-plugin.pc
#   systemd  lib/systemd/system/storeflow.service (for the .deb: its paths are /usr's)
# The binary finds the plugins and the configuration from its own path
# (engine/src/app/install_layout.h), so the prefix can be chosen at install time:
# `cmake --install build/release --prefix /opt/storeflow`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS storeflow RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/workflows ${PROJECT_SOURCE_DIR}/scripts
        DESTINATION ${CMAKE_INSTALL_DATADIR}/storeflow COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/email-templates
        DESTINATION ${CMAKE_INSTALL_DATADIR}/storeflow COMPONENT runtime)
# The configuration: config/storeflow.yaml with its relative paths made absolute
# for the prefix installed to (known only at install time). An existing file is
# kept (it is the operator's), the new one written beside it as storeflow.yaml.dist.
install(CODE "
  set(STOREFLOW_CONFIG_SOURCE \"${PROJECT_SOURCE_DIR}/config/storeflow.yaml\")
  set(STOREFLOW_DATADIR \"${CMAKE_INSTALL_DATADIR}\")
  include(\"${PROJECT_SOURCE_DIR}/cmake/StoreflowInstallConfigFile.cmake\")
" COMPONENT runtime)

# The SDK.
install(FILES ${PROJECT_SOURCE_DIR}/engine/include/storeflow/plugin.h
              ${PROJECT_SOURCE_DIR}/engine/include/storeflow/plugin.hpp
              ${PROJECT_SOURCE_DIR}/engine/include/storeflow/testkit.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/storeflow COMPONENT sdk)
install(FILES ${CMAKE_BINARY_DIR}/sdk/libstoreflow_plugin_testkit.a
        DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT sdk)

set(STOREFLOW_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Storeflow)
file(STRINGS ${PROJECT_SOURCE_DIR}/engine/include/storeflow/plugin.h _abi_lines
     REGEX "#define STOREFLOW_PLUGIN_ABI_M")
string(REGEX MATCH "ABI_MAJOR ([0-9]+)" _m "${_abi_lines}")
set(_abi_major ${CMAKE_MATCH_1})
string(REGEX MATCH "ABI_MINOR ([0-9]+)" _m "${_abi_lines}")
set(STOREFLOW_PLUGIN_ABI "${_abi_major}.${CMAKE_MATCH_1}")
set(STOREFLOW_TESTKIT_LINK_OPTIONS "")
if(STOREFLOW_SANITIZE)  # the kit's archive is instrumented: its users link the runtimes
  set(STOREFLOW_TESTKIT_LINK_OPTIONS "-fsanitize=address,undefined")
endif()
set(STOREFLOW_TESTKIT_ARCHIVE ${CMAKE_INSTALL_LIBDIR}/libstoreflow_plugin_testkit.a)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/StoreflowConfig.cmake.in
  ${CMAKE_BINARY_DIR}/sdk/StoreflowConfig.cmake
  INSTALL_DESTINATION ${STOREFLOW_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR STOREFLOW_TESTKIT_ARCHIVE STOREFLOW_PLUGIN_INSTALL_DIR
            CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/sdk/StoreflowConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/sdk/StoreflowConfig.cmake
              ${CMAKE_BINARY_DIR}/sdk/StoreflowConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/StoreflowPlugin.cmake
        DESTINATION ${STOREFLOW_CMAKE_DIR} COMPONENT sdk)
configure_file(${PROJECT_SOURCE_DIR}/cmake/storeflow-plugin.pc.in
               ${CMAKE_BINARY_DIR}/sdk/storeflow-plugin.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/sdk/storeflow-plugin.pc
        DESTINATION ${CMAKE_INSTALL_DATADIR}/pkgconfig COMPONENT sdk)

# The systemd unit, for the .deb (cmake/StoreflowPackaging.cmake): its paths are
# the /usr prefix's, so it is installed only when asked (--component systemd).
install(FILES ${PROJECT_SOURCE_DIR}/packaging/storeflow.service
        DESTINATION lib/systemd/system COMPONENT systemd EXCLUDE_FROM_ALL)
install(FILES ${PROJECT_SOURCE_DIR}/docs/install.md ${PROJECT_SOURCE_DIR}/docs/operations.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
