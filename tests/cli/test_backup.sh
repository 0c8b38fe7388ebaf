#!/usr/bin/env bash
# End-to-end tests of `ssoescrow backup` and `rotate` against the SSO emulator:
#   - a backup and a rotate commit verified envelopes, leave no scratch file, print one line or
#     the JSON result, write the JSON log;
#   - the policy pin (F16-style substitution): mismatch refused with exit 11, nothing written;
#   - F17: every injected bridge fault (hang, crash, garbage, truncated file, ENTSSO error) on
#     every bridge call: bounded time, the right exit code, no envelope, no scratch file, no
#     bridge process left;
#   - S2/S8: the generated passwords (recorded by a spy bridge) appear nowhere outside the
#     envelopes: not in the vault, the scratch parent, the logs (debug level) or the outputs;
#   - S3: the spy bridge scans /proc/*/cmdline and environ of every process while it runs;
#   - the passive node of a cluster (10766 advice, or a skip with --skip-on-passive-node);
#   - a read-only or full vault: refused before the bridge is called; rotate never generates;
#   - concurrent backups: serialised by the lock (--wait), or refused with exit 7;
#   - SIGTERM while the .bak exists: bridge killed, scratch wiped, 'interrupted by SIGTERM' on
#     stderr, the job's own lock released (no takeover next);
#   - kill -9 at every crash point: the vault stays consistent and the next backup succeeds.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR; SSOESCROW_HOOKS=1 when the binary has test hooks.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup --python
mkdir -p "$WORK/spy"

SPY="$TESTS_DIR/cli/lib/spy_bridge.py"
SPY_BRIDGE="python3 $SPY $WORK/spy $SSO_EMULATOR --state $WORK/es"
COMMON=(--vault "$WORK/v" --temp-dir "$WORK/tmp" --state-dir "$WORK/state")

envelope_count() { find "$WORK/v/envelopes" -name '*.envelope' | wc -l; }
scratch_left() { find "$WORK/tmp" -mindepth 1 | wc -l; }
expect_no_bridge_left() {
    CHECKS=$((CHECKS + 1))
    if pgrep -f -- "--state $WORK/es" >/dev/null; then
        fail "$1: a bridge process is still running"
        pkill -9 -f -- "--state $WORK/es" || true
    fi
}

for name in alice bob carol; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$WORK/state"
POLICY=$(grep -Eo 'sha256:[0-9a-f]{64}' "$WORK/out" | head -1)
run 0 "${EMU[@]}" admin init --standalone SSO1

# --- A backup, then a rotate -------------------------------------------------------------------
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$SPY_BRIDGE" --expect-policy "$POLICY" \
    --log-json "$WORK/job.log" --verbose
expect_out '^backup [0-9a-f]{32} committed: current MSID \{[0-9A-F-]{36}\}, previous MSID none, envelopes/[0-9a-f]{32}\.envelope$'
first_id=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
expect_mode 400 "$WORK/v/envelopes/$first_id.envelope"
expect_equal "$(scratch_left)" 0 "scratch entries after a backup"
expect_equal "$(cat "$WORK/spy/operations" | tr '\n' ' ')" "status backup reminder " "bridge calls"
expect_err 'backup: backing up the master secret of SSO1'
expect_err 'sealed [0-9]+ bytes and opened them again with 2 shares'
run 0 python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert all(l["schema"] == "ssoescrow-log/1" and l["command"] == "backup" for l in lines), lines
events = [l["event"] for l in lines]
for e in ("vault-open", "bridge-status", "bridge-backup", "bridge-done", "sealed", "committed"):
    assert e in events, (e, events)
