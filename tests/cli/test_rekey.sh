#!/usr/bin/env bash
# End-to-end tests of the rekey ceremony (custodian turnover, FORMAT.md 4.10): `rekey request`,
# `rekey approve`, `rekey apply`, `rekey finish`, on a standalone secret server (the SSO emulator).
#   - request and approve: the policy change shown (added and removed marked), both fingerprints,
#     every backup; outputs 0600 and never overwritten; no terminal without --yes;
#   - 2-of-3 {alice,bob,carol} -> 2-of-3 {bob,carol,dave}: afterwards alice's restore approvals
#     are refused for every backup, dave's work, and the restored .bak and password are identical
#     to those before; status no longer asks for a rekey; backup hosts re-pin;
#   - 2-of-3 -> 3-of-5; a signer replaced;
#   - refusals: too few approvals, an approval of a removed custodian, a restore approval offered
#     to rekey apply and a rekey approval to restore apply, a stale ceremony (old policy no longer
#     current), a replayed request, an approval of another request;
#   - crash points throughout apply (test hooks) and kill -9: vault check clean or the documented
#     warnings, every backup restores with exactly one policy, the next writer finishes or rolls
#     back; a backup during the ceremony waits for the lock and is never lost.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR; SSOESCROW_HOOKS=1 when the binary has test hooks.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup --python

STATE="$WORK/state"
source "$(dirname "${BASH_SOURCE[0]}")/lib/rekey.sh"

for name in alice bob carol dave erin frank; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$STATE"
P0=$(policy_of "$WORK/v")
run 0 "${EMU[@]}" admin init --standalone SSO1
for i in 1 2; do
    run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
        --state-dir "$STATE"
done
mapfile -t BEFORE < <(verified_ids "$WORK/v")
expect_equal "${#BEFORE[@]}" 2 "backups before the rekey"
created_of() {
    "$SSOESCROW" vault list --vault "$1" --json |
        python3 -c 'import json,sys; print([b["created"] for b in json.load(sys.stdin)["backups"] if b["id"]==sys.argv[1]][0])' "$2"
}
CREATED1=$(created_of "$WORK/v" "${BEFORE[1]}")
CHECKS=$((CHECKS + 1))
extract "$WORK/v" "${BEFORE[0]}" "$WORK/x0" alice bob || fail "extraction before the rekey"
BAK0="$WORK/x0/ssoescrow-${BEFORE[0]}.bak"
PASS0="$WORK/x0/ssoescrow-${BEFORE[0]}.password"
run 0 "$SSOESCROW" vault mark-departed --vault "$WORK/v" --custodian alice.pub --reason "left" \
    --state-dir "$STATE"
"$SSOESCROW" status --vault "$WORK/v" --state-dir "$STATE" >"$WORK/out" 2>&1 || true
expect_out 'rekey needed'

# --- request ---------------------------------------------------------------------------------
# A second request made now, approved, and applied after the first: a stale ceremony.
run 0 "$SSOESCROW" rekey request --vault "$WORK/v" --remove carol.pub --add erin.pub \
    --out "$WORK/stale" --state-dir "$STATE"
run 0 "$SSOESCROW" rekey request --vault "$WORK/v" --remove alice.pub --add dave.pub \
    --reason "alice left" --out "$WORK/rk1" --state-dir "$STATE"
