# Shared helpers for the CLI end-to-end tests (sourced, not run).
# Environment from CTest: SSOESCROW (the binary), TESTS_DIR, SHARED_DIR, SSO_EMULATOR (if built).
set -euo pipefail

: "${SSOESCROW:?SSOESCROW must point at the ssoescrow binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ssoescrow-cli.XXXXXX")
trap 'chmod -R u+rwX "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
cd "$WORK"
FAILURES=0
CHECKS=0

fail() {
    echo "FAIL: $*" >&2
    FAILURES=$((FAILURES + 1))
}

# run EXPECTED_EXIT CMD...: runs CMD capturing stdout/stderr in $WORK/out and $WORK/err, and
# records a failure if the exit status differs.
run() {
    local expected=$1
    shift
    CHECKS=$((CHECKS + 1))
    local status=0
    "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || status=$?
    if [[ $status -ne $expected ]]; then
        fail "expected exit $expected, got $status: $*"
        sed 's/^/  stdout: /' "$WORK/out" >&2
        sed 's/^/  stderr: /' "$WORK/err" >&2
    fi
}

# expect_err REGEX / expect_out REGEX: the last run's stderr/stdout matches.
expect_err() {
    CHECKS=$((CHECKS + 1))
    grep -Eq -- "$1" "$WORK/err" || { fail "stderr does not match /$1/"; sed 's/^/  stderr: /' "$WORK/err" >&2; }
}
expect_out() {
    CHECKS=$((CHECKS + 1))
    grep -Eq -- "$1" "$WORK/out" || { fail "stdout does not match /$1/"; sed 's/^/  stdout: /' "$WORK/out" >&2; }
}

# expect_mode MODE FILE
expect_mode() {
    CHECKS=$((CHECKS + 1))
    local mode
    mode=$(stat -c %a "$2")
    [[ $mode == "$1" ]] || fail "$2 has mode $mode, expected $1"
}

expect_absent() {
    CHECKS=$((CHECKS + 1))
    [[ ! -e $1 && ! -L $1 ]] || fail "$1 should not exist"
}

# A passphrase file the tool accepts (0600).
make_passphrase_file() {
    (umask 077 && printf '%s\n' "$2" >"$1")
}

# keygen NAME: a custodian key pair NAME.key/NAME.pub with passphrase "pass-NAME-for-tests"
# (above the passphrase floor), the cheapest KDF cost keygen offers.
keygen() {
    make_passphrase_file "$WORK/$1.pass" "pass-$1-for-tests"
    "$SSOESCROW" custodian keygen --out "$WORK/$1.key" --name "$1" --kdf-cost interactive \
        --passphrase-file "$WORK/$1.pass" >/dev/null 2>&1
}

finish() {
    if [[ $FAILURES -ne 0 ]]; then
        echo "$FAILURES of $CHECKS checks failed" >&2
        exit 1
    fi
    echo "all $CHECKS checks passed"
}
