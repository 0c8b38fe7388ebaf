#!/usr/bin/env bash
# End-to-end tests of `rekey apply --verify-custodians` (FORMAT.md 4.10): the new envelopes wait
# in VAULT/rekey/ until K2 new custodians prove with `rekey prove` that they open their shares,
# and only `rekey apply --proof` commits.
#   - prepared: nothing committed, the old policy current, every backup restorable as before;
#     writers keep the ceremony (a backup goes on, sealed to the old policy); `rekey finish` and
#     a second apply with approvals refuse it; vault check warns rekey-awaiting-proof;
#   - prove: only custodians of the new policy; a proof is 0600, never overwritten, and never
#     serves as an approval (nor an approval as a proof, nor a proof as a restore approval);
#   - commit: too few proofs refused; a backup sealed meanwhile is uncovered (refused unless
#     --leave-uncovered); a covered backup pruned meanwhile is dropped from the manifest; the
#     restored .bak after the commit is the one of before;
#   - proofs of an abandoned ceremony do not serve the next one; a config change meanwhile is
#     refused; `rekey abandon` leaves exactly the old state; an expired ceremony is rolled back
#     by the next writer; crash points during prepare and commit.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR; SSOESCROW_HOOKS=1 when the binary has test hooks.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup --python

STATE="$WORK/state"
source "$(dirname "${BASH_SOURCE[0]}")/lib/rekey.sh"
HOOKS=${SSOESCROW_HOOKS:-0}
prove() {
    local name=$1 request=$2 out=$3
    shift 3
    "$SSOESCROW" rekey prove "$request" --vault "$WORK/v" --identity "$WORK/$name.key" \
        --passphrase-file "$WORK/$name.pass" --out "$out" "$@"
}
backup() {
    "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
        --state-dir "$STATE" "$@"
}

for name in alice bob carol dave; do keygen "$name"; done
# With test hooks the vault and its first backup are 50 days old, so that a prune during the
# ceremony removes that backup (keep-last 2 once a third backup exists).
THEN=()
[[ $HOOKS == 1 ]] && THEN=(env SSOESCROW_TEST_NOW=$(($(date +%s) - 50 * 86400)))
run 0 "${THEN[@]}" "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --keep-last 2 --min-retained 1 --state-dir "$STATE"
P0=$(policy_of "$WORK/v")
run 0 "${EMU[@]}" admin init --standalone SSO1
run 0 "${THEN[@]}" "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$STATE"
run 0 backup
mapfile -t BEFORE < <(verified_ids "$WORK/v")
expect_equal "${#BEFORE[@]}" 2 "backups before the rekey"
OLDEST=$("$SSOESCROW" vault list --vault "$WORK/v" --json |
    python3 -c 'import json,sys; print(min(json.load(sys.stdin)["backups"], key=lambda b: b["created"])["id"])')
NEWEST=$(printf '%s\n' "${BEFORE[@]}" | grep -v "$OLDEST")
CHECKS=$((CHECKS + 1))
extract "$WORK/v" "$NEWEST" "$WORK/x0" alice bob || fail "extraction before the rekey"

run 0 "$SSOESCROW" vault mark-departed --vault "$WORK/v" --custodian alice.pub --reason "left" \
    --state-dir "$STATE"
run 0 "$SSOESCROW" rekey request --vault "$WORK/v" --remove alice.pub --add dave.pub \
    --reason "alice left" --out "$WORK/rk" --state-dir "$STATE"
P1=$(grep -Eo 'new policy: +sha256:[0-9a-f]{64}' "$WORK/out" | grep -Eo 'sha256:[0-9a-f]{64}')
run 0 rk_approve alice "$WORK/rk" "$WORK/alice.rk"
run 0 rk_approve bob "$WORK/rk" "$WORK/bob.rk"
cp -a "$WORK/v" "$WORK/v.pristine"
cp -a "$STATE" "$WORK/state.pristine"
fresh_copy() {
    rm -rf "$WORK/v" "$STATE"
    cp -a "$WORK/v.pristine" "$WORK/v"
    cp -a "$WORK/state.pristine" "$STATE"
}
prepare() {
    "$SSOESCROW" rekey apply "$WORK/rk" --vault "$WORK/v" --approval "$WORK/alice.rk" \
        --approval "$WORK/bob.rk" --verify-custodians --state-dir "$STATE" "$@"
}
# commit_with NAME... [--OPTION...]: rekey apply --proof with NAME's proofs.
commit_with() {
    local args=()
    for a in "$@"; do
        if [[ $a == --* ]]; then args+=("$a"); else args+=(--proof "$WORK/$a.rkproof"); fi
    done
    "$SSOESCROW" rekey apply "$WORK/rk" --vault "$WORK/v" --state-dir "$STATE" "${args[@]}"
}

