#!/usr/bin/env bash
# End-to-end tests of `ssoescrow vault mark-departed` / `vault reinstate` and what `status`
# (escrow-health) makes of them:
#   - `vault init` writes max-key-age (730d by default, or --max-key-age); a bad value creates
#     no vault;
#   - a departure by fingerprint or NAME.pub: the custodian-departed audit record (fields, mode
#     like the other records, name = SHA-256 of the content), the impact lines, `vault check` clean;
#   - idempotence: a second departure and the reinstatement of a custodian who is here write
#     nothing;
#   - refusals, none writing a record: not a custodian (2, with the list), bad --custodian (2),
#     a .key given as .pub (3), missing/empty/control/too long/padded --reason (2), no vault (5),
#     a lock of another host or of a live backup (7), a damaged audit chain (8);
#   - a stale lock of a killed backup is taken over (audit-logged) and the departure recorded;
#   - status: WARNING with one departure (text, JSON evidence, Prometheus + promtool), CRITICAL
#     below the threshold, WARNING again after `vault reinstate`, OK as of before the departure;
#   - key age: a vault with max-key-age 1s warns, --max-key-age 30d clears it, 0s is refused (3),
#     a departed custodian's key is no longer counted;
#   - no passphrase ever reaches the vault or the state directory.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup

V="$WORK/v"
K="$WORK/k"
ST=(--state-dir "$WORK/state")
HOST=$(hostname)
RECIPIENTS=(--threshold 2 --recipient alice.pub --recipient bob.pub --recipient carol.pub)

audit_count() { find "$1/audit" -name '*.rec' | wc -l; }
newest_record() { find "$1/audit" -name '*.rec' | sort | tail -n 1; }
# record_time VAULT SEQ: the time: field of audit record SEQ.
record_time() { sed -n 's/^time: //p' "$1"/audit/"$(printf '%010d' "$2")"-*.rec; }
# expect_file_line FILE LINE: FILE has exactly this line.
expect_file_line() {
    CHECKS=$((CHECKS + 1))
    grep -qxF -- "$2" "$1" || { fail "$1 has no line '$2'"; sed 's/^/  file: /' "$1" >&2; }
}
# expect_escrow REGEX: the escrow-health line of the last `status` text output matches.
expect_escrow() {
    CHECKS=$((CHECKS + 1))
    grep -E '^[A-Z/]+ +escrow-health: ' "$WORK/out" | grep -Eq -- "$1" ||
        { fail "escrow-health line does not match /$1/"; sed 's/^/  stdout: /' "$WORK/out" >&2; }
}
# wait_past TIME: until the clock has passed TIME (YYYY-MM-DDTHH:MM:SSZ) by at least one second.
wait_past() {  # TIME [SECONDS, default 1]: until the clock is at least SECONDS past TIME
    local limit
    limit=$(($(date -u -d "$1" +%s) + ${2:-1}))
    for _ in $(seq 50); do
        [[ $(date -u +%s) -ge $limit ]] && return 0
        sleep 0.1
    done
}
lock_text() {  # HOST PID REFRESHED
    printf 'ssoescrow-lock 1\nid %s\nhost %s\npid %s\noperation backup\nstarted %s\nrefreshed %s\nttl 900\n' \
        "$(printf 'a%.0s' {1..32})" "$1" "$2" "$3" "$3"
}

for name in alice bob carol dave; do keygen "$name"; done
FP_A=$(awk '{print $4}' alice.pub)
FP_B=$(awk '{print $4}' bob.pub)
FP_C=$(awk '{print $4}' carol.pub)
FP_D=$(awk '{print $4}' dave.pub)

