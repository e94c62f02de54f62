# The generated linkage file (cmake/linkage.c.in) of libsslplug.so and of
# libsslplug.a: host/builtin_dir.c reads from it whether the library was
# linked statically and which plugin directory it was installed with.
#
# A static library cannot find its plugins from where it runs (the program
# it was linked into can be anywhere), so its directory must be the one it
# was installed into; `cmake --install --prefix P` and CPack choose that
# after the build.  sslplug_install_linkage() therefore compiles the file
# again at install time with the real prefix and replaces that one member
# of the installed libsslplug.a.  The build tree's archive keeps the
# configured CMAKE_INSTALL_PREFIX.

# Write the C file OUT saying STATIC (0 or 1) and plugin directory DIR.
function(sslplug_write_linkage out static dir)
  string(REPLACE "\\" "\\\\" dir "${dir}")
  string(REPLACE "\"" "\\\"" dir "${dir}")
  set(SSLPLUG_LINKAGE_STATIC ${static})
  set(SSLPLUG_LINKAGE_DIR "${dir}")
  configure_file(${CMAKE_CURRENT_FUNCTION_LIST_DIR}/linkage.c.in ${out} @ONLY)
endfunction()

# At install time (install(CODE)): rewrite the member linkage_static.c.o of
# the installed ARCHIVE for the plugin directory PLUGIN_DIR_REL under the
# prefix being installed into.
function(sslplug_install_linkage)
  cmake_parse_arguments(L "" "ARCHIVE;PLUGIN_DIR_REL;WORK_DIR;CC;AR;RANLIB" "CFLAGS" ${ARGN})
  if(IS_ABSOLUTE "${L_PLUGIN_DIR_REL}")
    set(dir "${L_PLUGIN_DIR_REL}")
  else()
    set(dir "${CMAKE_INSTALL_PREFIX}/${L_PLUGIN_DIR_REL}")
  endif()
  set(archive "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/${L_ARCHIVE}")
  if(IS_ABSOLUTE "${L_ARCHIVE}")
    set(archive "$ENV{DESTDIR}${L_ARCHIVE}")
  endif()
  # One work directory per destination: installs may run concurrently.
  string(SHA1 key "${archive}")
  set(work ${L_WORK_DIR}/${key})
  file(MAKE_DIRECTORY ${work})
  sslplug_write_linkage(${work}/linkage_static.c 1 "${dir}")
  message(STATUS "Static library's plugin directory: ${dir}")
  execute_process(COMMAND ${L_CC} ${L_CFLAGS} -fPIC -c -o linkage_static.c.o linkage_static.c
    WORKING_DIRECTORY ${work} RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    execute_process(COMMAND ${L_AR} r ${archive} linkage_static.c.o
      WORKING_DIRECTORY ${work} RESULT_VARIABLE rc)
  endif()
  if(rc EQUAL 0 AND L_RANLIB)
    execute_process(COMMAND ${L_RANLIB} ${archive} RESULT_VARIABLE rc)
  endif()
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot rewrite the plugin directory of ${archive}: ${rc}")
  endif()
endfunction()
