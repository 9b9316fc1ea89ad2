# Run by `cmake --install` (cmake/StoreflowInstall.cmake, component runtime):
# writes <sysconfdir>/storeflow/storeflow.yaml from config/storeflow.yaml with the
# paths that are relative to a checkout (config/email-templates, var/outbox,
# var/storage) made absolute for this prefix. The /usr prefix (the .deb) uses
# /etc and /var, any other <prefix>/etc and <prefix>/var, as the binary expects
# (engine/src/app/install_layout.h).
# In: STOREFLOW_CONFIG_SOURCE, STOREFLOW_DATADIR, CMAKE_INSTALL_PREFIX, $ENV{DESTDIR}.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(_etc "/etc/storeflow")
  set(_state "/var/lib/storeflow")
else()
  set(_etc "${CMAKE_INSTALL_PREFIX}/etc/storeflow")
  set(_state "${CMAKE_INSTALL_PREFIX}/var/lib/storeflow")
endif()
set(_data "${CMAKE_INSTALL_PREFIX}/${STOREFLOW_DATADIR}/storeflow")

file(READ "${STOREFLOW_CONFIG_SOURCE}" _text)
set(_replacements
  "templates_dir: config/email-templates" "templates_dir: ${_data}/email-templates"
  "outbox: { folder: var/outbox }" "outbox: { folder: ${_state}/outbox }"
  "root: var/storage" "root: ${_state}/storage")
list(LENGTH _replacements _n)
math(EXPR _last "${_n} - 1")
foreach(_i RANGE 0 ${_last} 2)
  math(EXPR _j "${_i} + 1")
  list(GET _replacements ${_i} _from)
  list(GET _replacements ${_j} _to)
  string(FIND "${_text}" "${_from}" _at)
  if(_at EQUAL -1)
    message(FATAL_ERROR "${STOREFLOW_CONFIG_SOURCE} no longer has '${_from}': "
                        "update cmake/StoreflowInstallConfigFile.cmake")
  endif()
  string(REPLACE "${_from}" "${_to}" _text "${_text}")
endforeach()
string(REPLACE "# storeflow engine configuration: the embedded defaults, as shipped."
  "# storeflow engine configuration, as installed under ${CMAKE_INSTALL_PREFIX}\n# (state in ${_state}; docs/install.md)."
  _text "${_text}")

set(_file "$ENV{DESTDIR}${_etc}/storeflow.yaml")
if(EXISTS "${_file}")
  set(_file "${_file}.dist")
  message(STATUS "Keeping $ENV{DESTDIR}${_etc}/storeflow.yaml; the new default is ${_file}")
else()
  message(STATUS "Installing: ${_file}")
endif()
file(WRITE "${_file}" "${_text}")
list(APPEND CMAKE_INSTALL_MANIFEST_FILES "${_file}")
# The state folder, for a prefix of one's own (the .deb's postinst makes /var/lib/storeflow).
if(NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  file(MAKE_DIRECTORY "$ENV{DESTDIR}${_state}")
endif()
