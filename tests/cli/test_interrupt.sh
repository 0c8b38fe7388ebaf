#!/usr/bin/env bash
# End-to-end tests of a writer ended by SIGINT, SIGTERM or SIGHUP while it holds the vault's
# writer lock (each job is paused right after taking the lock: SSOESCROW_TEST_PAUSE_AT=
# lock-acquired, then sent a real signal):
#   - every writer (backup, import, restore apply, restore record-receipt, vault prune, vault
#     mark-departed, vault reinstate, vault config set) says "interrupted by SIG..." on stderr,
#     ends with the signal's status 128+N, and leaves no lock: the next writer proceeds at once,
#     without a takeover or lock-override record;
#   - with --log-json (backup, import, restore apply) the log's last line is a valid JSON `failed`
#     event naming the signal, with its exit code, timed like the event before it;
#   - a lock that another writer took over meanwhile is left alone.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR; SSOESCROW_HOOKS=1 when the binary has test hooks.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup --python
[[ ${SSOESCROW_HOOKS:-0} == 1 ]] || { echo "no test hooks in this build: skipped"; exit 77; }

V="$WORK/v"
ST=(--state-dir "$WORK/state")
audit_count() { find "$1/audit" -name '*.rec' | wc -l; }

# start_paused CMD...: runs CMD in the background, paused once it holds the writer lock; sets PID.
start_paused() {
    rm -f "$WORK/job.out" "$WORK/job.err"
    SSOESCROW_TEST_PAUSE_AT=lock-acquired "$@" >"$WORK/job.out" 2>"$WORK/job.err" </dev/null &
    PID=$!
    for _ in $(seq 200); do
        grep -q 'ssoescrow: test: paused at lock-acquired' "$WORK/job.err" 2>/dev/null && return 0
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    fail "the job never paused holding the lock: $*"
    sed 's/^/  stderr: /' "$WORK/job.err" >&2
}

# interrupt SIGNAL STATUS WHAT: sends SIGNAL to the paused job and checks how it ended.
interrupt() {
    local signal=$1 expected=$2 what=$3 status=0
    CHECKS=$((CHECKS + 1))
    [[ -e $V/locks/writer.lock ]] || fail "$what: no lock while the job is paused"
    kill "-$signal" "$PID"
    wait "$PID" || status=$?
    expect_equal "$status" "$expected" "exit status of the $signal'd $what"
    CHECKS=$((CHECKS + 1))
    grep -qx "ssoescrow: interrupted by SIG$signal" "$WORK/job.err" ||
        { fail "$what: no 'interrupted by SIG$signal' on stderr"; sed 's/^/  stderr: /' "$WORK/job.err" >&2; }
    expect_absent "$V/locks/writer.lock"
}

