# Cross-compiles ssoescrow for 64-bit Windows with Debian's mingw-w64 (the posix thread model:
# std::thread, std::mutex and std::condition_variable need it) and runs the resulting .exe files
# under Wine, so that CTest can run the test suite on the build machine.
#
# Used by scripts/build-windows.sh, which also cross-builds libsodium and sets:
#   SSOESCROW_MINGW_DEPS  the prefix holding the cross-built libsodium (lib/, include/,
#                         lib/pkgconfig/libsodium.pc) and the staged header-only libraries.
# It can be used directly too:
#   cmake -S . -B build-windows -G Ninja \
#       -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64-x86_64.cmake \
#       -DSSOESCROW_MINGW_DEPS=$HOME/.cache/ssoescrow/mingw-deps/libsodium-1.0.18-1+deb12u1
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(SSOESCROW_MINGW_TRIPLET x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${SSOESCROW_MINGW_TRIPLET}-gcc-posix)
set(CMAKE_CXX_COMPILER ${SSOESCROW_MINGW_TRIPLET}-g++-posix)
set(CMAKE_RC_COMPILER ${SSOESCROW_MINGW_TRIPLET}-windres)
set(CMAKE_AR ${SSOESCROW_MINGW_TRIPLET}-ar CACHE FILEPATH "archiver")
set(CMAKE_RANLIB ${SSOESCROW_MINGW_TRIPLET}-ranlib CACHE FILEPATH "ranlib")

# The toolchain file is read again for every try_compile: pass the deps prefix on to those.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SSOESCROW_MINGW_DEPS)

# Search for libraries and headers only in the mingw sysroot and the cross-built dependencies,
# never in the build machine's /usr (whose libraries are Linux ones); programs (pkg-config, wine)
# come from the build machine. The CMake package files of the header-only libraries are found
# through their *_DIR variables, which scripts/build-windows.sh sets.
set(CMAKE_FIND_ROOT_PATH /usr/${SSOESCROW_MINGW_TRIPLET})
if(SSOESCROW_MINGW_DEPS)
    list(APPEND CMAKE_FIND_ROOT_PATH ${SSOESCROW_MINGW_DEPS})
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Self-contained executables: no libgcc/libstdc++/libwinpthread DLL beside ssoescrow.exe, only
# Windows' own DLLs (scripts/build-windows.sh checks the import table).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")

# CTest runs every test executable through Wine. WINEPREFIX and WINEDEBUG are set per test
# (tests/CMakeLists.txt), so that no test touches ~/.wine.
find_program(SSOESCROW_WINE NAMES wine wine64)
if(SSOESCROW_WINE)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${SSOESCROW_WINE})
endif()