expect_out "^rekey request [0-9a-f]{32} written to $WORK/rk1$"
expect_out 'fingerprint: +([0-9a-f]{4}-){7}[0-9a-f]{4}$'
expect_out "old policy: +$P0"
expect_out "custodians: +2 of 3 -> 2 of 3"
expect_out "- 'alice' \([0-9a-f-]{39}\)  \[removed\]"
expect_out "\+ 'dave' \([0-9a-f-]{39}\)  \[added\]"
expect_out 'backups: +2 covered'
P1=$(grep -Eo 'new policy: +sha256:[0-9a-f]{64}' "$WORK/out" | grep -Eo 'sha256:[0-9a-f]{64}')
FPR1=$(grep -Eo '([0-9a-f]{4}-){7}[0-9a-f]{4}' "$WORK/out" | head -1)
expect_mode 600 "$WORK/rk1"
expect_mode 600 "$WORK/rk1.key"
CHECKS=$((CHECKS + 1))
head -1 "$WORK/rk1" | grep -qx 'ssoescrow-rekey-request/1' || fail "rekey request magic line"
cp "$WORK/rk1" "$WORK/rk1.copy"
run 6 "$SSOESCROW" rekey request --vault "$WORK/v" --add erin.pub --out "$WORK/rk1" --state-dir "$STATE"
expect_err 'already exists'
cmp -s "$WORK/rk1" "$WORK/rk1.copy" || fail "a rekey request was overwritten"
run 2 "$SSOESCROW" rekey request --vault "$WORK/v" --out "$WORK/rk0" --state-dir "$STATE"
expect_err 'nothing to rekey'
run 2 "$SSOESCROW" rekey request --vault "$WORK/v" --remove erin.pub --out "$WORK/rk0" --state-dir "$STATE"
expect_err 'is not a custodian of the vault'
run 2 "$SSOESCROW" rekey request --vault "$WORK/v" --threshold 4 --out "$WORK/rk0" --state-dir "$STATE"
expect_err 'the new policy'
expect_absent "$WORK/rk0"
expect_absent "$WORK/rk0.key"

# --- approve ---------------------------------------------------------------------------------
run 0 rk_approve alice "$WORK/rk1" "$WORK/alice.rk1" --vault "$WORK/v"
expect_out "rekey approval of custodian 'alice' \([0-9a-f-]{39}\) for request [0-9a-f]{32} \(2 backups\) written"
expect_err "fingerprint: +$FPR1"
expect_err "old policy: +$P0"
expect_err "new policy: +$P1"
expect_err 'reason: +alice left'
expect_err "custodian 'alice' \([0-9a-f-]{39}\)  \[REMOVED\]"
expect_err "\+ custodian 'dave' \([0-9a-f-]{39}\)  \[ADDED\]"
expect_err "${BEFORE[0]} of 20[0-9-]+T[0-9:]+Z, computer SSO1, MSID "
expect_err "${BEFORE[1]} of "
expect_err "signer '.*' \(.*\), a signer|signer '"
expect_mode 600 "$WORK/alice.rk1"
CHECKS=$((CHECKS + 1))
head -1 "$WORK/alice.rk1" | grep -qx 'ssoescrow-rekey-approval/1' || fail "rekey approval magic"
run 0 rk_approve bob "$WORK/rk1" "$WORK/bob.rk1"
expect_err 'old: as the covered backups show'
run 6 rk_approve bob "$WORK/rk1" "$WORK/bob.rk1"
expect_err 'already exists'
# Not a custodian of the old policy: named before any passphrase.
run 4 rk_approve dave "$WORK/rk1" "$WORK/dave.rk1"
expect_err "custodian 'dave'.*holds no share of any backup"
expect_absent "$WORK/dave.rk1"
# No terminal to confirm on.
run 2 "$SSOESCROW" rekey approve "$WORK/rk1" --identity "$WORK/carol.key" \
    --passphrase-file "$WORK/carol.pass" --out "$WORK/carol.rk1"
expect_err 'no terminal to confirm'
expect_absent "$WORK/carol.rk1"
# A rekey request is not a restore request, and the other way round.
run 6 approve carol "$WORK/rk1" "$WORK/carol.x"
expect_err 'is a rekey request, not a restore request'
run 0 rk_approve alice "$WORK/stale" "$WORK/alice.stale"
run 0 rk_approve bob "$WORK/stale" "$WORK/bob.stale"

# --- apply: refusals first (nothing changes) --------------------------------------------------
audit_count() { find "$1/audit" -name '*.rec' | wc -l; }
records_before=$(audit_count "$WORK/v")
run 4 "$SSOESCROW" rekey apply "$WORK/rk1" --vault "$WORK/v" --approval "$WORK/alice.rk1" \
    --state-dir "$STATE"
expect_err 'need 2 approvals for backup [0-9a-f]{32}, have 1'
# A restore approval never serves a rekey, and a rekey approval never a restore.
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/rreq" --purpose extract
run 0 approve carol "$WORK/rreq" "$WORK/carol.rapproval"
run 6 "$SSOESCROW" rekey apply "$WORK/rk1" --vault "$WORK/v" --approval "$WORK/alice.rk1" \
    --approval "$WORK/carol.rapproval" --state-dir "$STATE"
