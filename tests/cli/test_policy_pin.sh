#!/usr/bin/env bash
# End-to-end tests of what every writer proves before it writes (issue 12, vault/writer.hpp):
#   - attack 2: the config rewritten to K=1 with the attacker's key (checksum recomputed) is
#     refused by every writer with exit 8, naming both fingerprints, on a host that never pinned;
#   - the policy pin: learned on first use (policy-pin in the state directory), then refused
#     (exit 11) after a config rewrite that an attacker also "audit-logged" with a forged
#     policy-change record; a deliberate change is accepted with --expect-policy NEW once;
#   - attack 3: an older copy of the vault put back is refused by every writer (exit 8), the
#     witness is not overwritten, `vault check` keeps reporting it; `vault accept-rollback` is
#     the explicit, audit-logged way past a deliberate restore.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup --python

FORGE="$TESTS_DIR/cli/lib/forge_vault.py"
V="$WORK/v"
envelope_count() { find "$V/envelopes" -name '*.envelope' | wc -l; }
# job STATE_DIR CMD [ARGS]: backup/rotate on this vault as the host whose state is STATE_DIR.
job() {
    local state=$1 command=$2
    shift 2
    "$SSOESCROW" "$command" --vault "$V" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
        --state-dir "$state" "$@"
}
fingerprint_of() { grep -Eo 'sha256:[0-9a-f]{64}' "$WORK/out" | head -1; }

for name in alice bob carol mallory; do keygen "$name"; done
# Every host below that writes (with its own state directory) is a signer of each policy, as the
# hosts of a cluster are listed at init: what is tested here is the policy and the history.
SIGNERS=()
for host in host fresh witness other; do
    "$SSOESCROW" signer show --state-dir "$WORK/$host" >"$WORK/$host.signer" ||
        fail "signer show --state-dir $WORK/$host"
    SIGNERS+=(--signer "$WORK/$host.signer")
done
run 0 "$SSOESCROW" vault init --vault "$V" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$WORK/admin" "${SIGNERS[@]}"
POLICY=$(fingerprint_of)
VAULT_ID=$(grep -Eo '^vault id: [0-9a-f]{32}' "$WORK/out" | cut -d' ' -f3)
# The host that made the vault pins its policy.
CHECKS=$((CHECKS + 1))
grep -qx 'by: vault-init' "$WORK/admin/$VAULT_ID/policy-pin" || fail "vault init did not pin"
# The attacker's own policy: K=1, their key alone (made in a vault of their own).
run 0 "$SSOESCROW" vault init --vault "$WORK/evil" --threshold 1 --allow-single-custodian \
    --recipient mallory.pub --state-dir "$WORK/evil-state" "${SIGNERS[@]}"
EVIL=$(fingerprint_of)
# A legitimate new policy (3 of 3), for the deliberate change below.
run 0 "$SSOESCROW" vault init --vault "$WORK/next" --threshold 3 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$WORK/next-state" "${SIGNERS[@]}"
NEXT=$(fingerprint_of)
run 0 "${EMU[@]}" admin init --standalone SSO1

# --- The pin is learned on first use ------------------------------------------------------------
H="$WORK/host"  # the backup host's state directory
run 0 job "$H" backup
expect_err "first use on this host: pinned escrow policy $POLICY"
PIN="$H/$VAULT_ID/policy-pin"
expect_mode 600 "$PIN"
expect_mode 700 "$H/$VAULT_ID"
CHECKS=$((CHECKS + 1))
[[ $(head -1 "$PIN") == ssoescrow-policy-pin/1 && $(sed -n 2p "$PIN") == "vault: $VAULT_ID" &&
    $(sed -n 3p "$PIN") == "policy: $POLICY" && $(sed -n 5p "$PIN") == "by: first-use" ]] ||
    { fail "policy-pin content"; cat "$PIN" >&2; }
run 0 job "$H" backup
CHECKS=$((CHECKS + 1))
grep -q 'pinned escrow policy' "$WORK/err" && fail "the pin was learned twice"
cp -a "$V" "$WORK/v-good"
BACKUPS=$(envelope_count)

