# Tests of a Windows cross-build, run on the build machine under Wine.
#
# Every test runs with its own Wine prefix inside the build tree (never ~/.wine), created on first
# use by the fixture test "wine: prefix", with Wine's debug output and its Mono/Gecko installers
# turned off, so that a clean CI machine needs nothing but the wine packages.
#
# ssoescrow_add_wine_test(NAME name COMMAND exe-or-program args...
#                         [HOST] [LABELS labels...] [ENVIRONMENT VAR=value...] [TIMEOUT seconds])
#   Without HOST the command is a Windows executable and runs through the emulator (Wine); with
#   HOST it is a build-machine program (a bash script that starts .exe files with $WINE itself).
include_guard(GLOBAL)

if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
    message(FATAL_ERROR "the Windows tests need Wine: install the wine and wine64 packages "
        "(scripts/bootstrap.sh) or configure with -DCMAKE_CROSSCOMPILING_EMULATOR=/path/to/wine")
endif()
list(GET CMAKE_CROSSCOMPILING_EMULATOR 0 SSOESCROW_WINE_PROGRAM)
find_program(SSOESCROW_WINESERVER NAMES wineserver HINTS /usr/lib/wine)
set(SSOESCROW_WINEPREFIX ${PROJECT_BINARY_DIR}/wineprefix CACHE PATH
    "Wine prefix the Windows tests run in (created on first use)")

set(SSOESCROW_WINE_ENVIRONMENT
    "WINEPREFIX=${SSOESCROW_WINEPREFIX}"
    "WINEDEBUG=-all"
    # No dialog offering to download Mono or Gecko: the tests need neither.
    "WINEDLLOVERRIDES=mscoree,mshtml="
    "WINE=${SSOESCROW_WINE_PROGRAM}")

add_test(NAME "wine: prefix"
    COMMAND ${CMAKE_COMMAND} "-DWINE=${SSOESCROW_WINE_PROGRAM}"
        "-DWINESERVER=${SSOESCROW_WINESERVER}" "-DWINEPREFIX=${SSOESCROW_WINEPREFIX}"
        -P ${CMAKE_CURRENT_LIST_DIR}/wine-prefix.cmake)
set_tests_properties("wine: prefix" PROPERTIES FIXTURES_SETUP wine_prefix TIMEOUT 300
    LABELS wine)

function(ssoescrow_add_wine_test)
    cmake_parse_arguments(PARSE_ARGV 0 arg "HOST" "NAME;TIMEOUT" "COMMAND;LABELS;ENVIRONMENT")
    if(NOT arg_NAME OR NOT arg_COMMAND)
        message(FATAL_ERROR "ssoescrow_add_wine_test: NAME and COMMAND are required")
    endif()
    if(arg_HOST)
        set(command ${arg_COMMAND})
    else()
        set(command ${CMAKE_CROSSCOMPILING_EMULATOR} ${arg_COMMAND})
    endif()
    if(NOT arg_TIMEOUT)
        set(arg_TIMEOUT 1800)
    endif()
    add_test(NAME "${arg_NAME}" COMMAND ${command})
    set_tests_properties("${arg_NAME}" PROPERTIES
        ENVIRONMENT "${SSOESCROW_WINE_ENVIRONMENT};${arg_ENVIRONMENT}"
        FIXTURES_REQUIRED wine_prefix
        TIMEOUT ${arg_TIMEOUT}
        LABELS "wine;${arg_LABELS}")
endfunction()
