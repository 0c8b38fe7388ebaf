#!/usr/bin/env bash
# Cross-compiles ssoescrow for 64-bit Windows on Debian 12 with mingw-w64 and leaves in OUTDIR
# (default build-windows/) a self-contained ssoescrow.exe, sso-emulator.exe and the unit-test
# executables. Needs the packages scripts/bootstrap.sh installs (mingw-w64, dpkg-dev, a deb-src
# entry for `apt-get source`).
#
#   scripts/build-windows.sh [--test-hooks] [--target TARGET]... [OUTDIR]
#
# Steps:
#   1. libsodium, which Debian does not ship for mingw, is cross-built from Debian's own source
#      package (version and checksums pinned below) into a cache directory reused between runs:
#      ${XDG_CACHE_HOME:-$HOME/.cache}/ssoescrow/mingw-deps/libsodium-<version>/
#      (SSOESCROW_MINGW_CACHE overrides the parent folder). A build is installed into a temporary
#      folder and renamed into place only when complete, so an interrupted build is never reused.
#   2. The header-only libraries Debian ships (CLI11, nlohmann-json, Catch2) are copied with their
#      CMake package files into the build tree, so that the cross compiler never sees
#      /usr/include (which holds the build machine's Linux headers).
#   3. CMake with cmake/toolchain-mingw-w64-x86_64.cmake, Ninja, warnings as errors; ccache when
#      installed. The build tree is OUTDIR/build (SSOESCROW_WINDOWS_BUILD_DIR overrides it).
#   4. The executables are copied to OUTDIR and each one's import table is checked: only DLLs that
#      ship with Windows are allowed.
#
# The executables are release builds: no test hooks. --test-hooks (scripts/test-windows.sh uses
# it, with its own OUTDIR) compiles in the crash points and fault injection the tests need.
# --target TARGET (repeatable; or SSOESCROW_WINDOWS_TARGETS="a b") builds only those CMake
# targets and copies whichever executables exist; the default builds ssoescrow, sso-emulator and
# the unit tests. SSOESCROW_WINDOWS_BUILD_TYPE picks the CMake build type (default Release).
# scripts/test-windows.sh runs the tests of the result under Wine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source_dir=$PWD

targets=()
if [[ -n ${SSOESCROW_WINDOWS_TARGETS:-} ]]; then
    read -r -a targets <<<"$SSOESCROW_WINDOWS_TARGETS"
fi
outdir=
test_hooks=OFF
while (($# > 0)); do
    case $1 in
    --test-hooks)
        test_hooks=ON
        shift
        ;;
    --target)
        (($# >= 2)) || { echo "build-windows: --target needs a CMake target name" >&2; exit 2; }
        targets+=("$2")
        shift 2
        ;;
    --target=*)
        targets+=("${1#--target=}")
        shift
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "build-windows: unknown option $1 (see --help)" >&2
        exit 2
        ;;
    *)
        [[ -z $outdir ]] || { echo "build-windows: only one OUTDIR may be given" >&2; exit 2; }
        outdir=$1
        shift
        ;;
    esac
