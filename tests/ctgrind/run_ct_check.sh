#!/usr/bin/env bash
# The constant-time regression test: runs ct_check (see ct_check.cpp) under Valgrind's memcheck
# with the secrets marked undefined. Passes when
#   1. the real code (GF(256) arithmetic, Shamir split and combine, the constant-time
#      comparisons) runs without a single memcheck error: no branch and no memory index depends
#      on a secret; and
#   2. the negative control (a table-based multiplication that branches on and indexes by a
#      secret) FAILS under the same memcheck options, with both kinds of report: the check can
#      see what it is meant to catch.
# Skipped (77) only when valgrind is not installed (scripts/bootstrap.sh installs it).
# Usage: run_ct_check.sh PATH/TO/ct_check
set -uo pipefail

ct_check=${1:-}
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind is not installed: constant-time test skipped (apt-get install valgrind;" \
        "scripts/bootstrap.sh installs it)"
    exit 77
fi
if [[ -z $ct_check || ! -x $ct_check ]]; then
    echo "FAIL: valgrind is installed but ct_check was not built (valgrind/memcheck.h was" \
        "missing when CMake configured this build): re-run cmake" >&2
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/ct_check.XXXXXX")
trap 'rm -rf "$work"' EXIT
memcheck=(valgrind --tool=memcheck --error-exitcode=1 --track-origins=yes --leak-check=no)
failures=0

status=0
"${memcheck[@]}" "$ct_check" >"$work/out" 2>"$work/err" || status=$?
if [[ $status -ne 0 ]]; then
    echo "FAIL: ct_check exited $status under memcheck: a secret-dependent branch or index," \
        "or a wrong result" >&2
    cat "$work/out" "$work/err" >&2
    failures=$((failures + 1))
elif ! grep -q 'ERROR SUMMARY: 0 errors' "$work/err"; then
    echo "FAIL: memcheck reported errors" >&2
    cat "$work/err" >&2
    failures=$((failures + 1))
else
    cat "$work/out"
fi

status=0
"${memcheck[@]}" "$ct_check" --negative-control >"$work/out" 2>"$work/err" || status=$?
if [[ $status -ne 1 ]]; then
    echo "FAIL: the negative control exited $status under memcheck, expected 1 (memcheck" \
        "errors): the check does not see a secret-dependent branch" >&2
    cat "$work/out" "$work/err" >&2
    failures=$((failures + 1))
fi
for report in 'Conditional jump or move depends on uninitialised value' \
    'Use of uninitialised value of size'; do
    if ! grep -q "$report" "$work/err"; then
        echo "FAIL: the negative control's memcheck output lacks '$report'" >&2
        failures=$((failures + 1))
    fi
done
if [[ $failures -ne 0 ]]; then
    exit 1
fi
echo "negative control: memcheck reported the secret-dependent branch and table index"
