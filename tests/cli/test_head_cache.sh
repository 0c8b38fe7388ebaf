#!/usr/bin/env bash
# End-to-end tests of the writers' head cache (FORMAT.md 4.3 "Head cache"): a writer leaves
# verified-head next to latest-seen; the next writer starts from it; a vault whose history no
# longer matches it (a record removed below the head, an older copy put back, a fork) is refused
# exactly as without it, and `vault check` still verifies everything.
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
expect_equal "$(grep -c '^backup: ' "$CACHE")" 3 "cached verified backups"
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

# A record removed below the cached head: the listing shows the gap, the writer refuses.
second=$(find "$WORK/v/audit" -name '0000000002-*.rec')
mv "$second" "$WORK/removed.rec"
run 8 import
expect_err 'audit-gap'
mv "$WORK/removed.rec" "$second"
run 0 import

# A second record with an old seq (a fork): refused.
fork="$WORK/v/audit/0000000002-$(printf 'f%.0s' {1..64}).rec"
cp "$second" "$fork"
run 8 import
expect_err 'audit-fork'
rm -f "$fork"
run 0 import

# An old record edited in place (its name unchanged): the writers' listing cannot see it, which
# is why vault check verifies every record each time.
sed -i 's/^actor: /actor: x/' "$second"
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"
expect_out 'audit-record-altered'

finish