# --- prepare: nothing committed, writers go on ------------------------------------------------
run 0 prepare
expect_out 'prepared: 2 backups sealed to the new policy'
expect_out 'nothing is committed yet'
expect_out "ssoescrow rekey prove $WORK/rk --vault $WORK/v --identity NAME.key"
expect_out "ssoescrow rekey apply $WORK/rk --vault $WORK/v --proof NAME.rkproof"
expect_equal "$(policy_of "$WORK/v")" "$P0" "policy while awaiting proof"
CHECKS=$((CHECKS + 1))
head -1 "$WORK/v/rekey/awaiting-proof" | grep -qx 'ssoescrow-rekey-awaiting-proof/1' ||
    fail "the awaiting-proof file"
check_vault "$WORK/v" rekey-awaiting-proof
CHECKS=$((CHECKS + 1))
grep -q '"rekey-awaiting-proof"' "$WORK/check.json" || fail "no rekey-awaiting-proof finding"
# Monitoring sees it too: the integrity finding, and escrow-health's fix for the departure is to
# finish this ceremony, not to start another.
"$SSOESCROW" status --vault "$WORK/v" --state-dir "$STATE" >"$WORK/out" 2>&1 || true
expect_out 'rekey-awaiting-proof'
expect_out 'awaits proof from the new custodians until'
CHECKS=$((CHECKS + 1))
grep -q "Rekey: 'ssoescrow rekey request" "$WORK/out" && fail "status asks for a new rekey request"
expect_equal "$(verified_ids "$WORK/v" | sort | tr '\n' ' ')" "$(printf '%s\n' "${BEFORE[@]}" | sort | tr '\n' ' ')" "backups while awaiting proof"
run 6 "$SSOESCROW" rekey finish --vault "$WORK/v" --state-dir "$STATE"
expect_err 'awaits proof from the new custodians'
expect_err 'rekey abandon'
run 6 prepare
expect_err 'it is prepared already'
# A backup job goes on, sealed to the old policy; the ceremony is kept.
run 0 backup
MEANWHILE=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
expect_equal "$("$SSOESCROW" vault list --vault "$WORK/v" --json | python3 -c 'import json,sys; print([b["state"]+" "+b["policy"] for b in json.load(sys.stdin)["backups"] if b["id"]==sys.argv[1]][0])' "$MEANWHILE")" "verified $P0" "a backup while awaiting proof"
CHECKS=$((CHECKS + 1))
[[ -f $WORK/v/rekey/manifest ]] || fail "a backup removed the ceremony awaiting proof"

# --- prove -------------------------------------------------------------------------------------
run 4 prove alice "$WORK/rk" "$WORK/alice.rkproof"
expect_err 'is not a custodian of the new policy'
expect_absent "$WORK/alice.rkproof"
run 0 prove dave "$WORK/rk" "$WORK/dave.rkproof"
expect_out 'can open your share of all 2 pending envelopes'
expect_mode 600 "$WORK/dave.rkproof"
CHECKS=$((CHECKS + 1))
head -1 "$WORK/dave.rkproof" | grep -qx 'ssoescrow-rekey-proof/1' || fail "rekey proof magic line"
cp "$WORK/dave.rkproof" "$WORK/dave.copy"
run 6 prove dave "$WORK/rk" "$WORK/dave.rkproof"
expect_err 'already exists'
cmp -s "$WORK/dave.rkproof" "$WORK/dave.copy" || fail "a proof was overwritten"
run 0 prove carol "$WORK/rk" "$WORK/carol.rkproof"
no_plaintext "$WORK/dave.rkproof"

