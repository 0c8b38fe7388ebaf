#!/usr/bin/env bash
# Installs exactly what ssoescrow's build and test suite need on Debian 12 (bookworm) or a
# comparable Ubuntu. Idempotent and non-interactive; runs apt-get update first.
set -euo pipefail

packages=(
    g++ cmake make pkg-config             # toolchain
    libsodium-dev libssl-dev              # crypto (crypto/ only)
    libcli11-dev nlohmann-json3-dev       # command line, JSON
    catch2                                # unit tests (2.13)
    clang libclang-rt-14-dev              # libFuzzer targets and their sanitizer runtimes
    python3                               # the bridge conformance check (shared/tools)
    procps                                # ps/pgrep in end-to-end tests
    strace                                # the syscall-order test of durable writes (F4)
    prometheus                            # promtool validates `status --format prometheus`
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

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${packages[@]}"
