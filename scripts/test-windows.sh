#!/usr/bin/env bash
# Builds the Windows executables (scripts/build-windows.sh) and runs their tests under Wine
# through CTest: the Catch2 unit suite in a few groups, then the Windows end-to-end scripts
# (tests/cli/windows/test_*.sh, run with SSOESCROW, SSO_EMULATOR and WINE set). Wine runs in a
# prefix inside the build tree, created on first use; ~/.wine is never touched.
#
#   scripts/test-windows.sh [--target TARGET]... [OUTDIR]
#
# The build has the test hooks compiled in (crash points, fault injection), so it has its own
# OUTDIR, default build-windows-test/, apart from the release executables of build-windows/.
# With --target (or SSOESCROW_WINDOWS_TARGETS), only those targets are built and only the tests
# labelled crypto-only run (the crypto unit tests alone: unit_tests_crypto), which is what can be
# proven before the whole tree cross-compiles. SSOESCROW_WINDOWS_SKIP_BUILD=1 reuses the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

args=(--test-hooks "$@")
outdir=build-windows-test
outdir_given=0
partial=0
[[ -n ${SSOESCROW_WINDOWS_TARGETS:-} ]] && partial=1
while (($# > 0)); do
    case $1 in
    --target) partial=1; shift 2 ;;
    --target=*) partial=1; shift ;;
    -*) shift ;;
    *) outdir=$1; outdir_given=1; shift ;;
    esac
done
((outdir_given)) || args+=("$outdir")
build_dir=${SSOESCROW_WINDOWS_BUILD_DIR:-$outdir/build}

command -v wine >/dev/null ||
    { echo "test-windows: wine is not installed (run scripts/bootstrap.sh)" >&2; exit 1; }

if [[ ${SSOESCROW_WINDOWS_SKIP_BUILD:-0} != 1 ]]; then
    scripts/build-windows.sh "${args[@]}"
fi

jobs=$(nproc 2>/dev/null || echo 2)
filter=(-LE crypto-only)
if ((partial)); then
    filter=(-L crypto-only)
fi
start=$SECONDS
ctest --test-dir "$build_dir" --output-on-failure -j"$jobs" "${filter[@]}"
echo "test-windows: tests under Wine took $((SECONDS - start)) s" >&2