expect_err 'is a restore approval, not a rekey approval'
run 6 "$SSOESCROW" restore apply "$WORK/rreq" --vault "$WORK/v" --approval "$WORK/carol.rapproval" \
    --approval "$WORK/bob.rk1" --state-dir "$STATE" --extract "$WORK/x-mixed"
expect_err 'is a rekey approval'
expect_absent "$WORK/x-mixed"
# An approval of another rekey request (another nonce).
run 4 "$SSOESCROW" rekey apply "$WORK/rk1" --vault "$WORK/v" --approval "$WORK/alice.rk1" \
    --approval "$WORK/bob.stale" --state-dir "$STATE"
expect_err 'approves another rekey request'
# The wrong one-time key.
run 4 "$SSOESCROW" rekey apply "$WORK/rk1" --vault "$WORK/v" --key "$WORK/stale.key" \
    --approval "$WORK/alice.rk1" --approval "$WORK/bob.rk1" --state-dir "$STATE"
expect_err 'is the key of request'
expect_equal "$(audit_count "$WORK/v")" "$records_before" "audit records after refused applies"
expect_equal "$(policy_of "$WORK/v")" "$P0" "policy after refused applies"

# --- apply: 2-of-3 {alice,bob,carol} -> 2-of-3 {bob,carol,dave} ------------------------------
run 0 "$SSOESCROW" rekey apply "$WORK/rk1" --vault "$WORK/v" --approval "$WORK/alice.rk1" \
    --approval "$WORK/bob.rk1" --state-dir "$STATE"
