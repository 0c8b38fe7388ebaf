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
    curl ca-certificates                  # Pester for the PowerShell tests (NuGet feed)
    procps                                # ps/pgrep in end-to-end tests
    strace                                # the syscall-order test of durable writes (F4)
    prometheus                            # promtool validates `status --format prometheus`
    help2man                              # the man pages, generated from each command's --help
    valgrind                              # the constant-time test (tests/ctgrind): memcheck
    # The benchmarks (bench/run.sh, opt-in): the peers and the timers they are measured against.
    age libgfshare-bin hyperfine time eatmydata
    wixl msitools zip unzip               # the Windows package (scripts/package-windows.sh): MSI, zip
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

# PowerShell 7 and Pester, for the tests of scripts/windows (tests/powershell, CTest "powershell:
# pester"), both pinned. PowerShell is the .NET global tool (needs the .NET SDK: dotnet on PATH);
# 7.6.10 is pinned because 7.7.0 does not install here. Pester comes from the NuGet feed as a
# .nupkg (a zip), checked against its SHA-256 and unpacked into the module folder pwsh searches
# for this user, so that 'Import-Module Pester' finds it. Both steps are skipped when the pinned
# version is already there, so a second run changes nothing.
pwsh_version=7.6.10
pester_version=5.7.1
pester_sha256=3c6dad5fb143faf19709dfb28c31c873989944705a087e160e23b7ce462e37a1
nuget_feed=${NUGET_FLAT_FEED:-https://api.nuget.org/v3-flatcontainer}

install_powershell() {
    if ! command -v dotnet >/dev/null; then
        echo "bootstrap: no .NET SDK (dotnet): PowerShell not installed, the PowerShell tests will be skipped" >&2
        return 0
    fi
    local tools=$HOME/.dotnet/tools
    if dotnet tool list --global 2>/dev/null | grep -Eiq "^powershell[[:space:]]+${pwsh_version//./\\.}[[:space:]]"; then
        echo "bootstrap: PowerShell $pwsh_version already installed" >&2
    elif dotnet tool list --global 2>/dev/null | grep -iq '^powershell[[:space:]]'; then
        dotnet tool update --global PowerShell --version "$pwsh_version"
    else
        dotnet tool install --global PowerShell --version "$pwsh_version"
    fi
    local modules=${XDG_DATA_HOME:-$HOME/.local/share}/powershell/Modules/Pester/$pester_version
    if [[ -f $modules/Pester.psd1 ]]; then
        echo "bootstrap: Pester $pester_version already installed" >&2
    else
        local scratch
        scratch=$(mktemp -d)
        curl -fsSL --retry 3 -o "$scratch/pester.nupkg" \
            "$nuget_feed/pester/$pester_version/pester.$pester_version.nupkg"
        echo "$pester_sha256  $scratch/pester.nupkg" | sha256sum -c --quiet -
        # The module is the package's tools/ folder.
        python3 - "$scratch/pester.nupkg" "$scratch/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as package:
    for name in package.namelist():
        if name.startswith("tools/") and not name.endswith("/"):
            package.extract(name, sys.argv[2])
PY
        mkdir -p "$(dirname "$modules")"
        rm -rf "$modules"
        mv "$scratch/unpacked/tools" "$modules"
        rm -rf "$scratch"
        echo "bootstrap: Pester $pester_version installed in $modules" >&2
    fi
    echo "bootstrap: PowerShell is $tools/pwsh; add $tools to PATH (run-pester.sh finds it there)" >&2
}
install_powershell