# --- commit: refusals first (nothing changes) ---------------------------------------------------
run 4 commit_with dave
expect_err 'need 2 proofs for backup'
run 6 "$SSOESCROW" rekey apply "$WORK/rk" --vault "$WORK/v" --state-dir "$STATE" \
    --proof "$WORK/alice.rk" --proof "$WORK/dave.rkproof"
expect_err 'is a rekey approval \(an old custodian.s\), not a rekey proof'
run 2 "$SSOESCROW" rekey apply "$WORK/rk" --vault "$WORK/v" --state-dir "$STATE" \
    --approval "$WORK/alice.rk" --proof "$WORK/dave.rkproof"
expect_err 'give it without --approval'
# A proof never serves as a restore approval.
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --backup "$NEWEST" --out "$WORK/rq" --purpose extract
status=0
"$SSOESCROW" restore apply "$WORK/rq" --vault "$WORK/v" --state-dir "$STATE" \
    --approval "$WORK/dave.rkproof" --approval "$WORK/carol.rkproof" --extract "$WORK/xbad" \
    >"$WORK/out" 2>"$WORK/err" || status=$?
CHECKS=$((CHECKS + 1))
[[ $status -ne 0 ]] || fail "a rekey proof served as a restore approval"
expect_absent "$WORK/xbad/ssoescrow-$NEWEST.bak"
# The backup sealed meanwhile is not covered.
run 6 commit_with dave carol
expect_err "does not cover verified backup\(s\) $MEANWHILE"
expect_equal "$(policy_of "$WORK/v")" "$P0" "policy after refused commits"
if [[ $HOOKS == 1 ]]; then
    # A covered backup pruned while awaiting proof (the 50-day-old one) is dropped at the commit;
    # a crash right after the manifest is rewritten leaves a ceremony that still commits.
    run 0 "$SSOESCROW" vault prune --vault "$WORK/v" --state-dir "$STATE"
    expect_absent "$WORK/v/envelopes/$OLDEST.envelope"
    run 137 env SSOESCROW_TEST_CRASH_AT=rekey-after-manifest-rewrite "$SSOESCROW" rekey apply \
        "$WORK/rk" --vault "$WORK/v" --state-dir "$STATE" --proof "$WORK/dave.rkproof" \
        --proof "$WORK/carol.rkproof" --leave-uncovered
    check_vault "$WORK/v" rekey-awaiting-proof lock-stale
    CHECKS=$((CHECKS + 1))
    grep -c '^backup: ' "$WORK/v/rekey/manifest" | grep -qx 1 || fail "the manifest was not rewritten"
fi

# --- commit ------------------------------------------------------------------------------------
run 0 "$SSOESCROW" rekey apply "$WORK/rk" --vault "$WORK/v" --state-dir "$STATE" \
    --proof "$WORK/dave.rkproof" --proof "$WORK/carol.rkproof" --leave-uncovered