done
if ((${#targets[@]} == 0)); then
    targets=(ssoescrow sso-emulator unit_tests unit_tests_crypto)
fi
outdir=${outdir:-build-windows}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
build_dir=${SSOESCROW_WINDOWS_BUILD_DIR:-$outdir/build}
build_type=${SSOESCROW_WINDOWS_BUILD_TYPE:-Release}
jobs=$(nproc 2>/dev/null || echo 2)
triplet=x86_64-w64-mingw32

log() { printf 'build-windows: %s\n' "$*" >&2; }
die() {
    printf 'build-windows: %s\n' "$1" >&2
    [[ -z ${2:-} ]] || printf '  hint: %s\n' "$2" >&2
    exit 1
}

for tool in "$triplet-gcc-posix" "$triplet-g++-posix" "$triplet-objdump" cmake ninja pkg-config \
    dpkg-source autoreconf libtoolize; do
    command -v "$tool" >/dev/null ||
        die "$tool is not installed" "run scripts/bootstrap.sh (as root) to install the Windows build tools"
done

# --------------------------------------------------------------------------------------------
# 1. libsodium from Debian's source package, cross-built once and cached.

sodium_version=1.0.18-1+deb12u1
sodium_files=(
    "2c23c57b5a9385dab5a1916014c9b5f2cdd7dadeb8a35b28c1bfb603ce7095c4  libsodium_1.0.18-1+deb12u1.dsc"
    "d59323c6b712a1519a5daf710b68f5e7fde57040845ffec53850911f10a5d4f4  libsodium_1.0.18.orig.tar.gz"
    "f410474e46346b06b162defa05b1be26906aeed6cf309e3d4ebe30b4d1350733  libsodium_1.0.18-1+deb12u1.debian.tar.xz"
)
cache_root=${SSOESCROW_MINGW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ssoescrow/mingw-deps}
sodium_prefix=$cache_root/libsodium-$sodium_version
# The marker names everything the build depends on: a change of any of them rebuilds.
sodium_stamp="libsodium $sodium_version; $("$triplet-gcc-posix" -dumpversion); $triplet; static"

sodium_complete() {
    [[ -f $sodium_prefix/.complete && -f $sodium_prefix/lib/libsodium.a &&
        -f $sodium_prefix/include/sodium.h && -f $sodium_prefix/lib/pkgconfig/libsodium.pc ]] &&
        [[ $(cat "$sodium_prefix/.complete") == "$sodium_stamp" ]]
}

build_sodium() {
    mkdir -p "$cache_root"
    local work
    work=$(mktemp -d "$cache_root/.libsodium-build.XXXXXX")
    # The temporary folder goes on every path; the finished prefix is renamed out of it first.
    trap 'rm -rf "$work"' EXIT
    log "fetching Debian's libsodium $sodium_version source package"
    (cd "$work" && apt-get source --download-only -q "libsodium=$sodium_version" >"$work/apt.log" 2>&1) || {
        cat "$work/apt.log" >&2
        die "apt-get source libsodium=$sodium_version failed" \
            "the machine needs a deb-src entry for Debian 12 (scripts/bootstrap.sh adds one) and network access to the archive"
    }
    (cd "$work" && printf '%s\n' "${sodium_files[@]}" | sha256sum --check --strict --quiet) ||
        die "the libsodium source package does not match the pinned sha256 sums" \
            "do not build from it; check the mirror, or update the pins only after verifying a new Debian release"
    (cd "$work" && dpkg-source --no-check -x "libsodium_$sodium_version.dsc" src >"$work/dpkg-source.log" 2>&1) || {
        cat "$work/dpkg-source.log" >&2
        die "dpkg-source could not unpack libsodium"
    }
    log "cross-building libsodium (log: $work/build.log while it runs)"
    # The orig tarball is a git snapshot without a generated configure; Debian's build runs
    # autoreconf (dh --with autoreconf), and so does this one.
    (
        cd "$work/src" &&
            autoreconf -fi >"$work/build.log" 2>&1 &&
            ./configure --host="$triplet" --prefix="$sodium_prefix" --disable-shared \
                --enable-static CC="$triplet-gcc-posix" >>"$work/build.log" 2>&1 &&
            make -j"$jobs" >>"$work/build.log" 2>&1 &&
            make install DESTDIR="$work/stage" >>"$work/build.log" 2>&1
    ) || {
        tail -n 40 "$work/build.log" >&2
        die "the libsodium cross-build failed (last lines above)"
    }
    printf '%s\n' "$sodium_stamp" >"$work/stage$sodium_prefix/.complete"
    rm -rf "$sodium_prefix"
    mv "$work/stage$sodium_prefix" "$sodium_prefix"
    rm -rf "$work"
    trap - EXIT
}

if sodium_complete; then
    log "libsodium $sodium_version: cached in $sodium_prefix"
else
    start=$SECONDS
    build_sodium
    sodium_complete || die "the libsodium build left an incomplete prefix in $sodium_prefix"
    log "libsodium $sodium_version: built in $((SECONDS - start)) s"
fi

# --------------------------------------------------------------------------------------------
# 2. Header-only libraries, staged with their CMake package files. The package files compute
# their include directory from their own location, so they are copied (not linked) beside a
# copy of the headers.

stage=$build_dir/staged-headers
rm -rf "$stage"
mkdir -p "$stage/include" "$stage/share/cmake" "$stage/lib/cmake"
stage_package() {  # stage_package HEADER_DIR CMAKE_CONFIG_DIR DEST_CMAKE_SUBDIR
    [[ -d $1 && -d $2 ]] ||
        die "$1 or $2 is missing" "run scripts/bootstrap.sh to install libcli11-dev, nlohmann-json3-dev and catch2"
    cp -R "$1" "$stage/include/"
    cp -R "$2" "$stage/$3/"
}
stage_package /usr/include/CLI /usr/share/cmake/CLI11 share/cmake
stage_package /usr/include/nlohmann /usr/share/cmake/nlohmann_json share/cmake
stage_package /usr/include/catch2 /usr/lib/cmake/Catch2 lib/cmake
# Debian's Catch2 package file also imports Catch2WithMain, a Linux static library: the staged
# one defines only the header-only target (the tests have their own main).
cat >"$stage/lib/cmake/Catch2/Catch2Config.cmake" <<'CMAKE'
# Staged by scripts/build-windows.sh: Catch2 2.x headers for the mingw cross-build.
get_filename_component(_catch2_include "${CMAKE_CURRENT_LIST_DIR}/../../../include" ABSOLUTE)
if(NOT TARGET Catch2::Catch2)
    add_library(Catch2::Catch2 INTERFACE IMPORTED)
    set_target_properties(Catch2::Catch2 PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_catch2_include}")
endif()
unset(_catch2_include)
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")
CMAKE
rm -f "$stage"/lib/cmake/Catch2/Catch2Targets*.cmake

# --------------------------------------------------------------------------------------------
# 3. Configure and build.

launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# pkg-config sees only the cross-built libsodium, never the build machine's .pc files.
export PKG_CONFIG_LIBDIR=$sodium_prefix/lib/pkgconfig
export PKG_CONFIG_PATH=
unset PKG_CONFIG_SYSROOT_DIR

start=$SECONDS
cmake -S "$source_dir" -B "$build_dir" -G Ninja \
    -DCMAKE_TOOLCHAIN_FILE="$source_dir/cmake/toolchain-mingw-w64-x86_64.cmake" \
    -DCMAKE_BUILD_TYPE="$build_type" \
    -DSSOESCROW_MINGW_DEPS="$sodium_prefix" \
    -DCLI11_DIR="$stage/share/cmake/CLI11" \
    -Dnlohmann_json_DIR="$stage/share/cmake/nlohmann_json" \
    -DCatch2_DIR="$stage/lib/cmake/Catch2" \
    -DSSOESCROW_WERROR=ON -DSSOESCROW_TEST_HOOKS="$test_hooks" \
    "${launcher[@]}" >"$build_dir.configure.log" 2>&1 || {
    cat "$build_dir.configure.log" >&2
    die "cmake could not configure the Windows build"
}
target_args=()
for target in "${targets[@]}"; do target_args+=(--target "$target"); done
cmake --build "$build_dir" -j"$jobs" "${target_args[@]}"
log "built ${targets[*]} ($build_type) in $((SECONDS - start)) s"

# --------------------------------------------------------------------------------------------
# 4. Copy the executables and check that they need no DLL beyond Windows' own.

# DLLs every supported Windows (Server 2016 and later) has in System32. Anything else (the mingw
# runtime: libstdc++-6.dll, libgcc_s_seh-1.dll, libwinpthread-1.dll; a libsodium.dll) would
# have to ship beside the .exe, which is what the static build avoids.
allowed_dlls='^(kernel32|advapi32|shell32|user32|userenv|msvcrt|ucrtbase|bcrypt|ws2_32|ole32|oleaut32|crypt32|secur32|ntdll|netapi32|api-ms-win-[a-z0-9-]+)\.dll$'
check_imports() {
    local exe=$1 dll bad=()
    while read -r dll; do
        [[ ${dll,,} =~ $allowed_dlls ]] || bad+=("$dll")
    done < <("$triplet-objdump" -p "$exe" | sed -n 's/^[[:space:]]*DLL Name: //p')
    if ((${#bad[@]} > 0)); then
        die "$(basename "$exe") needs DLLs that Windows does not ship: ${bad[*]}" \
            "link statically (the toolchain passes -static); check for a shared library in the link"
    fi
}

copied=()
for exe in "$build_dir"/src/ssoescrow.exe "$build_dir"/tests/emulator/sso-emulator.exe \
    "$build_dir"/tests/unit_tests.exe "$build_dir"/tests/unit_tests_crypto.exe; do
    [[ -f $exe ]] || continue
    # Only what this run built: a stale .exe from an earlier, wider build is not copied.
    name=$(basename "$exe" .exe)
    [[ " ${targets[*]} " == *" ${name} "* ]] || continue
    check_imports "$exe"
    cp "$exe" "$outdir/"
    copied+=("$(basename "$exe")")
done
if [[ " ${targets[*]} " == *" ssoescrow "* && ! -f $outdir/ssoescrow.exe ]]; then
    die "ssoescrow.exe was not built"
fi
log "in $outdir: ${copied[*]:-no executable (library targets only)}"