# expect_no_takeover: the last run took no stale lock over and the vault records no override.
expect_no_takeover() {
    CHECKS=$((CHECKS + 1))
    grep -q 'took over' "$WORK/err" && fail "the next writer took a lock over"
    CHECKS=$((CHECKS + 1))
    grep -lq '^type: lock-override$' "$V"/audit/*.rec 2>/dev/null && fail "a lock-override record was written"
    return 0
}

# expect_failed_line LOG SIGNAL COMMAND: the last line of LOG is the `failed` event of SIGNAL.
expect_failed_line() {
    run 0 python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
path, signal, command = sys.argv[1:]
lines = [json.loads(l) for l in open(path, encoding="utf-8")]  # every line valid JSON
assert len(lines) >= 2, lines
last, before = lines[-1], lines[-2]
numbers = {"SIGHUP": 1, "SIGINT": 2, "SIGTERM": 15}
expected = {"schema": "ssoescrow-log/1", "time": before["time"], "level": "error",
            "command": command, "event": "failed", "message": "interrupted by " + signal,
            "fields": {"exit-code": str(128 + numbers[signal]), "signal": signal}}
assert last == expected, (last, expected)
assert list(last) == list(expected), list(last)  # the field order of every other line
assert sum(1 for l in lines if l["event"] == "failed") == 1, lines
EOF
}

for name in alice bob carol; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$V" --threshold 2 --recipient alice.pub --recipient bob.pub \
    --recipient carol.pub "${ST[@]}"
run 0 "${EMU[@]}" admin init --standalone SSO1
run 0 "$SSOESCROW" backup --vault "$V" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" "${ST[@]}"

# --- jobs with a JSON log ------------------------------------------------------------------------
for signal in TERM INT HUP; do
    count=$(audit_count "$V")
    start_paused "$SSOESCROW" backup --vault "$V" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" "${ST[@]}" \
        --log-json "$WORK/backup-$signal.log"
    case $signal in TERM) status=143 ;; INT) status=130 ;; HUP) status=129 ;; esac
    interrupt "$signal" "$status" backup
    expect_failed_line "$WORK/backup-$signal.log" "SIG$signal" backup
    expect_equal "$(audit_count "$V")" "$count" "audit records after the SIG$signal'd backup"
    expect_equal "$(find "$WORK/tmp" -mindepth 1 | wc -l)" 0 "scratch entries after SIG$signal"
    run 0 "$SSOESCROW" backup --vault "$V" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" "${ST[@]}"
    expect_no_takeover
done

# import: the lock is taken after the password and the .bak are read.
head -c 4096 /dev/urandom >"$WORK/hand.bak"
make_passphrase_file "$WORK/hand.pass" "hand-made-password"
start_paused "$SSOESCROW" import --vault "$V" --bak "$WORK/hand.bak" \
    --password-file "$WORK/hand.pass" "${ST[@]}" --log-json "$WORK/import.log"
interrupt TERM 143 import
expect_failed_line "$WORK/import.log" SIGTERM import
rm -f "$WORK/hand.bak"

# restore apply (drill and extraction): its lock is held from before the backup is opened until
# its receipt is recorded.
run 0 "$SSOESCROW" restore request --vault "$V" --out "$WORK/req" --purpose extract
run 0 approve alice "$WORK/req" "$WORK/alice.approval"
run 0 approve bob "$WORK/req" "$WORK/bob.approval"
APPLY=("$SSOESCROW" restore apply "$WORK/req" --vault "$V" --approval "$WORK/alice.approval"
    --approval "$WORK/bob.approval" "${ST[@]}")
count=$(audit_count "$V")
start_paused "${APPLY[@]}" --drill --log-json "$WORK/drill.log"
interrupt INT 130 "restore apply --drill"
expect_failed_line "$WORK/drill.log" SIGINT restore
start_paused "${APPLY[@]}" --extract "$WORK/x" --log-json "$WORK/extract.log"
interrupt HUP 129 "restore apply --extract"
expect_failed_line "$WORK/extract.log" SIGHUP restore
no_plaintext "$WORK"
expect_equal "$(audit_count "$V")" "$count" "audit records after the interrupted applies"
run 0 "${APPLY[@]}" --drill
expect_no_takeover
expect_equal "$(audit_count "$V")" "$((count + 1))" "audit records after the drill"

# --- writers without a JSON log --------------------------------------------------------------------
# restore record-receipt (a receipt written from a read-only view of the vault).
run 0 env SSOESCROW_TEST_FAULT=erofs:open "${APPLY[@]}" --drill --receipt-out "$WORK/drill.receipt"
start_paused "$SSOESCROW" restore record-receipt --vault "$V" "${ST[@]}" "$WORK/drill.receipt"
interrupt TERM 143 "restore record-receipt"
count=$(audit_count "$V")
run 0 "$SSOESCROW" restore record-receipt --vault "$V" "${ST[@]}" "$WORK/drill.receipt"
expect_no_takeover
expect_equal "$(audit_count "$V")" "$((count + 1))" "audit records after record-receipt"

start_paused "$SSOESCROW" vault prune --vault "$V" "${ST[@]}"
interrupt HUP 129 "vault prune"
run 0 "$SSOESCROW" vault prune --vault "$V" "${ST[@]}"
expect_no_takeover

count=$(audit_count "$V")
start_paused "$SSOESCROW" vault mark-departed --vault "$V" --custodian carol.pub --reason left "${ST[@]}"
interrupt TERM 143 "vault mark-departed"
expect_equal "$(audit_count "$V")" "$count" "audit records after the interrupted departure"
run 0 "$SSOESCROW" vault mark-departed --vault "$V" --custodian carol.pub --reason left "${ST[@]}"
expect_no_takeover
start_paused "$SSOESCROW" vault reinstate --vault "$V" --custodian carol.pub --reason back "${ST[@]}"
interrupt INT 130 "vault reinstate"
run 0 "$SSOESCROW" vault reinstate --vault "$V" --custodian carol.pub --reason back "${ST[@]}"
expect_no_takeover

cp "$V/config" "$WORK/config.before"
start_paused "$SSOESCROW" vault config set --vault "$V" max-backup-age=48h "${ST[@]}"
interrupt TERM 143 "vault config set"
CHECKS=$((CHECKS + 1))
cmp -s "$V/config" "$WORK/config.before" || fail "the interrupted config set changed the config"
run 0 "$SSOESCROW" vault config set --vault "$V" max-backup-age=48h "${ST[@]}"
expect_no_takeover
run 0 "$SSOESCROW" vault check --vault "$V" "${ST[@]}"

# --- a lock taken over meanwhile is not ours to remove -----------------------------------------------
start_paused "$SSOESCROW" vault prune --vault "$V" "${ST[@]}"
chmod u+w "$V/locks/writer.lock" 2>/dev/null || true
sed -i "s/^id .*/id $(printf 'c%.0s' {1..32})/" "$V/locks/writer.lock"
cp "$V/locks/writer.lock" "$WORK/foreign.lock"
kill -TERM "$PID"
status=0
wait "$PID" || status=$?
expect_equal "$status" 143 "exit status of the SIGTERM'd prune under a foreign lock"
CHECKS=$((CHECKS + 1))
cmp -s "$V/locks/writer.lock" "$WORK/foreign.lock" || fail "a lock that was not the job's was removed"

finish
