#!/usr/bin/env bash
# End-to-end tests of the writers' head cache (FORMAT.md 4.3 "Head cache"): a writer leaves
# verified-head next to latest-seen; the next writer starts from it and finds the records after it
# from the vault's audit head; a vault whose history no longer matches it (an older copy put
# back, its head gone) is refused exactly as without it, damage below the head is for `vault
# check` and for every writer that lists audit/, and `vault check` still verifies everything.
# Env: SSOESCROW, TESTS_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

source "$(dirname "${BASH_SOURCE[0]}")/lib/head_cache.sh"
import() {
    "$SSOESCROW" import --vault "$WORK/v" --state-dir "$WORK/state" --bak "$WORK/a.bak" \
        --password-file "$WORK/bak.pw" "$@"
}
records() { find "$WORK/v/audit" -name '*.rec' | wc -l; }
head_name() { find "$WORK/v/audit" -name '*.rec' | sort | tail -1; }

for _ in 1 2 3; do run 0 import; done
CHECKS=$((CHECKS + 1))
[[ -f $CACHE ]] || fail "no verified-head after a write"
expect_mode 600 "$CACHE"
expect_equal "$(sed -n 's/^seq: //p' "$CACHE")" "$(records)" "cached head seq"
expect_equal "$(sed -n 's/^record: //p' "$CACHE")" \
    "$(basename "$(head_name)" .rec | cut -d- -f2)" "cached head hash"
expect_equal "$(grep -c '^backup: ' "$BACKUPS")" 3 "cached verified backups"
expect_mode 600 "$BACKUPS"
expect_equal "$(sed -n 's/^backups: \([0-9]*\) .*/\1/p' "$CACHE")" 3 "backups the verified head describes"
expect_equal "$(sed -n 's/^backups: [0-9]* \([0-9]*\) .*/\1/p' "$CACHE")" "$(wc -c <"$BACKUPS")" \
    "bytes of verified-backups the verified head describes"

# A write that only adds a backup appends its line; the lines before it are kept as they were.
cp "$BACKUPS" "$WORK/backups.before"
run 0 import
CHECKS=$((CHECKS + 1))
cmp -s "$WORK/backups.before" <(head -c "$(wc -c <"$WORK/backups.before")" "$BACKUPS") ||
    fail "verified-backups was not appended to"
expect_equal "$(grep -c '^backup: ' "$BACKUPS")" 4 "cached verified backups after an import"
# Bytes past what the verified head describes (an append whose head was never written) are not
# part of the cache: the next write rewrites the file without them.
printf 'backup: torn' >>"$BACKUPS"
run 0 import
expect_equal "$(grep -c '^backup: ' "$BACKUPS")" 5 "cached verified backups after a torn append"
run 1 grep -q 'torn' "$BACKUPS"
expect_equal "$(sed -n 's/^backups: [0-9]* \([0-9]*\) .*/\1/p' "$CACHE")" "$(wc -c <"$BACKUPS")" \
    "verified-backups rewritten whole"
expect_equal "$(sed -n 's/^seq: //p' "$WORK/state/$VID/latest-seen")" "$(records)" "latest-seen seq"

# A copy of the vault as it is now, for the rollback below.
cp -a "$WORK/v" "$WORK/v-old"
run 0 import
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"

# An older copy put back: refused (exit 8) with the cache as without it; nothing written, the
# witness and the cache kept.
rm -rf "$WORK/v" && cp -a "$WORK/v-old" "$WORK/v"
before=$(records)
seen_before=$(cat "$WORK/state/$VID/latest-seen")
run 8 import
expect_err 'audit-rolled-back'
expect_equal "$(records)" "$before" "records after a refused write to a rolled-back vault"
expect_equal "$(cat "$WORK/state/$VID/latest-seen")" "$seen_before" "witness after the refusal"
rm -f "$CACHE"
run 8 import
expect_err 'audit-rolled-back'
run 0 "$SSOESCROW" vault accept-rollback --vault "$WORK/v" --state-dir "$WORK/state" \
    --reason "restored on purpose in a test"
run 0 import

# A record removed below the cached head. The writer finds the records after its cached head from
# the audit head, without listing audit/ (FORMAT.md 4.3 "Audit head"), and relies on nothing below
# it: it goes on. vault check finds the gap, and so does every writer that lists: one without a
# cache is refused.
second=$(find "$WORK/v/audit" -name '0000000002-*.rec')
mv "$second" "$WORK/removed.rec"
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
expect_out 'audit-gap'
run 0 import
mv "$CACHE" "$WORK/cache.saved"
run 8 import
expect_err 'audit-gap'
mv "$WORK/removed.rec" "$second"
mv "$WORK/cache.saved" "$CACHE"
run 0 import

# A second record with an old seq (a fork): the same.
fork="$WORK/v/audit/0000000002-$(printf 'f%.0s' {1..64}).rec"
cp "$second" "$fork"
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
expect_out 'audit-fork'
run 0 import
mv "$CACHE" "$WORK/cache.saved"
run 8 import
expect_err 'audit-fork'
rm -f "$fork"
mv "$WORK/cache.saved" "$CACHE"
run 0 import

# The audit head: 0600, replaced by every append before its record, naming the newest record.
AUDIT_HEAD="$WORK/v/audit-head"
expect_mode 600 "$AUDIT_HEAD"
expect_equal "$(sed -n 's/^seq: //p' "$AUDIT_HEAD")" "$(records)" "audit head seq"
expect_equal "$(sed -n 's/^record: //p' "$AUDIT_HEAD")" \
    "$(basename "$(head_name)" .rec | cut -d- -f2)" "audit head hash"

# A writer that does not keep it (or an older audit head put back): vault check calls it damage,
# since writers would extend the log from the older record; removed, the next writer lists audit/
# and writes it anew.
cp "$AUDIT_HEAD" "$WORK/audit-head.old"
run 0 import
cp "$WORK/audit-head.old" "$AUDIT_HEAD"
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
expect_out 'audit-head-behind'
expect_out "remove audit-head"
rm -f "$AUDIT_HEAD"
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --no-state  # no audit head: a vault from before it
run 0 import
expect_equal "$(sed -n 's/^seq: //p' "$AUDIT_HEAD")" "$(records)" "audit head rewritten"
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"

# An append killed between its audit head and its record: the audit head names a record that was
# never written (a warning), the writer's lock is stale; the next writer breaks it, lists audit/
# (no fork, no leftover) and writes the audit head anew.
before=$(records)
SSOESCROW_TEST_CRASH_AT=append-after-audit-head import >/dev/null 2>&1 &
wait $! && fail "the crash point did not stop the import"
expect_equal "$(records)" "$before" "records after the killed append"
run 1 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
expect_out 'audit-head-ahead'
expect_out 'lock-stale'
run 0 import
expect_err 'took over a stale writer lock'
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"
expect_equal "$(sed -n 's/^seq: //p' "$AUDIT_HEAD")" "$(records)" "audit head after the recovery"

# An old record edited in place (its name unchanged): the writers' listing cannot see it, which
# is why vault check verifies every record each time.
sed -i 's/^actor: /actor: x/' "$second"
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"
expect_out 'audit-record-altered'

finish
