#!/usr/bin/env bash
# End-to-end tests of `restore apply` with this host's head cache (FORMAT.md 4.3 "Head cache",
# 4.9): the backup it opens is verified from the cached state, the records after the cached head
# and its own envelope only, so the rest of the vault is not read (an old envelope or an old
# record altered in place is for `vault check` to find), and its departed-approver warning comes
# from the cache's departed lines; a chosen envelope that is not the one its record announced, a
# cache that does not match the history, and a rolled-back vault are refused as without the cache.
# Env: SSOESCROW, TESTS_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

source "$(dirname "${BASH_SOURCE[0]}")/lib/head_cache.sh"
ids=()
for _ in 1 2 3; do
    run 0 "$SSOESCROW" import --vault "$WORK/v" --state-dir "$WORK/state" --bak "$WORK/a.bak" \
        --password-file "$WORK/bak.pw"
    ids+=("$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)")
done
OLD=${ids[0]}
CHOSEN=${ids[2]}
expect_equal "$(grep -c '^backup: ' "$BACKUPS")" 3 "cached verified backups"

run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req" --backup "$CHOSEN" \
    --reason "drill with the head cache" --purpose drill
run 0 approve alice "$WORK/req" "$WORK/alice.approval"
run 0 approve bob "$WORK/req" "$WORK/bob.approval"
drill() {
    "$SSOESCROW" restore apply "$WORK/req" --vault "$WORK/v" --state-dir "$WORK/state" \
        --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" --drill
}
records() { find "$WORK/v/audit" -name '*.rec' | wc -l; }
# flip FILE OFFSET_FROM_END: one bit of the file changed in place (its name unchanged).
flip() {
    chmod u+w "$1"
    python3 -c '
import sys
p, back = sys.argv[1], int(sys.argv[2]); b = bytearray(open(p, "rb").read())
b[len(b) - back] ^= 0x01
open(p, "wb").write(b)' "$1" "$2"
}

run 0 drill
expect_out "^drill of backup $CHOSEN passed on "
expect_equal "$(sed -n 's/^seq: //p' "$CACHE")" "$(records)" "cached head after the drill"
expect_equal "$(grep -c '^backup: ' "$BACKUPS")" 3 "cached backups after the drill"

# A departed custodian's approval: the warning comes from the cache's departed line.
run 0 "$SSOESCROW" vault mark-departed --vault "$WORK/v" --custodian "$WORK/bob.pub" \
    --reason "left the company" --state-dir "$WORK/state"
expect_equal "$(grep -c '^departed: ' "$CACHE")" 1 "cached departed custodians"
run 0 drill
expect_err "the approval of custodian [0-9a-f-]{39} counts although they were marked departed on .* \\(left the company\\)"
run 0 "$SSOESCROW" vault reinstate --vault "$WORK/v" --custodian "$WORK/bob.pub" \
    --reason "recorded in error" --state-dir "$WORK/state"
expect_equal "$(grep -c '^departed: ' "$CACHE")" 0 "cached departed custodians after reinstating"
run 0 drill
CHECKS=$((CHECKS + 1))
grep -q 'marked departed' "$WORK/err" && fail "a reinstated custodian is still warned about"

# An old envelope altered (not the chosen one): the drill does not read it; vault check finds it.
old_envelope="$WORK/v/envelopes/$OLD.envelope"
cp -p "$old_envelope" "$WORK/old.envelope"
flip "$old_envelope" 10
run 0 drill
expect_out "^drill of backup $CHOSEN passed on "
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"
expect_out "^damaged: envelopes/$OLD.envelope: envelope-signature-invalid: .*altered"
cp -p "$WORK/old.envelope" "$old_envelope"

# An old record altered in place (its name unchanged): below the cached head, so the drill does
# not read it either, which is why vault check verifies every record each time...
second=$(find "$WORK/v/audit" -name '0000000002-*.rec')
cp -p "$second" "$WORK/second.rec"
chmod u+w "$second"
sed -i 's/^actor: /actor: x/' "$second"
run 0 drill
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"
expect_out 'audit-record-altered'
# ... and a cache that does not match the history (another head record than the witness's)
# vouches for nothing: the whole chain is verified, and the altered record refused.
sed -i "s/^record: .*/record: $(printf 'f%.0s' {1..64})/" "$CACHE"
before=$(records)
run 8 drill
expect_err 'the audit log of .* is damaged \(audit-record-altered'
expect_equal "$(records)" "$before" "records after a refused drill"
# So does no cache at all.
rm -f "$CACHE"
run 8 drill
expect_err 'audit-record-altered'
cp -p "$WORK/second.rec" "$second"
# The full verification once, and the cache written again for the next run.
run 0 drill
expect_equal "$(sed -n 's/^seq: //p' "$CACHE")" "$(records)" "cache rewritten after the full run"
expect_equal "$(grep -c '^backup: ' "$BACKUPS")" 3 "cached backups after the full run"

# The chosen envelope altered: not the file its record announced, never opened.
chosen_envelope="$WORK/v/envelopes/$CHOSEN.envelope"
cp -p "$chosen_envelope" "$WORK/chosen.envelope"
flip "$chosen_envelope" 10
before=$(records)
run 8 drill
expect_err "backup $CHOSEN is not verified \(damaged, .*\(altered\)\): it is never restored"
expect_equal "$(records)" "$before" "records after a refused drill"
cp -p "$WORK/chosen.envelope" "$chosen_envelope"
run 0 drill

# A cache whose line for the chosen backup names another envelope (edited: its digest in
# verified-head no longer matches, so the cache is not used): the full catalog decides, and the
# envelope is verified.
cp -p "$BACKUPS" "$WORK/cache.saved"
sed -i "s/^\\(backup: $CHOSEN [0-9]*\\) [0-9a-f]\\{64\\}/\\1 $(printf '0%.0s' {1..64})/" "$BACKUPS"
CHECKS=$((CHECKS + 1))
cmp -s "$BACKUPS" "$WORK/cache.saved" && fail "the cache's backup line was not changed"
run 0 drill
expect_out "^drill of backup $CHOSEN passed on "

# An older copy of the vault put back: refused as a rollback with the cache as without it.
cp -a "$WORK/v" "$WORK/v-old"
run 0 drill
rm -rf "$WORK/v" && cp -a "$WORK/v-old" "$WORK/v"
before=$(records)
run 8 drill
expect_err 'audit-rolled-back'
expect_equal "$(records)" "$before" "records after a refused drill on a rolled-back vault"

finish
