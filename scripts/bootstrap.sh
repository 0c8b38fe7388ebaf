#!/usr/bin/env bash
# Installs exactly what ssoescrow's build and test suite need on Debian 12 (bookworm) or a
# comparable Ubuntu, the Windows cross-build (scripts/build-windows.sh) and its tests under Wine
# included. Idempotent and non-interactive; adds a deb-src entry when the machine has none (the
# Windows build cross-compiles libsodium from Debian's source package), then runs apt-get update.
set -euo pipefail

packages=(
    g++ cmake make pkg-config             # toolchain
    ninja-build ccache                    # the build scripts' generator; compiler cache (optional)
    libsodium-dev                         # crypto (crypto/ only; HKDF on its HMAC-SHA256 too)
    libcli11-dev nlohmann-json3-dev       # command line, JSON
    catch2                                # unit tests (2.13)
    clang libclang-rt-14-dev              # libFuzzer targets and their sanitizer runtimes
    python3                               # the bridge conformance check (shared/tools)
    procps                                # ps/pgrep in end-to-end tests
    strace                                # the syscall-order test of durable writes (F4)
    prometheus                            # promtool validates `status --format prometheus`
    # The Windows build: the mingw-w64 cross compilers (posix threads), the tools to unpack and
    # regenerate Debian's libsodium source package, and Wine (64-bit) to run the tests.
    mingw-w64 g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix
    dpkg-dev autoconf automake libtool make
    wine wine64
)

# The PowerShell syntax check (shared/tools) needs Node.js with npm. Machines that already carry a
# Node.js distribution (for example NodeSource's, which bundles npm and conflicts with Debian's npm
# package) keep it; only a machine without them gets Debian's packages.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "bootstrap: run as root or install sudo" >&2; exit 1; }
    sudo_cmd=(sudo)
fi

# `apt-get source` needs deb-src entries. For each Debian source list without one, a sibling
# list with the same archives as deb-src: deb822 (debian.sources -> debian-src.sources) or a
# classic one-line list (sources.list -> sources.list.d/debian-src.list). Nothing is written when
# a deb-src entry exists already, so a second run changes nothing.
add_deb_src() {
    local apt_dir=/etc/apt
    if grep -rqsE '^[[:space:]]*(deb-src[[:space:]]|Types:.*deb-src)' \
        "$apt_dir/sources.list" "$apt_dir/sources.list.d/"; then
        return 0
    fi
    local list written=0
    for list in "$apt_dir"/sources.list.d/*.sources; do
        [[ -f $list ]] || continue
        grep -qE '^[[:space:]]*URIs:.*(debian|ubuntu)' "$list" || continue
        local target=${list%.sources}-src.sources
        # Every stanza's `Types: deb` becomes `Types: deb-src`; stanzas of other types are kept
        # out (a stanza with Types: deb-src only would be a duplicate anyway).
        sed -E 's/^([[:space:]]*Types:[[:space:]]*).*$/\1deb-src/' "$list" |
            "${sudo_cmd[@]}" tee "$target" >/dev/null
        echo "bootstrap: added $target (deb-src for $list)" >&2
        written=1
    done
    if [[ -f $apt_dir/sources.list ]] && grep -qE '^[[:space:]]*deb[[:space:]]' "$apt_dir/sources.list"; then
        sed -nE 's/^[[:space:]]*deb([[:space:]])/deb-src\1/p' "$apt_dir/sources.list" |
            "${sudo_cmd[@]}" tee "$apt_dir/sources.list.d/debian-src.list" >/dev/null
        echo "bootstrap: added $apt_dir/sources.list.d/debian-src.list" >&2
        written=1
    fi
    ((written)) || echo "bootstrap: no Debian source list found; add a deb-src entry by hand" >&2
}

export DEBIAN_FRONTEND=noninteractive
add_deb_src
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