# --- vault init: max-key-age ---------------------------------------------------------------------
run 2 "$SSOESCROW" vault init --vault "$WORK/bad" "${RECIPIENTS[@]}" "${ST[@]}" --max-key-age soon
expect_err "--max-key-age: duration 'soon' has no unit"
expect_absent "$WORK/bad"
run 2 "$SSOESCROW" vault init --vault "$WORK/bad" "${RECIPIENTS[@]}" "${ST[@]}" --max-key-age 0s
expect_err 'max-key-age must be longer than 0s'
expect_absent "$WORK/bad"
run 0 "$SSOESCROW" vault init --vault "$K" "${RECIPIENTS[@]}" "${ST[@]}" --max-key-age 1s
expect_file_line "$K/config" 'max-key-age: 1s'
run 0 "$SSOESCROW" vault init --vault "$V" "${RECIPIENTS[@]}" "${ST[@]}"
expect_file_line "$V/config" 'max-key-age: 730d'
run 0 "${EMU[@]}" admin init --standalone SSO1
run 0 "$SSOESCROW" backup --vault "$V" --bridge "$BRIDGE" "${ST[@]}"
expect_out '^backup [0-9a-f]{32} committed: '
BACKUP_ID=$(sed -n 's/^backup: //p' "$(newest_record "$V")")
run 0 "$SSOESCROW" backup --vault "$K" --bridge "$BRIDGE" "${ST[@]}"
run 1 "$SSOESCROW" status --vault "$V" --no-state  # 1: drill-age (no drill yet)
expect_escrow '^OK +escrow-health: 2 of 3 custodians needed; newest backup sealed to the current policy$'

# --- Refusals before any departure: nothing is written --------------------------------------------
count=$(audit_count "$V")
run 2 "$SSOESCROW" vault mark-departed --vault "$V" --custodian "$FP_D" --reason "left" "${ST[@]}"
expect_err "error: custodian $FP_D is not a custodian of vault $V"
expect_err "hint: its custodians: .*alice \($FP_A\)"
expect_err "hint: its custodians: .*bob \($FP_B\)"
expect_err "hint: its custodians: .*carol \($FP_C\)"
run 2 "$SSOESCROW" vault mark-departed --vault "$V" --custodian dave.pub --reason "left" "${ST[@]}"
expect_err "custodian $FP_D is not a custodian of vault"
run 2 "$SSOESCROW" vault reinstate --vault "$V" --custodian "$FP_D" --reason "back" "${ST[@]}"
expect_err "custodian $FP_D is not a custodian of vault"
run 2 "$SSOESCROW" vault mark-departed --vault "$V" --custodian nope --reason "left" "${ST[@]}"
expect_err "--custodian: 'nope' is neither a recipient fingerprint, an existing file nor the label of a custodian of the vault"
run 3 "$SSOESCROW" vault mark-departed --vault "$V" --custodian carol.key --reason "left" "${ST[@]}"
expect_err 'not a recipient line'
run 2 "$SSOESCROW" vault mark-departed --vault "$V" --custodian carol.pub "${ST[@]}"
expect_err '--reason is required'
run 2 "$SSOESCROW" vault mark-departed --vault "$V" --custodian carol.pub --reason "" "${ST[@]}"
expect_err '--reason: empty value'
run 2 "$SSOESCROW" vault mark-departed --vault "$V" --custodian carol.pub --reason $'left\ntype: vault-init' "${ST[@]}"
expect_err '--reason: contains a control byte'
run 2 "$SSOESCROW" vault reinstate --vault "$V" --custodian carol.pub --reason $'oops\x1b[2J' "${ST[@]}"
expect_err '--reason: contains a control byte'
run 2 "$SSOESCROW" vault mark-departed --vault "$V" --custodian carol.pub --reason " left" "${ST[@]}"
expect_err '--reason: leading or trailing space'
run 2 "$SSOESCROW" vault mark-departed --vault "$V" --custodian carol.pub \
    --reason "$(printf 'x%.0s' {1..257})" "${ST[@]}"
