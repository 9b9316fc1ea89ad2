# `cpack -G DEB` (in a build folder): storeflow_<version>_<arch>.deb, the engine
# installed under /usr with its plugins, /etc/storeflow/storeflow.yaml (a
# conffile), the systemd unit storeflow.service (serve, as the user storeflow,
# state in /var/lib/storeflow) and the maintainer scripts of packaging/debian/.
# docs/install.md; tests/install/deb_package_test.sh checks the result.
set(CPACK_PACKAGE_NAME storeflow)
set(CPACK_PACKAGE_VENDOR "storeflow")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Plugin-based workflow engine for commerce automation")
set(CPACK_PACKAGE_DESCRIPTION
    "storeflow runs YAML workflows with Lua rules on webhooks, REST triggers and queues, with "
    "plugins for Shopify, email, storage and AWS. This package holds the engine, its plugins, "
    "the shipped workflows and a systemd unit.")
set(CPACK_PACKAGE_CONTACT "storeflow maintainers <maintainers@storeflow.invalid>")
set(CPACK_PACKAGE_FILE_NAME_IS_DEFAULT ON)
set(CPACK_GENERATOR DEB)
# Installed with prefix /usr into a DESTDIR: the configuration is written at
# install time for the prefix installed to (cmake/StoreflowInstallConfigFile.cmake),
# and /usr means /etc and /var.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# One package of these components (the SDK is for plugin authors: cmake --install).
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_COMPONENTS_ALL runtime plugins systemd)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_NAME storeflow)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps (dpkg-dev) fills Depends
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
include(CPack)
