# Creates the Wine prefix of the Windows tests (cmake -P; see wine-tests.cmake) unless a complete
# one exists. A prefix counts as complete only once wineboot finished and the marker is written,
# so an interrupted creation is started over rather than reused.
#   -DWINE=/usr/bin/wine -DWINESERVER=/usr/bin/wineserver -DWINEPREFIX=<build>/wineprefix
set(marker "${WINEPREFIX}/.ssoescrow-prefix-ready")
if(EXISTS "${marker}")
    return()
endif()
file(REMOVE_RECURSE "${WINEPREFIX}")
file(MAKE_DIRECTORY "${WINEPREFIX}")
set(ENV{WINEPREFIX} "${WINEPREFIX}")
set(ENV{WINEDEBUG} "-all")
set(ENV{WINEDLLOVERRIDES} "mscoree,mshtml=")
string(TIMESTAMP start "%s")
execute_process(COMMAND "${WINE}" wineboot -i RESULT_VARIABLE result
    OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "wineboot -i failed in ${WINEPREFIX} (${result}):\n${output}")
endif()
if(WINESERVER)
    # Wait until the prefix is written out and every process of wineboot has ended.
    execute_process(COMMAND "${WINESERVER}" -w)
endif()
if(NOT EXISTS "${WINEPREFIX}/system.reg")
    message(FATAL_ERROR "wineboot left no registry in ${WINEPREFIX}:\n${output}")
endif()
file(WRITE "${marker}" "wine prefix for the ssoescrow Windows tests\n")
string(TIMESTAMP end "%s")
math(EXPR seconds "${end} - ${start}")
message(STATUS "created the Wine prefix ${WINEPREFIX} in ${seconds} s")
