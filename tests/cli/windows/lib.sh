# Helpers for the end-to-end tests of the Windows binaries under Wine (sourced, not run).
#
# Env: SSOESCROW (ssoescrow.exe), SSO_EMULATOR (sso-emulator.exe), WINE (the wine command; empty:
# run the binaries natively, which is how the script is checked against the Linux build), and
# WINEPREFIX (a prefix of our own, created on first use).
#
# Everything else comes from ../lib/common.sh (WORK, run, expect_out, expect_err, fail, finish).
# Under Wine, every path handed to a Windows program is a Windows path (wpath) and every message
# it prints names Windows paths.

# shellcheck source=../lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

WINE=${WINE:-}
if [[ -n $WINE ]]; then
    : "${WINEPREFIX:?WINEPREFIX must name the prefix the Windows tests may use}"
    export WINEPREFIX
    # fixme:/err: chatter of Wine's own stubs would drown the programs' stderr.
    export WINEDEBUG=${WINEDEBUG:--all}
    # No dialog for a crashed program (winedbg would wait for a click that never comes).
    export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-winemenubuilder.exe=d}
fi

# wpath UNIX_PATH: the path as the Windows programs see it. Wine maps the Unix root to drive Z:
# (the default of every prefix), so Z: plus the path with backslashes is what `winepath -w`
# answers, without starting a Wine process for each path (checked once in the script).
wpath() {
    if [[ -n $WINE ]]; then
        local p=${1//\//\\}
        printf 'Z:%s' "$p"
    else
        printf '%s' "$1"
    fi
}

# Windows programs write CRLF line ends to redirected stdout/stderr (C runtime text mode);
# expectations are written for lines, so the CR is dropped before they are checked.
strip_cr() {
    [[ -n $WINE ]] || return 0
    local f
    for f in "$WORK/out" "$WORK/err"; do
        if grep -q $'\r' "$f"; then
            sed -i 's/\r$//' "$f"
        fi
    done
}

# ssoe ARGS...: ssoescrow (under Wine when WINE is set).
ssoe() {
    if [[ -n $WINE ]]; then
        $WINE "$SSOESCROW" "$@"
    else
        "$SSOESCROW" "$@"
    fi
}

# wrun EXPECTED_EXIT CMD...: common.sh's run, then line ends normalised.
wrun() {
    run "$@"
    strip_cr
}

# start_wineserver: one persistent wineserver for the whole script. Without it every Wine
# process starts (and stops) its own, which costs seconds each; with it about half a second.
start_wineserver() {
    [[ -n $WINE ]] || return 0
    local server=${WINESERVER:-wineserver}
    if [[ ! -d $WINEPREFIX/drive_c ]]; then
        echo "creating the Wine prefix $WINEPREFIX (once)"
        mkdir -p "$WINEPREFIX"
        ${WINEBOOT:-wineboot} -i >/dev/null 2>&1 || true
    fi
    # It leaves by itself after a minute without clients: nothing to stop at the end (and
    # other tests may share the prefix).
    "$server" -p60 >/dev/null 2>&1 || true
}

expect_equal() {
    CHECKS=$((CHECKS + 1))
    [[ $1 == "$2" ]] || fail "$3: got '$1', expected '$2'"
}

# summary: "N passed, N failed"; non-zero exit when a check failed.
summary() {
    echo "$((CHECKS - FAILURES)) passed, $FAILURES failed"
    [[ $FAILURES -eq 0 ]] || exit 1
}
