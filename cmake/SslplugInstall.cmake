# What `cmake --install` puts where, and the packages consumers find it by:
#
#   bin/sslplug                          the CLI (RPATH $ORIGIN/../lib)
#   lib/libsslplug.so.X.Y.Z, .so.X, .so  the library (SONAME libsslplug.so.X)
#   lib/libsslplug.a                     the same objects, static (SSLPLUG_STATIC)
#   lib/sslplug/plugins/*.so             bundled plugins (installed hosts look here)
#   lib/sslplug/libsslplug-inject.so    LD_PRELOAD library of sslplug run (RPATH $ORIGIN/..)
#   include/sslplug/{sslplug,plugin}.h   the application API and the plugin ABI
#   lib/pkgconfig/sslplug.pc             applications
#   lib/pkgconfig/sslplug-plugin.pc      plugin authors: flags only, nothing to link
#   lib/cmake/sslplug/                   find_package(sslplug): sslplug::sslplug,
#                                        sslplug::plugin, sslplug::sslplug_static
#   share/sslplug/sslplug.schema.json    the configuration's JSON Schema
#   share/sslplug/demo/                  demo configurations and mkpki.sh;
#                                        examples/: config/examples (../pki is the demo's)
#   share/man/man{1,5,7}/                sslplug(1), sslplug-run(1), sslplug.json(5),
#                                        sslplug-plugin(7)
#   share/doc/sslplug/                   README, plugin READMEs, examples/
#
# Every path is relative to the prefix, so `cmake --install BUILD --prefix P`
# works for any P; the .pc files find the prefix from their own location.
#
# Each rule names the Debian package it belongs to (SslplugPackage.cmake) as
# its component: lib (libsslplug0), dev (libsslplug-dev), tool (sslplug,
# also what names no component: the bundled plugins).

include(CMakePackageConfigHelpers)
find_package(Threads REQUIRED)

option(SSLPLUG_STATIC "Also build and install libsslplug.a" ON)
option(SSLPLUG_INSTALL_DEMO_PKI
  "Generate a demo PKI into share/sslplug/demo/pki at install time (never for packages)" OFF)

set(SSLPLUG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/sslplug)
set(SSLPLUG_PLUGIN_DIR_REL ${CMAKE_INSTALL_LIBDIR}/sslplug/plugins)
set(SSLPLUG_DATA_DIR_REL ${CMAKE_INSTALL_DATADIR}/sslplug)

# Installed files and directories get fixed modes whatever the umask: the
# host refuses plugins in group- or world-writable directories.
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# The plugin ABI version, for the .pc file and the CMake package.
file(STRINGS ${PROJECT_SOURCE_DIR}/include/sslplug/plugin.h _abi
  REGEX "^#define SSLPLUG_ABI_(MAJOR|MINOR) [0-9]+")
string(REGEX REPLACE ".*SSLPLUG_ABI_MAJOR ([0-9]+).*" "\\1" SSLPLUG_ABI_MAJOR "${_abi}")
string(REGEX REPLACE ".*SSLPLUG_ABI_MINOR ([0-9]+).*" "\\1" SSLPLUG_ABI_MINOR "${_abi}")

# ---- library, static library, CLI ----

add_library(sslplug::sslplug ALIAS sslplug)
install(TARGETS sslplug EXPORT sslplugTargets LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  COMPONENT lib NAMELINK_COMPONENT dev)

