# Every dependency comes from Debian 12 packages (tools/install-deps.sh installs them).

find_package(PkgConfig REQUIRED)
pkg_check_modules(LUA REQUIRED IMPORTED_TARGET lua5.4)

find_package(yaml-cpp 0.7 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(valijson REQUIRED)
find_package(Threads REQUIRED)

# Debian's Poco config for DataPostgreSQL links a `PostgreSQL::client` target
# that no Debian package defines: provide it as an alias of libpq.
find_package(PostgreSQL REQUIRED)
if(NOT TARGET PostgreSQL::client)
  add_library(PostgreSQL::client INTERFACE IMPORTED)
  target_link_libraries(PostgreSQL::client INTERFACE PostgreSQL::PostgreSQL)
endif()
find_package(Poco 1.11 REQUIRED COMPONENTS
  Foundation Util Net NetSSL Crypto JSON Data DataSQLite DataPostgreSQL)

if(STOREFLOW_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(STOREFLOW_BUILD_BENCH)
  find_package(benchmark QUIET)
endif()
