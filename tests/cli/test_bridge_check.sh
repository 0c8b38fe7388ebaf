#!/usr/bin/env bash
# End-to-end tests of `ssoescrow bridge check` against the SSO emulator: a conforming bridge
# passes every check (text and JSON, non-destructive and --destructive) and changes nothing
# without --destructive; each kind of broken bridge makes exactly the check that covers it fail
# (garbage, a password on stderr in clear and in hex, a password echoed in the answer, a wrong
# ENTSSO code, a request that is not JSON accepted, a hang, a server that is not the master
# secret server, a program that does not exist); no password reaches ssoescrow's own output,
# the bridge's argv or environment (spy bridge), and the scratch directory is removed.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR.
[[ -n ${SSO_EMULATOR:-} && -x ${SSO_EMULATOR} ]] || { echo "no SSO emulator: skipped"; exit 77; }
command -v jq >/dev/null || { echo "jq is not installed: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 is not installed: skipped"; exit 77; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

LIB=$TESTS_DIR/cli/lib
EMU=("$SSO_EMULATOR" --state "$WORK/es")
BRIDGE="$SSO_EMULATOR --state $WORK/es"
mkdir -p "$WORK/tmp" "$WORK/spy"
chmod 700 "$WORK/tmp"
CHECK=("$SSOESCROW" bridge check --temp-dir "$WORK/tmp")

current_msid() {
    echo '{"protocol":"ssoescrow-bridge/1"}' | "${EMU[@]}" status | jq -r .current_msid
}

# result ID: "pass" or "fail" for check ID in the last --json run's stdout.
result() { jq -r --arg id "$1" '.checks[] | select(.id == $id) | .result' "$WORK/out"; }

# expect_only_failed ID...: exactly these checks failed in the last --json run.
expect_only_failed() {
    CHECKS=$((CHECKS + 1))
    local want got
    want=""
    (($# == 0)) || want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
    got=$(jq -r '.checks[] | select(.result == "fail") | .id' "$WORK/out" | sort | tr '\n' ' ')
    [[ $got == "$want" ]] || fail "failed checks: expected [$want], got [$got]"
}

expect_scratch_gone() {
    CHECKS=$((CHECKS + 1))
    [[ -z $(ls -A "$WORK/tmp") ]] || fail "scratch left behind: $(ls -A "$WORK/tmp")"
}

run 0 "${EMU[@]}" admin init --standalone SSO1
BEFORE=$(current_msid)

echo "--- a conforming bridge: every check passes, nothing changes"
run 0 "${CHECK[@]}" --bridge "$BRIDGE"
expect_out '^ok +status +computer SSO1, master secret server SSO1'
expect_out '^ok +backup-password-too-short +ENTSSO 10836'
expect_out '^ok +reminder-round-trip '
expect_out '^ok +answers-within-timeout +slowest answer: '
expect_out '^[0-9]+ passed, 0 failed: the bridge speaks the protocol'
CHECKS=$((CHECKS + 1))
grep -q '^FAIL' "$WORK/out" && fail "a check failed against the emulator"
expect_scratch_gone
CHECKS=$((CHECKS + 1))
[[ $(current_msid) == "$BEFORE" ]] || fail "a non-destructive check changed the master secret"
CHECKS=$((CHECKS + 1))
grep -qP '\t(10523|10524|10525|10526)\t' "$WORK/es/events.log" &&
    fail "a non-destructive check called restore or generate: $(cat "$WORK/es/events.log")"

run 0 "${CHECK[@]}" --bridge "$BRIDGE" --json
CHECKS=$((CHECKS + 1))
[[ $(jq -r '.schema, .protocol, .ok, .failed, .destructive, .timeout_ms' "$WORK/out" | tr '\n' ' ') == \
    "ssoescrow-bridge-check/1 ssoescrow-bridge/1 true 0 false 120000 " ]] ||
    fail "json header: $(head -c 400 "$WORK/out")"
CHECKS=$((CHECKS + 1))
IDS=$(jq -r '[.checks[].id] | join(" ")' "$WORK/out")
[[ $IDS == "status secret-server backup-password-too-short backup-password-too-long backup-reminder-too-long refused-backups-wrote-nothing backup-missing-folder backup backup-file-holds-no-password reminder-round-trip reminder-missing-file reminder-random-file request-not-json request-other-protocol password-not-on-stderr password-not-on-stdout password-not-in-arguments answers-within-timeout" ]] ||
    fail "non-destructive check ids: $IDS"
CHECKS=$((CHECKS + 1))
[[ $(jq -r '.passed' "$WORK/out") == 18 && $(jq -r '.bridge[-1]' "$WORK/out") == "$WORK/es" ]] ||
    fail "json counts or bridge argv: $(jq -c '{passed, bridge}' "$WORK/out")"
CHECKS=$((CHECKS + 1))
[[ $(jq -r '[.checks[] | (.operation | type), (.detail | type)] | unique | join(",")' "$WORK/out") == string ]] ||
    fail "every check has a string operation and detail"

echo "--- the spy: no password in any process's argv or environment, nor in ssoescrow's output"
run 0 "${CHECK[@]}" --bridge "python3 $LIB/spy_bridge.py $WORK/spy $BRIDGE"
CHECKS=$((CHECKS + 1))
[[ -s $WORK/spy/passwords && $(wc -l <"$WORK/spy/passwords") -ge 5 ]] ||
    fail "the spy saw too few passwords: $(wc -l <"$WORK/spy/passwords" 2>/dev/null)"
expect_absent "$WORK/spy/leaks"
CHECKS=$((CHECKS + 1))
while IFS= read -r pw; do
    grep -qF -- "$pw" "$WORK/out" "$WORK/err" && fail "a password the bridge got is in ssoescrow's output"
done <"$WORK/spy/passwords"
CHECKS=$((CHECKS + 1))
grep -qx 'restore\|generate' "$WORK/spy/operations" && fail "restore or generate without --destructive"

echo "--- --destructive: restore and generate too, with a warning"
run 0 "${CHECK[@]}" --bridge "$BRIDGE" --destructive --json
expect_err 'warning: --destructive .* test server only'
expect_only_failed
CHECKS=$((CHECKS + 1))
for id in restore-random-file restore-wrong-password restore generate-password-too-short generate \
    generate-reminder-round-trip status-after-generate; do
    [[ $(result $id) == pass ]] || fail "destructive check $id: $(result $id)"
done
CHECKS=$((CHECKS + 1))
[[ $(current_msid) != "$BEFORE" ]] || fail "--destructive did not generate a new secret"
CHECKS=$((CHECKS + 1))
grep -qP '\t10523\t' "$WORK/es/events.log" && grep -qP '\t10525\t' "$WORK/es/events.log" ||
    fail "the emulator logged no restore or no generate"
expect_scratch_gone

echo "--- broken bridges: the check that covers the fault fails, exit 9"
run 9 "${CHECK[@]}" --bridge "python3 $LIB/faulty_bridge.py garbage $BRIDGE"
expect_out '^FAIL +status +.*not one JSON object'
expect_out '^[0-9]+ passed, [0-9]+ failed: do not trust the scheduled jobs'
run 9 "${CHECK[@]}" --bridge "python3 $LIB/faulty_bridge.py garbage $BRIDGE" --json
CHECKS=$((CHECKS + 1))
[[ $(jq -r '.ok' "$WORK/out") == false && $(result status) == fail && $(result backup) == fail &&
    $(result request-not-json) == fail ]] || fail "garbage: $(jq -c '[.checks[] | [.id, .result]]' "$WORK/out")"
expect_scratch_gone

for mode in leak-stderr leak-stderr-hex; do
    : >"$WORK/spy/passwords"
    run 9 "${CHECK[@]}" --json --bridge \
        "python3 $LIB/spy_bridge.py $WORK/spy python3 $LIB/faulty_bridge.py $mode $BRIDGE"
    expect_only_failed password-not-on-stderr
    CHECKS=$((CHECKS + 1))
    while IFS= read -r pw; do
        grep -qiF -- "$pw" "$WORK/out" "$WORK/err" && fail "$mode: a password is in ssoescrow's output"
    done <"$WORK/spy/passwords"
done

run 9 "${CHECK[@]}" --json --bridge "python3 $LIB/faulty_bridge.py leak-stdout $BRIDGE"
expect_only_failed password-not-on-stdout

run 9 "${CHECK[@]}" --json --bridge "python3 $LIB/faulty_bridge.py accept-not-json $BRIDGE"
expect_only_failed request-not-json

echo "--- a wrong ENTSSO code"
run 0 "${EMU[@]}" admin fail-next entsso:10564 --op backup
run 9 "${CHECK[@]}" --json --bridge "$BRIDGE"
expect_only_failed backup-password-too-short
CHECKS=$((CHECKS + 1))
jq -r '.checks[] | select(.id == "backup-password-too-short") | .detail' "$WORK/out" |
    grep -q 'expected ENTSSO 10836; the bridge answered ENTSSO 10564' || fail "wrong-code detail"

echo "--- a hang: the call is stopped at the timeout"
run 0 "${EMU[@]}" admin fail-next hang --op reminder
START=$SECONDS
run 9 "${CHECK[@]}" --json --timeout 2 --bridge "$BRIDGE"
CHECKS=$((CHECKS + 1))
((SECONDS - START < 30)) || fail "the hung bridge was not stopped at the timeout ($((SECONDS - START)) s)"
expect_only_failed reminder-round-trip answers-within-timeout
CHECKS=$((CHECKS + 1))
jq -r '.checks[] | select(.id == "answers-within-timeout") | .detail' "$WORK/out" |
    grep -q 'no answer within 2 s (the bridge was stopped) from: reminder' || fail "timeout detail"
expect_scratch_gone

echo "--- not the master secret server"
run 0 "$SSO_EMULATOR" --state "$WORK/plain" admin init --standalone SSO2 --secret-server SSO1
run 9 "${CHECK[@]}" --json --bridge "$SSO_EMULATOR --state $WORK/plain"
expect_only_failed secret-server backup-missing-folder backup backup-file-holds-no-password reminder-round-trip
CHECKS=$((CHECKS + 1))
jq -r '.checks[] | select(.id == "secret-server") | .detail' "$WORK/out" |
    grep -q 'this computer (SSO2) is not the master secret server (SSO1 is)' || fail "secret-server detail"

echo "--- a bridge that cannot be started; usage"
run 9 "${CHECK[@]}" --bridge "$WORK/no-such-bridge"
expect_out '^FAIL +status '
run 2 "$SSOESCROW" bridge check
run 2 "$SSOESCROW" bridge check --bridge "$BRIDGE" --timeout 0
run 2 "$SSOESCROW" bridge check --bridge 'unterminated "quote'

finish
