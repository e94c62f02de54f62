# Debian packages, made by CPack from the install rules' components:
#
#   libsslplug0     lib   the shared library
#   libsslplug-dev  dev   headers, libsslplug.so, libsslplug.a, pkg-config,
#                         the CMake package, sslplug-plugin(7), examples/
#   sslplug         tool  the tool, the bundled plugins, the schema, the demo
#                         and example configurations, sslplug(1), sslplug.json(5)
#
#   cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr
#   cmake --build build-deb -j2 && (cd build-deb && cpack -G DEB)
#
# The prefix must be /usr: GNUInstallDirs then gives Debian's multiarch
# library directory (lib/x86_64-linux-gnu), and the directories compiled
# into the library and the tool are those the packages install.

set(SSLPLUG_PACKAGE_MAINTAINER "sslplug maintainers <sslplug@localhost>"
  CACHE STRING "Maintainer field of the Debian packages")

set(CPACK_PACKAGE_NAME sslplug)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${SSLPLUG_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_HOMEPAGE_URL "")
set(CPACK_GENERATOR DEB)
# What is packaged is what was configured: /usr (checked by SslplugCPackOptions.cmake).
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_SSLPLUG_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_SSLPLUG_INSTALL_DEMO_PKI ${SSLPLUG_INSTALL_DEMO_PKI})
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_CURRENT_LIST_DIR}/SslplugCPackOptions.cmake)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL lib dev tool)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(_deb_version "${PROJECT_VERSION}-${CPACK_DEBIAN_PACKAGE_RELEASE}")
set(_deb_lib libsslplug${PROJECT_VERSION_MAJOR})

# Library dependencies from the binaries themselves (dpkg-shlibdeps, from
# dpkg-dev).  The tool's libsslplug.so.0 is this build's, which belongs to
# no installed package yet: dpkg-shlibdeps finds it in the build tree, and
# the dependency on libsslplug0 of this very version is written out below.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${SSLPLUG_BUILD_LIB_DIR})
# libsslplug0's shlibs file, so that packages built against it depend on it.
# Written here rather than by CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS, which
# applies to every package and warns about each bundled plugin (a module
# has no soname).  0.x: a minor release may break the ABI (as it may the
# API), so a dependency stops before the next one.
math(EXPR _next_minor "${PROJECT_VERSION_MINOR} + 1")
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_shlibs_dep "${_deb_lib} (>= ${PROJECT_VERSION}), ${_deb_lib} (<< 0.${_next_minor}~)")
else()
  set(_shlibs_dep "${_deb_lib} (>= ${PROJECT_VERSION})")
endif()
file(WRITE ${PROJECT_BINARY_DIR}/package/lib/shlibs
  "libsslplug ${PROJECT_VERSION_MAJOR} ${_shlibs_dep}\n")
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/package/lib/shlibs)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Descriptions: the synopsis, then the extended description.
set(CPACK_DEBIAN_LIB_DESCRIPTION "TLS callback plugins for OpenSSL 3 - shared library
sslplug loads TLS callbacks (password, verify, info, client certificate,
certificate, server name, key log) from plugins named in a JSON
configuration into OpenSSL 3 contexts.
.
This package contains the shared library.")
set(CPACK_DEBIAN_LIB_PACKAGE_NAME ${_deb_lib})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
# Bare plugin names find the bundled plugins, which the tool's package ships.
set(CPACK_DEBIAN_LIB_PACKAGE_RECOMMENDS sslplug)

set(CPACK_DEBIAN_DEV_DESCRIPTION "TLS callback plugins for OpenSSL 3 - development files
Headers, the static library, pkg-config files and the CMake package, for
applications using sslplug and for plugin authors, with sslplug-plugin(7)
and two example projects (an embedding server, a plugin vendor's kit).")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME libsslplug-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# libssl-dev: plugin.h and sslplug.h include OpenSSL's headers; libjansson-dev:
# libsslplug.a needs jansson (sslplug.pc's Requires.private, the CMake package).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "${_deb_lib} (= ${_deb_version}), libssl-dev (>= 3.0), libjansson-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "pkg-config, sslplug")

set(CPACK_DEBIAN_TOOL_DESCRIPTION "TLS callback plugins for OpenSSL 3 - tool and bundled plugins
The sslplug command (check, inspect, handshake, demo, serve, connect), the
bundled plugins, the configuration schema, the demo and example
configurations, sslplug(1) and sslplug.json(5).")
set(CPACK_DEBIAN_TOOL_PACKAGE_NAME sslplug)
set(CPACK_DEBIAN_TOOL_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOL_PACKAGE_DEPENDS "${_deb_lib} (= ${_deb_version})")
# mkpki.sh, which makes the demo PKI, runs the openssl command.
set(CPACK_DEBIAN_TOOL_PACKAGE_SUGGESTS openssl)

include(CPack)