expect_out 'committed \(audit record [0-9]+\) and finished: 2 backups sealed to the new policy'
expect_out "^  ${BEFORE[0]} -> [0-9a-f]{32}$"
expect_out "^  ${BEFORE[1]} -> [0-9a-f]{32}$"
expect_out "is now $P1"
expect_out "--expect-policy $P1"
expect_out 'still opens with the old custodians'
expect_out "ssoescrow rotate --vault $WORK/v"
expect_equal "$(policy_of "$WORK/v")" "$P1" "policy after the rekey"
expect_absent "$WORK/v/rekey"
check_vault "$WORK/v"
mapfile -t AFTER < <(verified_ids "$WORK/v")
expect_equal "${#AFTER[@]}" 2 "backups after the rekey"
for id in "${BEFORE[@]}"; do expect_absent "$WORK/v/envelopes/$id.envelope"; done
CHECKS=$((CHECKS + 1))
grep -l '^type: rekey$' "$WORK"/v/audit/*.rec | xargs grep -h '^old-backup: ' | sort |
    diff -q - <(printf 'old-backup: %s\n' "${BEFORE[@]}" | sort) >/dev/null || fail "rekey records"
CHECKS=$((CHECKS + 1))
grep -l '^type: policy-change$' "$WORK"/v/audit/*.rec | xargs grep -q "^rekey: $(sed -n 2p "$WORK/rk1" | cut -d' ' -f2)$" ||
    fail "the policy-change record does not name the request"
# Alice's restore approvals are refused for every backup; dave's work; the same .bak.
for id in "${AFTER[@]}"; do
    run 0 "$SSOESCROW" restore request --vault "$WORK/v" --backup "$id" --out "$WORK/r-$id" --purpose extract
    run 4 approve alice "$WORK/r-$id" "$WORK/r-$id.alice"
    expect_err 'holds no stanza'
done
NEW0=$(grep -l "^old-backup: ${BEFORE[0]}$" "$WORK"/v/audit/*.rec | xargs grep -h '^backup: ' | cut -d' ' -f2)
CHECKS=$((CHECKS + 1))
extract "$WORK/v" "$NEW0" "$WORK/x1" dave carol || fail "extraction after the rekey with dave"
cmp -s "$BAK0" "$WORK/x1/ssoescrow-$NEW0.bak" || fail "the .bak after the rekey differs"
cmp -s "$PASS0" "$WORK/x1/ssoescrow-$NEW0.password" || fail "the password after the rekey differs"
# Status: no rekey needed any more; the rekeyed backups keep their creation times.
"$SSOESCROW" status --vault "$WORK/v" --state-dir "$STATE" >"$WORK/out" 2>&1 || true
expect_out 'escrow-health'
CHECKS=$((CHECKS + 1))
grep -q 'rekey needed' "$WORK/out" && fail "status still asks for a rekey"
NEW1=$(grep -l "^old-backup: ${BEFORE[1]}$" "$WORK"/v/audit/*.rec | xargs grep -h '^backup: ' | cut -d' ' -f2)
expect_equal "$(created_of "$WORK/v" "$NEW1")" "$CREATED1" "creation time of the rekeyed backup"
"$SSOESCROW" status --vault "$WORK/v" --state-dir "$STATE" --json >"$WORK/status.json" 2>/dev/null || true
CHECKS=$((CHECKS + 1))
python3 - "$WORK/status.json" "$NEW1" "$CREATED1" <<'PY' || fail "status of the rekeyed backup"
import json, sys
found = []
def walk(node):
    if isinstance(node, dict):
        if node.get("id") == sys.argv[2]:
            found.append(node)
        for value in node.values():
            walk(value)
    elif isinstance(node, list):
        for value in node:
            walk(value)
walk(json.load(open(sys.argv[1])))
assert found, "the newest (rekeyed) backup is not in the status"
assert all(b["recorded_as"] == "rekey" and b["created"] == sys.argv[3] for b in found), found
PY
# Backup hosts pinned to the old policy refuse until re-pinned.
run 11 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" --state-dir "$STATE"
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$STATE" --expect-policy "$P1"

# --- stale ceremony, replay, a removed custodian ----------------------------------------------
run 6 "$SSOESCROW" rekey apply "$WORK/stale" --vault "$WORK/v" --approval "$WORK/alice.stale" \
    --approval "$WORK/bob.stale" --state-dir "$STATE"
expect_err 'a stale ceremony'
run 6 "$SSOESCROW" rekey apply "$WORK/rk1" --vault "$WORK/v" --approval "$WORK/alice.rk1" \
    --approval "$WORK/bob.rk1" --state-dir "$STATE"
expect_err 'was already applied'
run 6 rk_approve bob "$WORK/stale" "$WORK/bob.stale2" --vault "$WORK/v"
expect_err 'a stale rekey request'
# 2-of-3 -> 3-of-5: {bob,carol,dave} + erin + frank.
run 0 "$SSOESCROW" rekey request --vault "$WORK/v" --threshold 3 --add erin.pub --add frank.pub \
    --out "$WORK/rk2" --state-dir "$STATE"
expect_out 'custodians: +2 of 3 -> 3 of 5'
P2=$(grep -Eo 'new policy: +sha256:[0-9a-f]{64}' "$WORK/out" | grep -Eo 'sha256:[0-9a-f]{64}')
run 4 rk_approve alice "$WORK/rk2" "$WORK/alice.rk2"
expect_err 'holds no share of any backup'
run 0 rk_approve bob "$WORK/rk2" "$WORK/bob.rk2"
run 0 rk_approve dave "$WORK/rk2" "$WORK/dave.rk2"
# alice's old approval (of rk1) for a new ceremony: another request, refused.
run 4 "$SSOESCROW" rekey apply "$WORK/rk2" --vault "$WORK/v" --approval "$WORK/alice.rk1" \
    --approval "$WORK/bob.rk2" --state-dir "$STATE"
expect_err 'approves another rekey request'
run 0 "$SSOESCROW" rekey apply "$WORK/rk2" --vault "$WORK/v" --approval "$WORK/bob.rk2" \
    --approval "$WORK/dave.rk2" --state-dir "$STATE"
expect_out 'finished: 3 backups'
expect_equal "$(policy_of "$WORK/v")" "$P2" "policy after 2-of-3 -> 3-of-5"
check_vault "$WORK/v"
NEW0B=$(grep -l "^old-backup: $NEW0$" "$WORK"/v/audit/*.rec | xargs grep -h '^backup: ' | cut -d' ' -f2)
CHECKS=$((CHECKS + 1))
extract "$WORK/v" "$NEW0B" "$WORK/x-two" erin frank && fail "two approvals opened a 3-of-5 backup"
expect_absent "$WORK/x-two/ssoescrow-$NEW0B.bak"
CHECKS=$((CHECKS + 1))
extract "$WORK/v" "$NEW0B" "$WORK/x2" erin frank carol || fail "extraction after 3-of-5"
cmp -s "$BAK0" "$WORK/x2/ssoescrow-$NEW0B.bak" || fail "the .bak after 3-of-5 differs"
cmp -s "$PASS0" "$WORK/x2/ssoescrow-$NEW0B.password" || fail "the password after 3-of-5 differs"

# --- a signer replaced ------------------------------------------------------------------------
run 0 "$SSOESCROW" signer keygen --out "$WORK/ops.key" --name ops
HOST_FPR=$("$SSOESCROW" signer show --state-dir "$STATE" | grep -Eo '[0-9a-f]{4}(-[0-9a-f]{4}){7}' | head -1)
run 0 "$SSOESCROW" rekey request --vault "$WORK/v" --add-signer "$WORK/ops.key.pub" \
    --remove-signer "$HOST_FPR" --signing-key "$WORK/ops.key" --out "$WORK/rk3"
P3=$(grep -Eo 'new policy: +sha256:[0-9a-f]{64}' "$WORK/out" | grep -Eo 'sha256:[0-9a-f]{64}')
run 0 rk_approve bob "$WORK/rk3" "$WORK/bob.rk3"
run 0 rk_approve carol "$WORK/rk3" "$WORK/carol.rk3"
run 0 rk_approve erin "$WORK/rk3" "$WORK/erin.rk3"
run 6 "$SSOESCROW" rekey apply "$WORK/rk3" --vault "$WORK/v" --approval "$WORK/bob.rk3" \
    --approval "$WORK/carol.rk3" --approval "$WORK/erin.rk3" --state-dir "$STATE"
expect_err 'is not a signer of the new policy'
run 0 "$SSOESCROW" rekey apply "$WORK/rk3" --vault "$WORK/v" --approval "$WORK/bob.rk3" \
    --approval "$WORK/carol.rk3" --approval "$WORK/erin.rk3" --signing-key "$WORK/ops.key" \
    --state-dir "$STATE"
expect_equal "$(policy_of "$WORK/v")" "$P3" "policy after the signer change"
check_vault "$WORK/v"
# The old host key no longer signs for the vault.
run 6 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$STATE" --expect-policy "$P3"
expect_err 'is not a signer of the escrow policy'
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$STATE" --expect-policy "$P3" --signing-key "$WORK/ops.key"
check_vault "$WORK/v"
no_plaintext "$WORK/v"

# --- crash points throughout apply, kill -9, a backup during the ceremony ------------------------
# A fresh vault: 2-of-3 {alice,bob,carol} with two backups; one request and its approvals serve
# every copy of it (same vault id, same history).
run 0 "$SSOESCROW" vault init --vault "$WORK/c" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$WORK/cstate"
C0=$(policy_of "$WORK/c")
for i in 1 2; do
    run 0 "$SSOESCROW" backup --vault "$WORK/c" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
        --state-dir "$WORK/cstate"
done
mapfile -t CORIG < <(verified_ids "$WORK/c")
STATE="$WORK/cstate"
for id in "${CORIG[@]}"; do
    CHECKS=$((CHECKS + 1))
    extract "$WORK/c" "$id" "$WORK/cref-$id" alice bob || fail "reference extraction of $id"
done
run 0 "$SSOESCROW" rekey request --vault "$WORK/c" --remove alice.pub --add dave.pub \
    --out "$WORK/crk" --state-dir "$WORK/cstate"
C1=$(grep -Eo 'new policy: +sha256:[0-9a-f]{64}' "$WORK/out" | grep -Eo 'sha256:[0-9a-f]{64}')
run 0 rk_approve alice "$WORK/crk" "$WORK/alice.crk"
run 0 rk_approve bob "$WORK/crk" "$WORK/bob.crk"
cp -a "$WORK/c" "$WORK/c.pristine"
cp -a "$WORK/cstate" "$WORK/cstate.pristine"
fresh_copy() {
    rm -rf "$WORK/c" "$WORK/cstate"
    cp -a "$WORK/c.pristine" "$WORK/c"
    cp -a "$WORK/cstate.pristine" "$WORK/cstate"
}
capply() {
    "$SSOESCROW" rekey apply "$WORK/crk" --vault "$WORK/c" --approval "$WORK/alice.crk" \
        --approval "$WORK/bob.crk" --state-dir "$WORK/cstate" "$@"
}
# Every original backup still opens: it is verified itself, or a verified backup succeeds it;
# every verified backup is sealed to one of the two policies.
each_backup_restorable() {
    CHECKS=$((CHECKS + 1))
    "$SSOESCROW" vault list --vault "$WORK/c" --json >"$WORK/clist.json" 2>/dev/null ||
        { fail "$1: vault list"; return; }
    python3 - "$WORK/clist.json" "$C0" "$C1" "${CORIG[@]}" <<'PY' || fail "$1: a backup is not restorable"
import json, sys
doc = json.load(open(sys.argv[1]))
policies = {sys.argv[2], sys.argv[3]}
verified = [b for b in doc["backups"] if b["state"] == "verified"]
assert all(b["policy"] in policies for b in verified), "a verified backup of a third policy"
for orig in sys.argv[4:]:
    n = sum(1 for b in verified if b["id"] == orig or b["rekeyed_from"] == orig)
    assert n >= 1, "no verified backup for " + orig
PY
}
# After the next writer: the new policy, two verified rekeyed backups, a clean vault, and the
# first one restores with dave to the very .bak of before.
finished_ok() {
    expect_equal "$(policy_of "$WORK/c")" "$C1" "$1: policy"
    check_vault "$WORK/c" lock-stale
    expect_absent "$WORK/c/rekey"
    local new
    new=$(grep -l "^old-backup: ${CORIG[0]}$" "$WORK"/c/audit/*.rec | xargs grep -h '^backup: ' | cut -d' ' -f2)
    CHECKS=$((CHECKS + 1))
    rm -rf "$WORK/cx"
    extract "$WORK/c" "$new" "$WORK/cx" dave carol || { fail "$1: extraction"; return; }
    cmp -s "$WORK/cref-${CORIG[0]}/ssoescrow-${CORIG[0]}.bak" "$WORK/cx/ssoescrow-$new.bak" || fail "$1: the .bak differs"
}
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    # Before the commit: rolled back by the next writer (here prune), then applied again.
    for point in rekey-after-pending-envelope rekey-after-pending-envelope:2 \
        rekey-after-pending-config rekey-after-manifest after-temp-write:3; do
        fresh_copy
        run 137 env SSOESCROW_TEST_CRASH_AT=$point "$SSOESCROW" rekey apply "$WORK/crk" \
            --vault "$WORK/c" --approval "$WORK/alice.crk" --approval "$WORK/bob.crk" \
            --state-dir "$WORK/cstate"
        expect_equal "$(policy_of "$WORK/c")" "$C0" "$point: policy before the commit"
        check_vault "$WORK/c" rekey-pending lock-stale temp-file
        each_backup_restorable "$point"
        run 0 "$SSOESCROW" vault prune --vault "$WORK/c" --state-dir "$WORK/cstate"
        expect_absent "$WORK/c/rekey"
        check_vault "$WORK/c"
        expect_equal "$(verified_ids "$WORK/c" | sort | tr '\n' ' ')" "$(printf '%s\n' "${CORIG[@]}" | sort | tr '\n' ' ')" "$point: rolled back"
        run 0 capply
        finished_ok "$point"
    done
    # After the commit: other writers refuse (exit 8, naming rekey finish); rekey finish or the
    # same apply finishes it.
    n=0
    for point in rekey-after-commit rekey-after-config rekey-after-link rekey-after-link:2 \
        rekey-after-record rekey-after-prune-record rekey-after-unlink rekey-after-unlink:2 \
        rekey-before-cleanup; do
        fresh_copy
        run 137 env SSOESCROW_TEST_CRASH_AT=$point "$SSOESCROW" rekey apply "$WORK/crk" \
            --vault "$WORK/c" --approval "$WORK/alice.crk" --approval "$WORK/bob.crk" \
            --state-dir "$WORK/cstate"
        check_vault "$WORK/c" rekey-incomplete policy-change-incomplete envelope-orphan \
            prune-incomplete lock-stale
        CHECKS=$((CHECKS + 1))
        grep -q '"rekey-incomplete"' "$WORK/check.json" || fail "$point: no rekey-incomplete finding"
        each_backup_restorable "$point"
        run 8 "$SSOESCROW" vault prune --vault "$WORK/c" --state-dir "$WORK/cstate"
        expect_err "rekey finish --vault $WORK/c"
        run 8 "$SSOESCROW" backup --vault "$WORK/c" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
            --state-dir "$WORK/cstate"
        expect_err 'rekey finish'
        n=$((n + 1))
        if ((n % 2)); then
            run 0 "$SSOESCROW" rekey finish --vault "$WORK/c" --state-dir "$WORK/cstate"
            expect_out 'finished the rekey of request'
        else
            run 0 capply
            expect_out 'was committed earlier'
        fi
        finished_ok "$point"
    done
fi

# kill -9 at several moments: the next apply finishes, or rolls back and applies again.
for delay in 0.01 0.03 0.06 0.1 0.2; do
    fresh_copy
    # The binary itself in the background, not the capply function: kill -9 of a subshell would
    # leave the apply running while the vault is checked.
    "$SSOESCROW" rekey apply "$WORK/crk" --vault "$WORK/c" --approval "$WORK/alice.crk" \
        --approval "$WORK/bob.crk" --state-dir "$WORK/cstate" >"$WORK/kill.out" 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    check_vault "$WORK/c" rekey-pending rekey-incomplete policy-change-incomplete envelope-orphan \
        prune-incomplete lock-stale temp-file audit-head-ahead
    each_backup_restorable "kill -9 after ${delay}s"
    status=0
    capply >"$WORK/out" 2>"$WORK/err" || status=$?
    CHECKS=$((CHECKS + 1))
    if [[ $status -ne 0 ]] && ! grep -q 'was already applied' "$WORK/err"; then
        fail "apply after kill -9 at ${delay}s: exit $status: $(cat "$WORK/err")"
    fi
    finished_ok "kill -9 after ${delay}s"
done

# A backup during the ceremony: one that holds the lock makes apply wait; the backup is not
# covered, so apply leaves it sealed to the old policy (--leave-uncovered): nothing is lost.
fresh_copy
cat >"$WORK/slow-bridge" <<SH
#!/usr/bin/env bash
sleep 2
exec $SSO_EMULATOR --state $WORK/es "\$@"
SH
chmod 700 "$WORK/slow-bridge"
"$SSOESCROW" backup --vault "$WORK/c" --bridge "$WORK/slow-bridge" --temp-dir "$WORK/tmp" \
    --state-dir "$WORK/cstate" >"$WORK/slow.out" 2>&1 &
bpid=$!
sleep 0.7
run 0 capply --wait 60 --leave-uncovered
expect_out 'sealed as it was \(not covered'
wait "$bpid" || fail "the backup during the ceremony failed: $(cat "$WORK/slow.out")"
SLOW=$(grep -Eo '[0-9a-f]{32}' "$WORK/slow.out" | head -1)
expect_equal "$("$SSOESCROW" vault list --vault "$WORK/c" --json | python3 -c 'import json,sys; print([b["state"]+" "+b["policy"] for b in json.load(sys.stdin)["backups"] if b["id"]==sys.argv[1]][0])' "$SLOW")" "verified $C0" "the backup made during the ceremony"
check_vault "$WORK/c"
# A backup that starts while apply runs waits for the lock and seals to the policy current by
# then (a host that has not pinned the policy yet, so that either order is accepted).
for round in 1 2 3; do
    fresh_copy
    rm -rf "$WORK/host2"
    capply --wait 60 --leave-uncovered >"$WORK/apply.out" 2>&1 &
    apid=$!
    run 0 "$SSOESCROW" backup --vault "$WORK/c" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
        --state-dir "$WORK/host2" --signing-key "$WORK/cstate/signing.key" --wait 60
    NEWB=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
    wait "$apid" || fail "round $round: apply: $(cat "$WORK/apply.out")"
    CHECKS=$((CHECKS + 1))
    state=$("$SSOESCROW" vault list --vault "$WORK/c" --json | python3 -c 'import json,sys; print([b["state"]+" "+b["policy"] for b in json.load(sys.stdin)["backups"] if b["id"]==sys.argv[1]][0])' "$NEWB")
    [[ $state == "verified $C0" || $state == "verified $C1" ]] || fail "round $round: the concurrent backup is $state"
    check_vault "$WORK/c"
done
no_plaintext "$WORK/c"
finish