expect_out 'proven: every pending envelope opened with the shares of'
expect_out 'committed \(audit record [0-9]+\) and finished'
expect_out "^  $NEWEST -> [0-9a-f]{32}$"
expect_out "left $MEANWHILE sealed as it was"
[[ $HOOKS == 1 ]] || expect_out "^  $OLDEST -> [0-9a-f]{32}$"
expect_equal "$(policy_of "$WORK/v")" "$P1" "policy after the proven commit"
CHECKS=$((CHECKS + 1))
[[ $(grep -l '^type: policy-change$' "$WORK"/v/audit/*.rec | xargs grep -h '^proven: ' | wc -l) == 2 ]] ||
    fail "the policy-change record does not name the two custodians who proved"
expect_absent "$WORK/v/rekey"
check_vault "$WORK/v"
NEW=$(grep -l "^old-backup: $NEWEST$" "$WORK"/v/audit/*.rec | xargs grep -h '^backup: ' | cut -d' ' -f2)
CHECKS=$((CHECKS + 1))
extract "$WORK/v" "$NEW" "$WORK/x1" dave carol || fail "extraction after the proven rekey"
cmp -s "$WORK/x0/ssoescrow-$NEWEST.bak" "$WORK/x1/ssoescrow-$NEW.bak" || fail "the .bak after the rekey differs"
cmp -s "$WORK/x0/ssoescrow-$NEWEST.password" "$WORK/x1/ssoescrow-$NEW.password" ||
    fail "the password after the rekey differs"
run 6 commit_with dave carol
expect_err 'no rekey of request [0-9a-f]{32} awaits proof'

# --- abandon; proofs of an abandoned ceremony; a config change meanwhile ------------------------
fresh_copy
run 0 "$SSOESCROW" rekey abandon --vault "$WORK/v" --state-dir "$STATE"
expect_out "no rekey ceremony in $WORK/v"
run 0 prepare
run 0 "$SSOESCROW" rekey abandon --vault "$WORK/v" --state-dir "$STATE"
expect_out 'removed the uncommitted rekey ceremony of request'
expect_absent "$WORK/v/rekey"
expect_equal "$(policy_of "$WORK/v")" "$P0" "policy after abandon"
check_vault "$WORK/v"
# Prepared again with the same approvals: the earlier proofs name other pending envelopes.
run 0 prepare
run 4 commit_with dave carol
expect_err 'need 2 proofs for backup'
run 0 "$SSOESCROW" vault config set --vault "$WORK/v" --state-dir "$STATE" --reason test \
    keep-last=3
rm -f "$WORK/dave.rkproof" "$WORK/carol.rkproof"
run 0 prove dave "$WORK/rk" "$WORK/dave.rkproof"
run 0 prove carol "$WORK/rk" "$WORK/carol.rkproof"
run 6 commit_with dave carol
expect_err 'changed while the ceremony awaited proof'
expect_equal "$(policy_of "$WORK/v")" "$P0" "policy after a refused commit"

if [[ $HOOKS == 1 ]]; then
    # An expired ceremony is rolled back by the next writer.
    fresh_copy
    run 0 prepare
    run 0 env SSOESCROW_TEST_NOW=$(($(date +%s) + 31 * 86400)) "$SSOESCROW" vault prune \
        --vault "$WORK/v" --state-dir "$STATE" --dry-run
    CHECKS=$((CHECKS + 1))
    [[ -d $WORK/v/rekey ]] || fail "a read-only command removed the ceremony"
    run 0 env SSOESCROW_TEST_NOW=$(($(date +%s) + 31 * 86400)) "$SSOESCROW" vault prune \
        --vault "$WORK/v" --state-dir "$STATE"
    expect_absent "$WORK/v/rekey"
    expect_equal "$(policy_of "$WORK/v")" "$P0" "policy after an expired ceremony"
    # Crash points of the prepare: before the manifest, the next writer rolls it back; after
    # it, the ceremony awaits proof and commits.
    fresh_copy
    run 137 env SSOESCROW_TEST_CRASH_AT=rekey-after-awaiting-proof "$SSOESCROW" rekey apply \
        "$WORK/rk" --vault "$WORK/v" --approval "$WORK/alice.rk" --approval "$WORK/bob.rk" \
        --verify-custodians --state-dir "$STATE"
    check_vault "$WORK/v" rekey-pending lock-stale
    run 0 "$SSOESCROW" vault prune --vault "$WORK/v" --state-dir "$STATE"
    expect_absent "$WORK/v/rekey"
    fresh_copy
    run 137 env SSOESCROW_TEST_CRASH_AT=rekey-after-manifest "$SSOESCROW" rekey apply \
        "$WORK/rk" --vault "$WORK/v" --approval "$WORK/alice.rk" --approval "$WORK/bob.rk" \
        --verify-custodians --state-dir "$STATE"
    check_vault "$WORK/v" rekey-awaiting-proof lock-stale
    run 0 backup --wait 0
    rm -f "$WORK/dave.rkproof" "$WORK/carol.rkproof"
    run 0 prove dave "$WORK/rk" "$WORK/dave.rkproof"
    run 0 prove carol "$WORK/rk" "$WORK/carol.rkproof"
    run 0 commit_with dave carol --leave-uncovered
    expect_out 'committed \(audit record [0-9]+\) and finished: [12] backups'
    expect_equal "$(policy_of "$WORK/v")" "$P1" "policy after a crash while preparing"
    check_vault "$WORK/v"
fi
no_plaintext "$WORK/v"
finish