expect_err '--reason: longer than 256 bytes'
expect_err 'hint: say why in 1 to 256 printable characters'
# README exit codes: 5 I/O (... not found).
run 5 "$SSOESCROW" vault mark-departed --vault "$WORK/no-vault" --custodian carol.pub --reason "left" "${ST[@]}"
expect_err "no vault at $WORK/no-vault"
run 5 "$SSOESCROW" vault reinstate --vault "$WORK/no-vault" --custodian carol.pub --reason "back" "${ST[@]}"
expect_absent "$WORK/no-vault"
# A fresh lock of another host: 7, for both commands.
mkdir -p "$V/locks"
lock_text other-host 4242 "$(date +%s)" >"$V/locks/writer.lock"
run 7 "$SSOESCROW" vault mark-departed --vault "$V" --custodian carol.pub --reason "left" "${ST[@]}"
expect_err "vault $V is locked by host other-host pid 4242"
run 7 "$SSOESCROW" vault reinstate --vault "$V" --custodian carol.pub --reason "back" "${ST[@]}"
expect_err 'is locked by host other-host'
rm -f "$V/locks/writer.lock"
expect_equal "$(audit_count "$V")" "$count" "audit records after the refusals"

# A live backup holds the lock (on a copy of the vault): 7; once its process is gone, a lock it
# left is taken over (a lock-override record) and the departure recorded.
cp -r "$V" "$WORK/lockv"
LST=(--state-dir "$WORK/state-lockv")
"${EMU[@]}" admin fail-next hang --op backup >/dev/null
# (a latest-seen state of its own, the signing key of the host that initialised the vault)
"$SSOESCROW" backup --vault "$WORK/lockv" --bridge "$BRIDGE" "${LST[@]}" --bridge-timeout 20 \
    --signing-key "$WORK/state/signing.key" \
    >"$WORK/holder.out" 2>&1 &
holder=$!
for _ in $(seq 100); do [[ -e $WORK/lockv/locks/writer.lock ]] && break; sleep 0.1; done
lcount=$(audit_count "$WORK/lockv")
run 7 "$SSOESCROW" vault mark-departed --vault "$WORK/lockv" --custodian carol.pub --reason "left" "${LST[@]}"
expect_err "is locked by host $HOST pid $holder \(backup"
expect_equal "$(audit_count "$WORK/lockv")" "$lcount" "audit records after a refusal under a live lock"
kill -TERM "$holder"
status=0
wait "$holder" || status=$?
expect_equal "$status" 143 "exit status of the SIGTERM'd backup"
# SIGTERM released the backup's own lock; the lock a kill -9 would have left is put back to
# show the take-over.
expect_absent "$WORK/lockv/locks/writer.lock"
printf 'ssoescrow-lock 1\nid %s\nhost %s\npid %s\noperation backup\nstarted %s\nrefreshed %s\nttl 900\n' \
    "$(printf 'b%.0s' {1..32})" "$HOST" "$holder" "$(date +%s)" "$(date +%s)" >"$WORK/lockv/locks/writer.lock"