' "$WORK/job.log"
msid_before=$(live_msid)
run 0 "$SSOESCROW" rotate "${COMMON[@]}" --bridge "$SPY_BRIDGE" --json
cp "$WORK/out" "$WORK/rotate.json"
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema"] == "ssoescrow-job-result/1" and doc["operation"] == "rotate", doc
assert doc["previous_msid"] == sys.argv[2], doc
assert doc["current_msid"] != sys.argv[2], doc
assert doc["computer"] == "SSO1" and doc["secret_server"] == "SSO1", doc
assert doc["skipped"] is None and doc["prune_error"] is None, doc
' "$WORK/rotate.json" "$msid_before"
expect_equal "$(live_msid)" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["current_msid"])' "$WORK/rotate.json")" "live MSID after rotate"
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"
run 0 "$SSOESCROW" vault list --vault "$WORK/v"
expect_out 'verified'
CHECKS=$((CHECKS + 1))
grep -q '^type: rotate' "$WORK"/v/audit/*.rec 2>/dev/null || grep -rq 'rotate' "$WORK/v/audit" ||
    fail "no rotate record in the audit log"

# --- Policy pin --------------------------------------------------------------------------------
count=$(envelope_count)
run 11 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" \
    --expect-policy "sha256:$(printf '0%.0s' {1..64})"
expect_err "is $POLICY, not the pinned sha256:0000"
expect_err 'hint: .*--expect-policy'
run 2 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" --expect-policy "md5:abc"
expect_err 'not a policy fingerprint'
run 2 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" --bridge-timeout 0
expect_equal "$(envelope_count)" "$count" "envelopes after refused backups"

# --- F17: every fault of every bridge call ----------------------------------------------------
fault_case() {  # EXPECTED_EXIT FAULT OP MESSAGE_REGEX
    local expected=$1 fault=$2 op=$3 regex=$4 count started elapsed
    "${EMU[@]}" admin fail-next "$fault" --op "$op" >/dev/null
    count=$(envelope_count)
    started=$(date +%s)
    run "$expected" "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" --bridge-timeout 3
    elapsed=$(($(date +%s) - started))
    expect_err "$regex"
    expect_equal "$(envelope_count)" "$count" "envelopes after $fault on $op"
    expect_equal "$(scratch_left)" 0 "scratch entries after $fault on $op"
    CHECKS=$((CHECKS + 1))
    ((elapsed <= 20)) || fail "$fault on $op took ${elapsed}s (bridge timeout 3 s)"
    expect_no_bridge_left "$fault on $op"
    "${EMU[@]}" admin fail-next none >/dev/null
}
for op in status backup reminder; do
    fault_case 9 hang "$op" "no answer within 3 s; the bridge was stopped"
    fault_case 9 crash "$op" "killed by signal 6"
    fault_case 9 garbage "$op" "not one JSON object"
done
fault_case 9 truncated backup "reported success, but ENTSSO cannot read the backup file"
fault_case 9 truncated status "not one JSON object"
fault_case 10 entsso:10766 backup "ENTSSO error 10766.*\n?"
fault_case 10 entsso:10784 backup "ENTSSO error 10784"
fault_case 9 entsso:10564 reminder "ENTSSO cannot read the backup file it wrote"
# Bridges that pass on the COM HRESULT: ENTSSO's own (0xC000xxxx, signed or in hex) is read as its
# number, with the same advice; any other HRESULT is named as such.
fault_case 10 entsso:-1073731058 backup "ENTSSO error 10766 \\(HRESULT 0xC0002A0E\\): this computer is not the master secret server"
fault_case 10 entsso:0xC0002A20 backup "ENTSSO error 10784 \\(HRESULT 0xC0002A20\\)"
fault_case 10 entsso:-2147024891 backup "ENTSSO call failed with HRESULT 0x80070005"
# A bridge that cannot be started at all.
run 9 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$WORK/no-such-bridge"
expect_err "cannot start the bridge"
run 2 "$SSOESCROW" backup "${COMMON[@]}" --bridge "unbalanced 'quote"
# Rotate: a generate that fails leaves the live secret as it was.
msid_before=$(live_msid)
"${EMU[@]}" admin fail-next entsso:10836 --op generate >/dev/null
run 10 "$SSOESCROW" rotate "${COMMON[@]}" --bridge "$BRIDGE"
expect_equal "$(live_msid)" "$msid_before" "live MSID after a failed generate"
# Rotate: generate succeeded but the file is unreadable: the error says NOT escrowed.
"${EMU[@]}" admin fail-next truncated --op generate >/dev/null
run 9 "$SSOESCROW" rotate "${COMMON[@]}" --bridge "$BRIDGE"
expect_err 'generated but is NOT escrowed'
expect_err "hint: run 'ssoescrow backup --vault"
expect_equal "$(scratch_left)" 0 "scratch entries after a failed rotate"
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"
expect_out "current MSID $(live_msid)"

# --- S2, S3, S8: the generated passwords are nowhere else ----------------------------------------
CHECKS=$((CHECKS + 1))
[[ -s $WORK/spy/passwords ]] || fail "the spy bridge recorded no password"
CHECKS=$((CHECKS + 1))
[[ ! -s $WORK/spy/leaks ]] || { fail "password visible in /proc:"; cat "$WORK/spy/leaks" >&2; }
CHECKS=$((CHECKS + 1))
(($(sort -n "$WORK/spy/scans" | head -1) >= 3)) || fail "the /proc scan saw too few processes"
while read -r password; do
    CHECKS=$((CHECKS + 1))
    [[ ${#password} -eq 40 ]] || fail "generated password of ${#password} characters"
    if grep -rlF -- "$password" "$WORK/v" "$WORK/tmp" "$WORK/state" "$WORK/job.log" "$WORK/out" \
        "$WORK/err" "$WORK/es" "$HOME" 2>/dev/null; then
        fail "a generated password was found outside the envelopes (files above)"
    fi
done <"$WORK/spy/passwords"

# --- Cluster: the passive node -----------------------------------------------------------------
CLUSTER=("$SSO_EMULATOR" --state "$WORK/cluster")
run 0 "${CLUSTER[@]}" admin init --cluster CL1 --group SSOGRP --network-name SSOVN --nodes N1,N2
count=$(envelope_count)
run 10 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$SSO_EMULATOR --state $WORK/cluster --node N2"
expect_err 'ENTSSO error 10766'
expect_err 'hint: run this on the master secret server SSOVN'
run 0 "$SSOESCROW" backup "${COMMON[@]}" --skip-on-passive-node \
    --bridge "$SSO_EMULATOR --state $WORK/cluster --node N2"
expect_out '^backup skipped: this computer \(N2\) is a passive node of cluster CL1; the SSO group SSOGRP is owned by N1$'
expect_equal "$(envelope_count)" "$count" "envelopes after a skipped backup"
run 0 "$SSOESCROW" backup "${COMMON[@]}" --skip-on-passive-node \
    --bridge "$SSO_EMULATOR --state $WORK/cluster --node N1"
expect_out '^backup [0-9a-f]{32} committed'
run 0 "${CLUSTER[@]}" admin move-group N2
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$SSO_EMULATOR --state $WORK/cluster --node N2"
expect_out '^backup [0-9a-f]{32} committed'

# --- Concurrent backups and a prune racing them ------------------------------------------------------------------------
count=$(envelope_count)
pids=()
for i in 1 2 3; do
    "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" --wait 120 --no-prune \
        >"$WORK/conc$i.out" 2>"$WORK/conc$i.err" &
    pids+=($!)
done
"$SSOESCROW" vault prune --vault "$WORK/v" --state-dir "$WORK/state" --wait 120 \
    >"$WORK/conc-prune.out" 2>"$WORK/conc-prune.err" &
prune_pid=$!
for i in 0 1 2; do
    CHECKS=$((CHECKS + 1))
    wait "${pids[$i]}" || fail "concurrent backup $((i + 1)) failed: $(cat "$WORK/conc$((i + 1)).err")"
done
CHECKS=$((CHECKS + 1))
wait "$prune_pid" || fail "prune racing the backups failed: $(cat "$WORK/conc-prune.err")"
expect_equal "$(envelope_count)" "$((count + 3))" "envelopes after three concurrent backups"
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"
# Without --wait a held lock is refused at once (exit 7) and nothing is written.
"${EMU[@]}" admin fail-next hang --op backup >/dev/null
"$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" --bridge-timeout 20 >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do [[ -e $WORK/v/locks/writer.lock ]] && break; sleep 0.1; done
count=$(envelope_count)
run 7 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"
expect_err 'locked|lock'
# A passive cluster node asks the bridge before it takes the lock: started at the same minute as
# the active node, it skips instead of failing on the lock (or making the active node fail).
run 0 "$SSOESCROW" backup "${COMMON[@]}" --skip-on-passive-node \
    --bridge "$SSO_EMULATOR --state $WORK/cluster --node N1"
expect_out '^backup skipped: this computer \(N1\) is a passive node of cluster CL1'
kill -TERM "$holder"
CHECKS=$((CHECKS + 1))
status=0
wait "$holder" || status=$?
[[ $status -eq 143 ]] || fail "SIGTERM'd backup exited $status, expected 143"
expect_no_bridge_left "SIGTERM during a hung bridge"
expect_equal "$(scratch_left)" 0 "scratch entries after SIGTERM"
expect_equal "$(envelope_count)" "$count" "envelopes after SIGTERM"
"${EMU[@]}" admin fail-next none >/dev/null

# --- SIGTERM while the .bak exists -------------------------------------------------------------
echo "backup 30" >"$WORK/spy/sleep_after"
rm -f "$WORK/spy/sleeping"
"$SSOESCROW" backup "${COMMON[@]}" --bridge "$SPY_BRIDGE" >/dev/null 2>"$WORK/term.err" &
victim=$!
for _ in $(seq 200); do [[ -e $WORK/spy/sleeping ]] && break; sleep 0.1; done
CHECKS=$((CHECKS + 1))
[[ -e $WORK/spy/sleeping ]] || fail "the spy bridge never reached its sleep"
CHECKS=$((CHECKS + 1))
[[ $(find "$WORK/tmp" -name '*.bak' | wc -l) -eq 1 ]] || fail "no .bak in the scratch directory before SIGTERM"
kill -TERM "$victim"
status=0
wait "$victim" || status=$?
expect_equal "$status" 143 "exit status of a backup stopped by SIGTERM"
expect_equal "$(scratch_left)" 0 "scratch entries after SIGTERM with a .bak"
expect_no_bridge_left "SIGTERM with the bridge sleeping"
# The job says why it ended and releases its own lock: the next run needs no takeover.
CHECKS=$((CHECKS + 1))
grep -qx 'ssoescrow: interrupted by SIGTERM' "$WORK/term.err" || fail "no interrupted line: $(cat "$WORK/term.err")"
expect_absent "$WORK/v/locks/writer.lock"
rm -f "$WORK/spy/sleep_after"
overrides_before=$({ grep -l '^type: lock-override' "$WORK"/v/audit/*.rec 2>/dev/null || true; } | wc -l)
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"
CHECKS=$((CHECKS + 1))
grep -q 'took over' "$WORK/err" && fail "a lock released on SIGTERM was taken over"
expect_equal "$({ grep -l '^type: lock-override' "$WORK"/v/audit/*.rec 2>/dev/null || true; } | wc -l)" \
    "$overrides_before" "lock overrides after a SIGTERM'd backup"

# --- Test hooks: read-only and full vaults, kill -9 at every crash point ----------------------------
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    # The first faults hit the lock, the later ones the test write in envelopes/ and audit/.
    for fault in erofs:open:{1..4} enospc:write:{1..3} eio:fsync:{1..3}; do
        : >"$WORK/spy/operations"
        msid_before=$(live_msid)
        count=$(envelope_count)
        run 5 env SSOESCROW_TEST_FAULT="$fault" "$SSOESCROW" rotate "${COMMON[@]}" \
            --bridge "$SPY_BRIDGE"
        expect_equal "$(cat "$WORK/spy/operations")" "" "bridge calls of a rotate refused by $fault"
        expect_equal "$(live_msid)" "$msid_before" "live MSID after a rotate refused by $fault"
        expect_equal "$(envelope_count)" "$count" "envelopes after $fault"
        run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"
    done
    run 5 env SSOESCROW_TEST_FAULT=erofs:open "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"
    expect_err 'read-only'

    # kill -9 (crash points end the process with status 137) at every point a backup passes.
    points=(lock-after-create after-temp-create after-temp-write after-fsync after-rename
        after-fsync-dir job-after-bridge job-after-seal store-after-envelope store-after-record)
    for point in "${points[@]}"; do
        crashed=0
        for n in 1 2 3; do
            count=$(envelope_count)
            status=0
            SSOESCROW_TEST_CRASH_AT="$point:$n" "$SSOESCROW" backup "${COMMON[@]}" \
                --bridge "$BRIDGE" --no-prune >/dev/null 2>"$WORK/crash.err" || status=$?
            [[ $status -eq 0 ]] && continue  # the point is not reached $n times
            CHECKS=$((CHECKS + 1))
            [[ $status -eq 137 ]] || { fail "crash at $point:$n exited $status"; cat "$WORK/crash.err" >&2; continue; }
            crashed=$((crashed + 1))
            expect_no_bridge_left "crash at $point:$n"
            # The vault is never damaged: at worst an orphan, a temp file or a stale lock (warnings).
            status=0
            "$SSOESCROW" vault check --vault "$WORK/v" --no-state >"$WORK/check.out" 2>&1 || status=$?
            CHECKS=$((CHECKS + 1))
            [[ $status -le 1 ]] || { fail "vault damaged after a crash at $point:$n"; cat "$WORK/check.out" >&2; }
            # The next backup takes over, cleans up and commits.
            run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" --no-prune
            expect_equal "$(scratch_left)" 0 "scratch entries after recovering from $point:$n"
        done
        CHECKS=$((CHECKS + 1))
        ((crashed > 0)) || fail "a backup never reached the crash point $point"
    done
    run 0 "$SSOESCROW" vault prune --vault "$WORK/v" --state-dir "$WORK/state"
    # Temp files of lock writes interrupted by the crashes hold the lock text of a process of this
    # host that is gone: the writers after them removed them. Only one cut before its text was
    # written (after-temp-create) proves nothing and stays until it is an hour old (it could be
    # another process's write in progress): a warning, never damage.
    status=0
    "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state" >"$WORK/check.out" 2>&1 || status=$?
    CHECKS=$((CHECKS + 1))
    [[ $status -le 1 ]] && ! grep -v 'locks/\.tmp-.*leftover temp file' "$WORK/check.out" | grep -q '^warning' ||
        { fail "vault not clean after the crash loop"; cat "$WORK/check.out" >&2; }
    CHECKS=$((CHECKS + 1))
    left=$(find "$WORK/v/locks" -name '.tmp-*' -size +0c | wc -l)
    [[ $left -eq 0 ]] || fail "$left lock temp file(s) of dead runs left after the recovery"
else
    echo "no test hooks in this build: read-only vault and crash-point checks skipped"
fi

# --- An unusable place for the scratch directory: refused with a hint, nothing sealed ------------
count=$(envelope_count)
: >"$WORK/not-a-dir"
run 5 "$SSOESCROW" backup --vault "$WORK/v" --state-dir "$WORK/state" --bridge "$BRIDGE" \
    --temp-dir "$WORK/not-a-dir"
expect_err "error: temp directory $WORK/not-a-dir is not a directory"
expect_err 'hint: give a private directory on local disk with --temp-dir'
run 5 "$SSOESCROW" backup --vault "$WORK/v" --state-dir "$WORK/state" --bridge "$BRIDGE" \
    --temp-dir "$WORK/no/such/dir"
expect_err "error: cannot check the temp directory $WORK/no/such/dir: no such file or directory"
run 5 env TMPDIR="$WORK/no-tmp" "$SSOESCROW" backup --vault "$WORK/v" --state-dir "$WORK/state" \
    --bridge "$BRIDGE"
expect_err "error: no temp directory \\(TMPDIR=$WORK/no-tmp\\): "
expect_err 'or set TMPDIR to one'
long="$WORK/$(printf 'd%.0s' {1..200})/$(printf 'e%.0s' {1..200})/$(printf 'f%.0s' {1..200})"
run 5 "$SSOESCROW" backup --vault "$WORK/v" --state-dir "$WORK/state" --bridge "$BRIDGE" \
    --temp-dir "$long"
expect_equal "$(envelope_count)" "$count" "envelopes after the refused scratch directories"
expect_no_bridge_left "refused scratch directories"

finish
