# Fails when a first-party source file outside platform/ includes an operating-system header.
# Run by CTest as "platform: boundary" with -DSOURCE_DIR=<project root>. Only platform/ (and the
# unit tests of its two implementations, tests/unit/posix and tests/unit/windows) may include them.
set(forbidden_headers
    unistd.h fcntl.h windows.h winbase.h winnt.h winternl.h winsock2.h ws2tcpip.h io.h direct.h
    process.h shellapi.h aclapi.h sddl.h accctrl.h tlhelp32.h conio.h userenv.h werapi.h
    pwd.h grp.h termios.h dirent.h poll.h spawn.h signal.h csignal dlfcn.h pthread.h
    sys/[a-z_]+\\.h)
list(JOIN forbidden_headers "|" alternatives)
set(pattern "#[ \t]*include[ \t]*<(${alternatives})>")

file(GLOB_RECURSE candidates
    ${SOURCE_DIR}/crypto/*.cpp ${SOURCE_DIR}/crypto/*.hpp
    ${SOURCE_DIR}/vault/*.cpp ${SOURCE_DIR}/vault/*.hpp
    ${SOURCE_DIR}/src/*.cpp ${SOURCE_DIR}/src/*.hpp
    ${SOURCE_DIR}/bench/*.cpp ${SOURCE_DIR}/bench/*.hpp
    ${SOURCE_DIR}/tests/*.cpp ${SOURCE_DIR}/tests/*.hpp)
set(offenders "")
foreach(file ${candidates})
    if(file MATCHES "/tests/unit/(posix|windows)/")
        continue()
    endif()
    file(STRINGS ${file} lines REGEX "${pattern}")
    foreach(line ${lines})
        file(RELATIVE_PATH relative ${SOURCE_DIR} ${file})
        string(STRIP "${line}" line)
        list(APPEND offenders "${relative}: ${line}")
    endforeach()
endforeach()
if(offenders)
    list(JOIN offenders "\n  " report)
    message(FATAL_ERROR "operating-system headers outside platform/ (move the call behind "
        "the platform layer):\n  ${report}")
endif()
list(LENGTH candidates count)
message(STATUS "platform boundary: ${count} files outside platform/ include no system header")