# --- Attack 2: config rewritten to K=1 with the attacker's key, checksum recomputed ------------
run 0 python3 "$FORGE" swap-policy "$V" "$WORK/evil"
run 2 "$SSOESCROW" vault check --vault "$V" --no-state
expect_out 'config-not-recorded'
# A host that never pinned anything: before, this committed a backup the attacker alone opens.
run 8 job "$WORK/fresh" backup
expect_err "the escrow policy in the config of $V is $EVIL, but the audit log records $POLICY"
expect_err 'refusing to write to the vault'
expect_err 'hint: treat the vault as tampered with'
expect_absent "$WORK/fresh/$VAULT_ID/policy-pin"
run 8 job "$H" backup
run 8 job "$H" backup --expect-policy "$EVIL"
run 8 job "$H" rotate
printf '{"protocol":"ssoescrow-bridge/1","file":"%s","password":"%s","reminder":"by hand"}' \
    "$WORK/hand.bak" "Import-Password-77" | "${EMU[@]}" backup >/dev/null
make_passphrase_file "$WORK/hand.pw" "Import-Password-77"
run 8 "$SSOESCROW" import --vault "$V" --bak "$WORK/hand.bak" --password-file "$WORK/hand.pw" \
    --state-dir "$WORK/fresh"
expect_err "is $EVIL, but the audit log records $POLICY"
run 8 "$SSOESCROW" vault prune --vault "$V" --state-dir "$WORK/fresh"
run 8 "$SSOESCROW" vault mark-departed --vault "$V" --custodian alice.pub --reason "left" \
    --state-dir "$WORK/fresh"
run 8 "$SSOESCROW" vault unlock --vault "$V" --force --state-dir "$WORK/fresh"
# A restore's receipt is a write too: the drill is refused before anything is decrypted.
run 0 "$SSOESCROW" restore request --vault "$V" --out "$WORK/req" --reason "pin test"
run 0 approve alice "$WORK/req" "$WORK/alice.approval"
run 0 approve bob "$WORK/req" "$WORK/bob.approval"
run 8 "$SSOESCROW" restore apply "$WORK/req" --vault "$V" --approval "$WORK/alice.approval" \
    --approval "$WORK/bob.approval" --drill --state-dir "$WORK/fresh"
