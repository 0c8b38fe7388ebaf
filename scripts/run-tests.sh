#!/usr/bin/env bash
# Builds ssoescrow and runs the whole test suite:
#   1. the normal build (warnings are errors) and every CTest test (unit, CLI end-to-end, and the
#      Pester tests of scripts/windows in PowerShell 7: "powershell: pester", skipped with a
#      message when scripts/bootstrap.sh has not installed pwsh and Pester);
#   2. the same suite in an ASan+UBSan build;
#   3. each libFuzzer target for a short bounded slice (clang);
#   4. the PowerShell scripts through the syntax check, when the shared tools are present;
#   5. the Windows cross-build (mingw-w64) and its tests under Wine (scripts/test-windows.sh).
# Exits non-zero if anything fails. Set SSOESCROW_QUICK=1 to run only step 1 (and 4).
# Warnings are errors in every build here (SSOESCROW_WERROR=ON; a user's build defaults to off).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=$(nproc 2>/dev/null || echo 2)
# A compiler cache, when installed, makes a repeated run rebuild only what changed. Paths are
# hashed relative to the checkout, so two clones share one cache.
launcher=()
if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    export CCACHE_BASEDIR=$PWD
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSOESCROW_TEST_HOOKS=ON -DSSOESCROW_WERROR=ON \
    "${launcher[@]}"
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

if [[ ${SSOESCROW_QUICK:-0} != 1 ]]; then
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSSOESCROW_SANITIZE=ON -DSSOESCROW_TEST_HOOKS=ON \
        -DSSOESCROW_WERROR=ON "${launcher[@]}"
    cmake --build build-asan -j"$jobs"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build-asan --output-on-failure -j"$jobs"

    if command -v clang++ >/dev/null; then
        CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSSOESCROW_FUZZ=ON \
            -DSSOESCROW_WERROR=ON "${launcher[@]}"
        # Only the fuzz targets: the rest of the tree is already covered by the two builds above.
        fuzz_targets=()
        for source in tests/fuzz/fuzz_*.cpp; do
            [[ -e $source ]] && fuzz_targets+=(--target "$(basename "$source" .cpp)")
        done
        if ((${#fuzz_targets[@]} > 0)); then
            cmake --build build-fuzz -j"$jobs" "${fuzz_targets[@]}"
        fi
        ctest --test-dir build-fuzz --output-on-failure -R '^fuzz: '
    fi
fi

shared=../shared
if [[ -x $shared/tools/ps-syntax-check ]] && compgen -G "scripts/windows/*.ps1" >/dev/null; then
    "$shared/tools/ps-syntax-check" scripts/windows/*.ps1 scripts/windows/*.psm1
fi

# ---- 5. Windows: cross-build with mingw-w64, unit suite and end-to-end scripts under Wine -------
# The first run also cross-builds libsodium from Debian's source package (cached afterwards in
# ~/.cache/ssoescrow/mingw-deps). SSOESCROW_WINDOWS=0 leaves it out.
if [[ ${SSOESCROW_QUICK:-0} != 1 && ${SSOESCROW_WINDOWS:-1} == 1 ]]; then
    windows_start=$SECONDS
    scripts/test-windows.sh build-windows-test
    echo "run-tests: Windows build and Wine tests took $((SECONDS - windows_start)) s" >&2
fi
