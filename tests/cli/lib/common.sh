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

# ---- Helpers of the tests that drive the SSO emulator -------------------------------------------

# emulator_test_setup [--python]: skips the test (exit 77) without the emulator (or without python3
# when asked), gives it a private HOME and scratch directory, owner-only files, and EMU (the
# emulator command on the state $WORK/es) and BRIDGE (the same as one --bridge string).
emulator_test_setup() {
    [[ -n ${SSO_EMULATOR:-} && -x ${SSO_EMULATOR} ]] || { echo "no SSO emulator: skipped"; exit 77; }
    if [[ ${1:-} == --python ]]; then
        command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
    fi
    export HOME="$WORK/home"
    unset XDG_STATE_HOME
    mkdir -p "$HOME" "$WORK/tmp"
    umask 077
    EMU=("$SSO_EMULATOR" --state "$WORK/es")
    BRIDGE="$SSO_EMULATOR --state $WORK/es"
}

# expect_equal ACTUAL EXPECTED WHAT
expect_equal() {
    CHECKS=$((CHECKS + 1))
    [[ $1 == "$2" ]] || fail "$3: got '$1', expected '$2'"
}

# live_msid [STATE_DIR]: the current MSID of the emulator with that state ($WORK/es by default).
live_msid() {
    echo '{"protocol":"ssoescrow-bridge/1"}' | "$SSO_EMULATOR" --state "${1:-$WORK/es}" status |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["current_msid"])'
}

# approve NAME REQUEST OUT [more restore-approve arguments]: custodian NAME (made by keygen)
# approves REQUEST without the terminal confirmation.
approve() {
    local name=$1 request=$2 out=$3
    shift 3
    "$SSOESCROW" restore approve "$request" --identity "$WORK/$name.key" \
        --passphrase-file "$WORK/$name.pass" --out "$out" --yes "$@"
}

# no_plaintext DIR: no .bak or .password file anywhere under DIR (F14).
no_plaintext() {
    CHECKS=$((CHECKS + 1))
    local found
    found=$({ find "$1" \( -name '*.bak' -o -name '*.password' \) 2>/dev/null || true; } | head -5)
    [[ -z $found ]] || fail "plaintext left: $found"
}