if(SSLPLUG_STATIC)
  # The shared library's objects again (no second compile: hidden
  # visibility changes nothing for a static link), except its linkage file:
  # a static link finds its plugins in the directory it was installed with
  # (SslplugLinkage.cmake, host/builtin_dir.c).
  set(_linkage_static ${PROJECT_BINARY_DIR}/host/generated/linkage_static.c)
  sslplug_write_linkage(${_linkage_static} 1 ${SSLPLUG_INSTALL_PLUGIN_DIR})
  add_library(sslplug_static STATIC
    $<FILTER:$<TARGET_OBJECTS:sslplug>,EXCLUDE,linkage_shared[.]c[.]o> ${_linkage_static})
  sslplug_warnings(sslplug_static)
  set_target_properties(sslplug_static PROPERTIES OUTPUT_NAME sslplug
    ARCHIVE_OUTPUT_DIRECTORY ${SSLPLUG_BUILD_LIB_DIR})
  target_include_directories(sslplug_static PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  # Installed, jansson is found again by sslplugConfig.cmake under its own name.
  target_link_libraries(sslplug_static
    PUBLIC OpenSSL::SSL OpenSSL::Crypto
    PRIVATE $<BUILD_INTERFACE:PkgConfig::JANSSON> $<INSTALL_INTERFACE:PkgConfig::sslplug_jansson>
            ${CMAKE_DL_LIBS} Threads::Threads)
  add_library(sslplug::sslplug_static ALIAS sslplug_static)
  install(TARGETS sslplug_static EXPORT sslplugStaticTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
  separate_arguments(_cflags UNIX_COMMAND "${CMAKE_C_FLAGS}")
  install(CODE "
    include(\"${PROJECT_SOURCE_DIR}/cmake/SslplugLinkage.cmake\")
    sslplug_install_linkage(
      ARCHIVE \"${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:sslplug_static>\"
      PLUGIN_DIR_REL \"${SSLPLUG_PLUGIN_DIR_REL}\"
      WORK_DIR \"${PROJECT_BINARY_DIR}/linkage-install\"
      CC \"${CMAKE_C_COMPILER}\" CFLAGS \"${_cflags}\" AR \"${CMAKE_AR}\"
      RANLIB \"${CMAKE_RANLIB}\")" COMPONENT dev)
  install(EXPORT sslplugStaticTargets NAMESPACE sslplug:: DESTINATION ${SSLPLUG_CMAKE_DIR}
    COMPONENT dev)
endif()

# An installed CLI finds its library in a non-system prefix.
set_target_properties(sslplug_cli PROPERTIES
  INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
install(TARGETS sslplug_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tool)
# sslplug run finds it at bin/../LIBDIR/sslplug; it finds libsslplug in LIBDIR.
install(TARGETS sslplug_inject LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/sslplug COMPONENT tool)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/sslplug
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.h")

# ---- sslplug::plugin: what a plugin compiles with; it links nothing ----
# OpenSSL's headers (plugin.h includes them) and hidden visibility, so that
# only what SSLPLUG_PLUGIN_EXPORT marks is exported.  A plugin that calls
# OpenSSL links OpenSSL::SSL/Crypto itself: shared, the host's copy.

add_library(sslplug_plugin_sdk INTERFACE)
set_target_properties(sslplug_plugin_sdk PROPERTIES EXPORT_NAME plugin
  INTERFACE_POSITION_INDEPENDENT_CODE ON)
target_include_directories(sslplug_plugin_sdk INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
  $<TARGET_PROPERTY:OpenSSL::SSL,INTERFACE_INCLUDE_DIRECTORIES>)
target_compile_options(sslplug_plugin_sdk INTERFACE
  $<$<COMPILE_LANGUAGE:C,CXX>:-fvisibility=hidden>)
add_library(sslplug::plugin ALIAS sslplug_plugin_sdk)
install(TARGETS sslplug_plugin_sdk EXPORT sslplugTargets COMPONENT dev)

# ---- data, man pages, documentation ----

install(FILES ${PROJECT_SOURCE_DIR}/config/sslplug.schema.json DESTINATION ${SSLPLUG_DATA_DIR_REL}
  COMPONENT tool)
file(GLOB _demo_configs ${PROJECT_SOURCE_DIR}/config/demo/*.json)
install(FILES ${_demo_configs} DESTINATION ${SSLPLUG_DATA_DIR_REL}/demo COMPONENT tool)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/tests/pki/mkpki.sh DESTINATION ${SSLPLUG_DATA_DIR_REL}/demo
  COMPONENT tool)
# Beside the demo, as the build tree has them (build/demo/examples): their
# "../pki/" paths are the demo PKI's.
file(GLOB _example_configs ${PROJECT_SOURCE_DIR}/config/examples/*.json)
install(FILES ${_example_configs} DESTINATION ${SSLPLUG_DATA_DIR_REL}/demo/examples
  COMPONENT tool)
if(SSLPLUG_INSTALL_DEMO_PKI)
  install(CODE "
    set(_pki \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${SSLPLUG_DATA_DIR_REL}/demo/pki\")
    if(NOT EXISTS \"\${_pki}/server.key\")
      message(STATUS \"Generating the demo PKI: \${_pki}\")
      execute_process(COMMAND sh \"${PROJECT_SOURCE_DIR}/tests/pki/mkpki.sh\" \"\${_pki}\"
        RESULT_VARIABLE _rc)
      if(NOT _rc EQUAL 0)
        message(FATAL_ERROR \"mkpki.sh failed: \${_rc}\")
      endif()
    endif()" COMPONENT tool)
endif()

# The plugin author's page goes with the headers; the tool's and the
# configuration's with the tool.
foreach(section 1 5 7)
  file(GLOB _pages ${PROJECT_SOURCE_DIR}/docs/man/*.${section})
  if(section EQUAL 7)
    set(_component dev)
  else()
    set(_component tool)
  endif()
  install(FILES ${_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section} COMPONENT ${_component})
endforeach()

install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT tool)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples
  COMPONENT dev PATTERN "build*" EXCLUDE)

# ---- CMake package ----

install(EXPORT sslplugTargets NAMESPACE sslplug:: DESTINATION ${SSLPLUG_CMAKE_DIR} COMPONENT dev)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sslplugConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/sslplugConfig.cmake
  INSTALL_DESTINATION ${SSLPLUG_CMAKE_DIR}
  PATH_VARS SSLPLUG_PLUGIN_DIR_REL SSLPLUG_DATA_DIR_REL)
# 0.x: a minor release may break the API; from 1.0 on, only a major one.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_compat SameMinorVersion)
else()
  set(_compat SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/sslplugConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY ${_compat})
install(FILES ${PROJECT_BINARY_DIR}/cmake/sslplugConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/sslplugConfigVersion.cmake DESTINATION ${SSLPLUG_CMAKE_DIR}
  COMPONENT dev)

# ---- pkg-config ----

# prefix=${pcfiledir}/..: relocatable, right for any --prefix.
file(RELATIVE_PATH SSLPLUG_PC_TO_PREFIX
  ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" SSLPLUG_PC_TO_PREFIX "${SSLPLUG_PC_TO_PREFIX}")
set(SSLPLUG_PC_DL_LIBS "")
foreach(lib ${CMAKE_DL_LIBS})
  string(APPEND SSLPLUG_PC_DL_LIBS " -l${lib}")
endforeach()
foreach(pc sslplug sslplug-plugin)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/${pc}.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc
    @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()

# ---- tests that install this very build or package this tree (test_install.c,
# test_walkthrough.c, test_package.c): tell them how ----

string(REPLACE ";" "," _san "${SSLPLUG_SANITIZE}")
foreach(_test test_install test_walkthrough test_package)
  if(NOT TARGET ${_test})
    continue()
  endif()
  target_compile_definitions(${_test} PRIVATE
    SSLPLUG_TEST_CMAKE="${CMAKE_COMMAND}"
    SSLPLUG_TEST_BUILD_DIR="${PROJECT_BINARY_DIR}"
    SSLPLUG_TEST_TOP_DIR="${PROJECT_SOURCE_DIR}"
    SSLPLUG_TEST_LIBDIR="${CMAKE_INSTALL_LIBDIR}"
    SSLPLUG_TEST_SANITIZE="${_san}"
    SSLPLUG_TEST_VERSION="${PROJECT_VERSION}"
    SSLPLUG_TEST_SOVERSION="${PROJECT_VERSION_MAJOR}"
    SSLPLUG_TEST_STATIC=$<BOOL:${SSLPLUG_STATIC}>
    SSLPLUG_TEST_CPACK="${CMAKE_CPACK_COMMAND}"
    SSLPLUG_TEST_MULTIARCH="${CMAKE_LIBRARY_ARCHITECTURE}")
endforeach()
