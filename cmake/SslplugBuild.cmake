# Compiler flags shared by every target of the project.

set(SSLPLUG_C_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wundef
  -Wcast-qual -Wwrite-strings -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes)
set(SSLPLUG_CXX_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wundef
  -Wcast-qual -Wformat=2)

# Error and trace strings live in fixed-size buffers by design (the error
# struct never allocates), so truncation there is expected, not a bug.
if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  list(APPEND SSLPLUG_C_WARNINGS -Wno-format-truncation)
  list(APPEND SSLPLUG_CXX_WARNINGS -Wno-format-truncation)
endif()

# Strict C11 plus POSIX.1-2008 (strdup, strndup, strtok_r, PATH_MAX).
add_compile_definitions(_POSIX_C_SOURCE=200809L)
add_compile_options(-fstack-protector-strong)
add_link_options(-Wl,-z,relro,-z,now)
if(SSLPLUG_WERROR)
  add_compile_options(-Werror)
endif()

# Fuzzing instruments the library too (and runs it under ASan+UBSan).
if(SSLPLUG_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(SSLPLUG_SANITIZE)
  string(REPLACE ";" "," _san "${SSLPLUG_SANITIZE}")
  add_compile_options(-fsanitize=${_san} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${_san})
endif()

function(sslplug_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:C>:${SSLPLUG_C_WARNINGS}>
    $<$<COMPILE_LANGUAGE:CXX>:${SSLPLUG_CXX_WARNINGS}>)
endfunction()

# sslplug_add_plugin(NAME OUTPUT_DIR DIR SOURCES src... [LIBS lib...])
# Builds a dlopen-able module NAME.so (no "lib" prefix) into DIR.
function(sslplug_add_plugin name)
  cmake_parse_arguments(P "" "OUTPUT_DIR" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${P_SOURCES})
  set_target_properties(${name} PROPERTIES PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name} PRIVATE OpenSSL::SSL OpenSSL::Crypto ${P_LIBS})
  sslplug_warnings(${name})
endfunction()