run 0 "$SSOESCROW" vault mark-departed --vault "$WORK/lockv" --custodian carol.pub --reason "left" "${LST[@]}"
expect_err "took over a stale writer lock of backup on $HOST \(pid $holder\); recorded in the audit log"
expect_out "^marked departed: carol \($FP_C\) \(audit record $((lcount + 2))\)$"
expect_equal "$(audit_count "$WORK/lockv")" "$((lcount + 2))" "audit records after the take-over"
CHECKS=$((CHECKS + 1))
grep -q '^reason: stale lock of a dead process taken over by mark-departed$' "$WORK"/lockv/audit/*.rec ||
    fail "the take-over by mark-departed is not audit-logged"

# --- carol departs ----------------------------------------------------------------------------------
BACKUP_TIME=$(record_time "$V" 2)
wait_past "$BACKUP_TIME"  # so that an as-of report at the backup's time precedes the departure
run 0 "$SSOESCROW" vault mark-departed --vault "$V" --custodian "$FP_C" \
    --reason "left the company 2026-11-20" "${ST[@]}"
expect_out "^marked departed: carol \($FP_C\) \(audit record $((count + 1))\)$"
expect_out '^custodians of the current policy not departed: 2 of 3 \(threshold 2\)$'
expect_out '^verified backups sealed to them: 1 of 1$'
expect_err "rekey needed: run 'ssoescrow status --vault $V'"
expect_equal "$(audit_count "$V")" "$((count + 1))" "audit records after the departure"
DEPARTED=$(newest_record "$V")
expect_file_line "$DEPARTED" 'type: custodian-departed'
expect_file_line "$DEPARTED" "custodian: $FP_C"
expect_file_line "$DEPARTED" 'reason: left the company 2026-11-20'
expect_file_line "$DEPARTED" "seq: $((count + 1))"
expect_file_line "$DEPARTED" "end: $((count + 1))"
expect_file_line "$DEPARTED" "prev: $(basename "$(find "$V/audit" -name "$(printf '%010d' "$count")-*.rec")" .rec | cut -d- -f2)"
expect_mode "$(stat -c %a "$(find "$V/audit" -name '0000000001-*.rec')")" "$DEPARTED"
expect_mode 400 "$DEPARTED"
expect_equal "$(sha256sum "$DEPARTED" | cut -d' ' -f1)" "$(basename "$DEPARTED" .rec | cut -d- -f2)" \
    "name of the departure record"
DEPARTED_TIME=$(record_time "$V" $((count + 1)))
run 0 "$SSOESCROW" vault check --vault "$V" "${ST[@]}"
expect_out "vault $V: clean .*audit log $((count + 1)) records, chain intact"

# A damaged audit chain (one record of a copy edited, as by hand): 8 for a departure and for the
# reinstatement of carol (departed in the copy), nothing appended.
cp -r "$V" "$WORK/broken"
chmod -R u+w "$WORK/broken"
record=$(find "$WORK/broken/audit" -name '*.rec' | sort | sed -n 2p)
sed -i 's/^actor: \(.*\)$/actor: \1x/' "$record"
chmod 400 "$record"
BST=(--state-dir "$WORK/state-broken")
run 2 "$SSOESCROW" vault check --vault "$WORK/broken" "${BST[@]}"
expect_out 'audit-record-altered'
bcount=$(audit_count "$WORK/broken")
run 8 "$SSOESCROW" vault mark-departed --vault "$WORK/broken" --custodian bob.pub --reason "left" "${BST[@]}"
# Refused by the check every writer makes under the lock, before it reads or writes anything.
expect_err "the audit log of $WORK/broken is damaged \\(audit-record-altered: audit/[0-9]{10}-[0-9a-f]{64}\\.rec\\); refusing to write to the vault"
expect_err "hint: run 'ssoescrow vault check --vault $WORK/broken'"
run 8 "$SSOESCROW" vault reinstate --vault "$WORK/broken" --custodian carol.pub --reason "back" "${BST[@]}"
expect_err 'is damaged \(audit-record-altered: .*\); refusing to write to the vault'
# Answers that would write nothing are refused too: the chain they come from cannot be trusted.
run 8 "$SSOESCROW" vault mark-departed --vault "$WORK/broken" --custodian carol.pub --reason "left" "${BST[@]}"
run 8 "$SSOESCROW" vault reinstate --vault "$WORK/broken" --custodian alice.pub --reason "back" "${BST[@]}"
expect_equal "$(audit_count "$WORK/broken")" "$bcount" "audit records of the damaged vault"

# Idempotent: already departed (by NAME.pub, or the fingerprint in upper case), and a reinstatement
# of a custodian who is here, write nothing.
run 0 "$SSOESCROW" vault mark-departed --vault "$V" --custodian carol.pub --reason "left again" "${ST[@]}"
expect_out "^custodian carol \($FP_C\) was already marked departed on $DEPARTED_TIME by .* \(reason: left the company 2026-11-20\); nothing written$"
run 0 "$SSOESCROW" vault mark-departed --vault "$V" --custodian "${FP_C^^}" --reason "left again" "${ST[@]}"
expect_out 'already marked departed'
run 0 "$SSOESCROW" vault reinstate --vault "$V" --custodian bob.pub --reason "never left" "${ST[@]}"
expect_out "^custodian bob \($FP_B\) is not marked departed; nothing written$"
expect_equal "$(audit_count "$V")" "$((count + 1))" "audit records after the no-op commands"

# --- status with one departure: WARNING -------------------------------------------------------------
run 1 "$SSOESCROW" status --vault "$V" --no-state
expect_escrow "^WARNING  escrow-health: .*departed custodian carol \($FP_C\).*\(rekey needed\)"
expect_escrow "1 retained backup is sealed to departed custodian carol \($FP_C\) \(rekey needed\)"
expect_out '^  escrow-health: Rekey: '
run 1 "$SSOESCROW" status --vault "$V" --no-state --format json
cp "$WORK/out" "$WORK/status1.json"
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
fp_a, fp_b, fp_c, backup = sys.argv[2:6]
check = next(c for c in doc["vaults"][0]["checks"] if c["id"] == "escrow-health")
assert check["state"] == "warning", check
ev = check["evidence"]
assert ev["max_key_age"] == "730d", ev
by_fp = {c["fingerprint"]: c for c in ev["custodians"]}
assert set(by_fp) == {fp_a, fp_b, fp_c}, by_fp
assert by_fp[fp_c]["label"] == "carol", by_fp
d = by_fp[fp_c]["departed"]
assert d is not None and d["reason"] == "left the company 2026-11-20", d
assert isinstance(d["audit_seq"], int) and d["time"].endswith("Z"), d
assert by_fp[fp_a]["departed"] is None and by_fp[fp_b]["departed"] is None, by_fp
sealed = ev["backups_sealed_to_departed"]
assert [b["id"] for b in sealed] == [backup], sealed
assert sealed[0]["departed_custodians"] == [fp_c], sealed
assert sealed[0]["custodians_still_here"] == 2 and sealed[0]["openable_without_departed"] is True, sealed
' "$WORK/status1.json" "$FP_A" "$FP_B" "$FP_C" "$BACKUP_ID"
run 1 "$SSOESCROW" status --vault "$V" --no-state --format prometheus
expect_out "^ssoescrow_custodians_departed\{vault=\"$V\",secret_server=\"SSO1\"\} 1$"
expect_out "^ssoescrow_backups_sealed_to_departed\{vault=\"$V\",secret_server=\"SSO1\"\} 1$"
expect_out "^ssoescrow_check_state\{vault=\"$V\",secret_server=\"SSO1\",check=\"escrow-health\"\} 1$"
if command -v promtool >/dev/null; then
    run 0 bash -c "'$SSOESCROW' status --no-state --vault '$V' --format prometheus | promtool check metrics"
else
    echo "promtool not installed: Prometheus output not validated (Debian package prometheus)"
fi

# As of the backup (before the departure): escrow-health OK; as of the departure: WARNING.
CHECKS=$((CHECKS + 1))
[[ $DEPARTED_TIME > $BACKUP_TIME ]] || fail "departure $DEPARTED_TIME not after backup $BACKUP_TIME"
run 1 "$SSOESCROW" status --vault "$V" --as-of "$BACKUP_TIME"
expect_out "as of $BACKUP_TIME"
expect_escrow '^OK +escrow-health: 2 of 3 custodians needed'
run 1 "$SSOESCROW" status --vault "$V" --as-of "$DEPARTED_TIME"
expect_escrow "^WARNING  escrow-health: .*departed custodian carol"

# --- bob departs too: CRITICAL; reinstated: WARNING again -------------------------------------------
run 0 "$SSOESCROW" vault mark-departed --vault "$V" --custodian bob.pub --reason "moved to another team" "${ST[@]}"
expect_out "^marked departed: bob \($FP_B\) \(audit record $((count + 2))\)$"
expect_out '^custodians of the current policy not departed: 1 of 3 \(threshold 2\)$'
expect_err 'warning: fewer custodians than the threshold remain'
run 2 "$SSOESCROW" status --vault "$V" --no-state
expect_escrow '^CRITICAL escrow-health: only 1 of the 3 custodians is still here \(threshold 2\)'
expect_escrow "the newest backup $BACKUP_ID cannot be opened without a departed custodian"
run 2 "$SSOESCROW" status --vault "$V" --no-state --format prometheus
expect_out "^ssoescrow_custodians_departed\{vault=\"$V\",secret_server=\"SSO1\"\} 2$"
expect_out "^ssoescrow_check_state\{vault=\"$V\",secret_server=\"SSO1\",check=\"escrow-health\"\} 2$"
run 0 "$SSOESCROW" vault reinstate --vault "$V" --custodian bob.pub --reason "recorded in error" "${ST[@]}"
expect_out "^reinstated: bob \($FP_B\) \(audit record $((count + 3))\)$"
expect_out '^custodians of the current policy not departed: 2 of 3 \(threshold 2\)$'
REINSTATED=$(newest_record "$V")
expect_file_line "$REINSTATED" 'type: custodian-reinstated'
expect_file_line "$REINSTATED" "custodian: $FP_B"
expect_file_line "$REINSTATED" 'reason: recorded in error'
expect_mode 400 "$REINSTATED"
run 0 "$SSOESCROW" vault reinstate --vault "$V" --custodian bob.pub --reason "recorded in error" "${ST[@]}"
expect_out 'is not marked departed; nothing written'
expect_equal "$(audit_count "$V")" "$((count + 3))" "audit records after bob's departure and return"
run 1 "$SSOESCROW" status --vault "$V" --no-state
expect_escrow "^WARNING  escrow-health: .*departed custodian carol \($FP_C\)"
CHECKS=$((CHECKS + 1))
grep -E '^[A-Z]+ +escrow-health: ' "$WORK/out" | grep -q 'bob' && fail "bob is still reported after reinstate"
run 0 "$SSOESCROW" vault check --vault "$V" "${ST[@]}"
expect_out 'clean'

# --- Key age: max-key-age 1s ------------------------------------------------------------------------
wait_past "$(record_time "$K" 1)" 2  # a key age above max-key-age 1s
run 1 "$SSOESCROW" status --vault "$K" --no-state
expect_escrow "^WARNING  escrow-health: keys in the policy longer than 1s \(max-key-age\): .*carol \($FP_C\) for [0-9]+s"
run 1 "$SSOESCROW" status --vault "$K" --no-state --max-key-age 30d
expect_escrow '^OK +escrow-health: '
run 3 "$SSOESCROW" status --vault "$K" --no-state --max-key-age 0s
expect_err 'must be above 0s'
run 3 "$SSOESCROW" status --vault "$K" --no-state --max-key-age soon
expect_err '--max-key-age "soon" is not a duration'
# A departed custodian's key no longer counts (the departure itself is flagged instead).
run 0 "$SSOESCROW" vault mark-departed --vault "$K" --custodian carol.pub --reason "left" "${ST[@]}"
run 1 "$SSOESCROW" status --vault "$K" --no-state
expect_escrow '\(max-key-age\): .*alice'
CHECKS=$((CHECKS + 1))
grep -E '^[A-Z]+ +escrow-health: ' "$WORK/out" | grep -Eq '\(max-key-age\): [^;]*carol' &&
    fail "a departed custodian's key is still counted for max-key-age"

# --- No passphrase anywhere in the vaults or the state ----------------------------------------------
for name in alice bob carol dave; do
    CHECKS=$((CHECKS + 1))
    if grep -rlF -- "pass-$name" "$V" "$K" "$WORK/lockv" "$WORK/state" "$WORK/state-lockv" "$HOME"; then
        fail "the passphrase of $name appears in a vault or the state"
    fi
done

finish
