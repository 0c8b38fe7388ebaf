#!/usr/bin/env bash
# Jobs and monitoring after faults (a killed run, a writer at work, a tampered layout):
#   - `vault check`: a writer lock held by a live job is info (exit 0), a locks/ replaced by a
#     symbolic link is damage (directory-symlink), a config over its size ceiling is damage
#     (config-too-large);
#   - the abandoned-scratch cleanup skips and names an entry it cannot remove (a directory where
#     a .bak was expected) instead of failing every later backup and restore;
#   - the next writer removes the lock temp files of a dead run on its host, so `vault check`
#     returns to clean after a recovery;
#   - two extractions of one request in the same second get two receipts (test-hook builds); an
#     --extract receipt is not a drill for status's drill-age.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup --python

COMMON=(--vault "$WORK/v" --temp-dir "$WORK/tmp" --state-dir "$WORK/state")
HOST=$(hostname)
dead_pid() { sh -c 'echo $$'; }
lock_text() {  # HOST PID REFRESHED
    printf 'ssoescrow-lock 1\nid %s\nhost %s\npid %s\noperation backup\nstarted %s\nrefreshed %s\nttl 900\n' \
        "$(printf 'a%.0s' {1..32})" "$1" "$2" "$3" "$3"
}
now_text() { date +%s; }
random_hex() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

for name in alice bob; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --state-dir "$WORK/state"
run 0 "${EMU[@]}" admin init --standalone SSO1
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"
BACKUP=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --no-state

# --- a writer at work is not a problem ---------------------------------------------------------
mkdir -p "$WORK/v/locks"
lock_text "$HOST" $$ "$(now_text)" >"$WORK/v/locks/writer.lock"
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
expect_out '^info: locks/writer.lock: lock-held: held by backup on '
expect_out ': clean \('
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --no-state --json
cp "$WORK/out" "$WORK/doc.json"
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["result"] == "clean", doc
assert [(f["severity"], f["code"]) for f in doc["findings"]] == [("info", "lock-held")], doc
' "$WORK/doc.json"
# A lock whose process is gone is still a warning: the next writer must take it over.
lock_text "$HOST" "$(dead_pid)" "$(now_text)" >"$WORK/v/locks/writer.lock"
run 1 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
expect_out '^warning: locks/writer.lock: lock-stale: '
rm -f "$WORK/v/locks/writer.lock"

# --- locks/ replaced by a symbolic link is damage ----------------------------------------------
mv "$WORK/v/locks" "$WORK/locks-elsewhere"
ln -s "$WORK/locks-elsewhere" "$WORK/v/locks"
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
expect_out '^damaged: locks: directory-symlink: is a symbolic link'
rm "$WORK/v/locks"
mv "$WORK/locks-elsewhere" "$WORK/v/locks"
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --no-state

# --- a config over its size ceiling gets a finding code ----------------------------------------
cp -p "$WORK/v/config" "$WORK/config.good"
chmod u+w "$WORK/v/config"
head -c 200000 /dev/zero | tr '\0' 'x' >>"$WORK/v/config"
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
expect_out '^damaged: config: config-too-large: '
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --no-state --json
cp "$WORK/out" "$WORK/doc.json"
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["result"] == "damaged", doc
assert [f["code"] for f in doc["findings"]] == ["config-too-large"], doc
' "$WORK/doc.json"
cp -p "$WORK/config.good" "$WORK/v/config"
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --no-state

# --- the abandoned-scratch cleanup never blocks the job -----------------------------------------
BLOCKED="$WORK/tmp/ssoescrow-scratch-$(dead_pid)-Ab12cd"
mkdir -p "$BLOCKED/ssoescrow-$(random_hex).bak"
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"
expect_err "^ssoescrow: warning: backup: left $BLOCKED of an interrupted run: ssoescrow-[0-9a-f]{32}\.bak in it is not a file ssoescrow wrote"
CHECKS=$((CHECKS + 1))
[[ -d $BLOCKED ]] || fail "the cleanup removed a directory it could not prove its own"
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"

# --- recovery returns vault check to clean -------------------------------------------------------
# A run killed between writing a lock temp file and renaming it leaves its lock text there.
TEMP_DEAD="$WORK/v/locks/.tmp-$(random_hex)"
lock_text "$HOST" "$(dead_pid)" "$(now_text)" >"$TEMP_DEAD"
TEMP_OTHER="$WORK/v/locks/.tmp-$(random_hex)"
lock_text other-host 4242 "$(now_text)" >"$TEMP_OTHER"
run 1 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
expect_out "^warning: locks/\.tmp-[0-9a-f]{32}: temp-file: "
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"
expect_absent "$TEMP_DEAD"
CHECKS=$((CHECKS + 1))
[[ -f $TEMP_OTHER ]] || fail "another host's young lock temp file was removed"
rm -f "$TEMP_OTHER"
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --no-state

# --- an extraction is not a drill ------------------------------------------------------------------
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --backup "$BACKUP" --out "$WORK/req" \
    --purpose extract
run 0 approve alice "$WORK/req" "$WORK/alice.approval"
run 0 approve bob "$WORK/req" "$WORK/bob.approval"
APPLY=("$SSOESCROW" restore apply "$WORK/req" --vault "$WORK/v" --state-dir "$WORK/state"
    --temp-dir "$WORK/tmp" --approval "$WORK/alice.approval" --approval "$WORK/bob.approval")
extract_records() { { grep -l '^node: extract@' "$WORK"/v/audit/*.rec 2>/dev/null || true; } | wc -l; }
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    # Two extractions of one request within the same second are two events, two receipts.
    SAME_SECOND=$(($(date +%s) + 2))
    for n in 1 2; do
        run 0 env SSOESCROW_TEST_NOW=$SAME_SECOND "${APPLY[@]}" --extract "$WORK/extracted$n"
        CHECKS=$((CHECKS + 1))
        [[ -f $WORK/extracted$n/ssoescrow-$BACKUP.bak ]] || fail "extraction $n left no .bak"
    done
    expect_equal "$(extract_records)" 2 "extraction records of two runs in one second"
else
    run 0 "${APPLY[@]}" --extract "$WORK/extracted1"
fi
run 1 "$SSOESCROW" status --vault "$WORK/v" --no-state --format json
cp "$WORK/out" "$WORK/doc.json"
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
check = next(c for c in doc["vaults"][0]["checks"] if c["id"] == "drill-age")
assert check["state"] == "warning", check
assert check["observed"] == "never", check
assert check["evidence"]["drills_recorded"] == 0, check
' "$WORK/doc.json"

finish
