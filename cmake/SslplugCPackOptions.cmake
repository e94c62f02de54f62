# Read by cpack (CPACK_PROJECT_CONFIG_FILE, SslplugPackage.cmake) before it
# packages: refuse builds whose packages would be wrong.
if(CPACK_GENERATOR STREQUAL "DEB")
  if(NOT CPACK_SSLPLUG_INSTALL_PREFIX STREQUAL "/usr")
    message(FATAL_ERROR
      "Debian packages need a build configured with -DCMAKE_INSTALL_PREFIX=/usr "
      "(this one has ${CPACK_SSLPLUG_INSTALL_PREFIX}): the multiarch library directory and the "
      "directories compiled into the library and the tool come from it")
  endif()
  if(CPACK_SSLPLUG_INSTALL_DEMO_PKI)
    message(FATAL_ERROR
      "-DSSLPLUG_INSTALL_DEMO_PKI=ON would put private keys into the sslplug package")
  endif()
endif()