expect_err "but the audit log records $POLICY"
expect_equal "$(envelope_count)" "$BACKUPS" "envelopes after the refused writes"
CHECKS=$((CHECKS + 1))
grep -lq 'type: \(drill\|prune\|custodian-departed\|lock-override\)' "$V"/audit/*.rec &&
    fail "a refused writer left an audit record"

# --- The pin: the rewrite "audit-logged" with a forged record is refused (exit 11) -------------
run 0 python3 "$FORGE" record-policy-change "$V"
run 0 "$SSOESCROW" vault check --vault "$V" --no-state  # the forgery is self-consistent
run 11 job "$H" backup
expect_err "the escrow policy of vault $V is $EVIL, but this host pinned $POLICY on .* \(first-use, $PIN\)"
expect_err "hint: if the custodians or threshold were changed on purpose, compare $EVIL .* --expect-policy $EVIL, which pins it"
run 11 job "$H" rotate
run 11 job "$H" backup --expect-policy "$POLICY"
expect_equal "$(envelope_count)" "$BACKUPS" "envelopes after the refused pin"
expect_equal "$(sed -n 3p "$PIN")" "policy: $POLICY" "the pin after a refusal"

# --- A deliberate policy change: --expect-policy NEW once re-learns the pin ---------------------
rm -rf "$V" && cp -a "$WORK/v-good" "$V"
run 0 python3 "$FORGE" swap-policy "$V" "$WORK/next"   # stands in for a policy-change command
run 0 python3 "$FORGE" record-policy-change "$V"
run 11 job "$H" backup
run 0 job "$H" backup --expect-policy "$NEXT"
expect_err "this host now pins policy $NEXT"
expect_equal "$(sed -n 3p "$PIN")" "policy: $NEXT" "the pin after --expect-policy"
expect_equal "$(sed -n 5p "$PIN")" "by: expect-policy" "the pin's source"
run 0 job "$H" backup
run 11 job "$H" backup --expect-policy "$POLICY"

# --- Attack 3: an older copy of the vault put back ----------------------------------------------
rm -rf "$V" && cp -a "$WORK/v-good" "$V"
W="$WORK/witness"
run 0 "$SSOESCROW" vault check --vault "$V" --state-dir "$W"
cp -a "$V" "$WORK/v-old"
run 0 job "$W" backup --expect-policy "$POLICY"
run 0 "$SSOESCROW" vault check --vault "$V" --state-dir "$W"
SEEN="$W/$VAULT_ID/latest-seen"
cp "$SEEN" "$WORK/seen-before"
rm -rf "$V" && cp -a "$WORK/v-old" "$V"
BACKUPS=$(envelope_count)
run 2 "$SSOESCROW" vault check --vault "$V" --state-dir "$W"
expect_out 'audit-rolled-back'
# Before, this committed and moved the witness back: the next check said clean.
run 8 job "$W" backup --expect-policy "$POLICY"
expect_err "refusing to write to vault $V \(audit-rolled-back\): the audit log ends at record [0-9]+ but record [0-9]+ was seen"
expect_err "hint: nothing was written; put back the newest copy of the vault"
expect_err "ssoescrow vault accept-rollback --vault $V --reason TEXT"
run 8 job "$W" rotate --expect-policy "$POLICY"
run 8 "$SSOESCROW" import --vault "$V" --bak "$WORK/hand.bak" --password-file "$WORK/hand.pw" \
    --state-dir "$W"
run 8 "$SSOESCROW" vault prune --vault "$V" --state-dir "$W"
run 8 "$SSOESCROW" vault mark-departed --vault "$V" --custodian alice.pub --reason "left" \
    --state-dir "$W"
run 8 "$SSOESCROW" restore apply "$WORK/req" --vault "$V" --approval "$WORK/alice.approval" \
    --approval "$WORK/bob.approval" --drill --state-dir "$W"
expect_equal "$(envelope_count)" "$BACKUPS" "envelopes after the refused writes"
run 0 cmp "$SEEN" "$WORK/seen-before"
run 2 "$SSOESCROW" vault check --vault "$V" --state-dir "$W"
expect_out 'audit-rolled-back'
# A host that never saw the newer history writes (it cannot know); the log now has the seen
# length again but another history: still refused here, still reported.
run 0 job "$WORK/other" backup --expect-policy "$POLICY"
run 2 "$SSOESCROW" vault check --vault "$V" --state-dir "$W"
expect_out 'audit-history-rewritten'
run 8 job "$W" backup --expect-policy "$POLICY"
expect_err 'audit-history-rewritten'
run 0 cmp "$SEEN" "$WORK/seen-before"

# --- The deliberate way past it: vault accept-rollback (explicit, audit-logged) ----------------
run 2 "$SSOESCROW" vault accept-rollback --vault "$V" --state-dir "$W"
run 0 "$SSOESCROW" vault accept-rollback --vault "$V" --state-dir "$W" \
    --reason "vault restored from the nightly copy after the disk failure"
expect_out "^accepted: the audit log of $V now ends at record [0-9]+ \(rollback-accepted\)"
expect_err 'warning: accepted audit-history-rewritten'
newest=$(ls "$V"/audit/*.rec | sort | tail -1)
CHECKS=$((CHECKS + 1))
grep -q '^type: rollback-accepted$' "$newest" &&
    grep -q "^seen-record: $(sed -n 's/^record: //p' "$WORK/seen-before")$" "$newest" &&
    grep -q '^reason: vault restored from the nightly copy after the disk failure$' "$newest" ||
    { fail "rollback-accepted record"; cat "$newest" >&2; }
run 0 "$SSOESCROW" vault check --vault "$V" --state-dir "$W"
run 0 job "$W" backup --expect-policy "$POLICY"
run 6 "$SSOESCROW" vault accept-rollback --vault "$V" --state-dir "$W" --reason "again"
expect_err 'nothing to accept'
# Every other witness still sees the rollback until it is accepted there too.
run 2 "$SSOESCROW" vault check --vault "$V" --state-dir "$H"
expect_out 'audit-(rolled-back|history-rewritten)'

finish
