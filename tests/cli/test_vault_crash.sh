#!/usr/bin/env bash
# The vault under crashes and leftover locks:
#   - `vault unlock`: not locked; a stale lock removed and audit-logged; a live lock refused
#     (exit 7) with the --force hint; --force removes a live or unreadable lock, audit-logged;
#   - crash points in `vault init` and `vault prune` (test-hook builds): the vault is never
#     half-made or damaged, and the command can be run again;
#   - a real kill -9 loop: backups killed at random moments; after each, `vault check` finds no
#     damage and the next backup succeeds. SSOESCROW_KILL9_ROUNDS sets the number of rounds
#     (default 12 here; the long opt-in run in README "Development" uses 500).
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR; SSOESCROW_HOOKS=1 when the binary has test hooks.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup

COMMON=(--vault "$WORK/v" --temp-dir "$WORK/tmp" --state-dir "$WORK/state")
HOST=$(hostname)

# check_not_damaged WHAT: `vault check` exits 0 (clean) or 1 (warnings), never 2 (damaged).
check_not_damaged() {
    local status=0
    "$SSOESCROW" vault check --vault "$WORK/v" --no-state >"$WORK/check.out" 2>&1 || status=$?
    CHECKS=$((CHECKS + 1))
    [[ $status -le 1 ]] || { fail "vault damaged after $1"; cat "$WORK/check.out" >&2; }
}
lock_text() {  # HOST PID REFRESHED
    printf 'ssoescrow-lock 1\nid %s\nhost %s\npid %s\noperation backup\nstarted %s\nrefreshed %s\nttl 900\n' \
        "$(printf 'a%.0s' {1..32})" "$1" "$2" "$3" "$3"
}
overrides() { { grep -l '^type: lock-override' "$WORK"/v/audit/*.rec 2>/dev/null || true; } | wc -l; }

for name in alice bob; do keygen "$name"; done

# --- Crash points of vault init ----------------------------------------------------------------
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    for point in init-after-config init-after-audit after-temp-write after-rename; do
        rm -rf "$WORK/v"
        status=0
        SSOESCROW_TEST_CRASH_AT=$point "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 \
            --recipient alice.pub --recipient bob.pub --state-dir "$WORK/state" >/dev/null 2>&1 ||
            status=$?
        CHECKS=$((CHECKS + 1))
        [[ $status -eq 137 ]] || fail "vault init crashing at $point: exit $status"
        # The config is the commit point: before it the directory is not taken for a vault
        # (refused, with the hint to remove it and run init again); after it the vault is
        # complete and usable (at worst a stale lock, taken over by the next writer).
        status=0
        "$SSOESCROW" vault list --vault "$WORK/v" >"$WORK/out" 2>"$WORK/err" || status=$?
        if [[ -e $WORK/v/config ]]; then
            CHECKS=$((CHECKS + 1))
            [[ $status -eq 0 ]] || fail "vault complete after $point but list exits $status"
            check_not_damaged "init crashing at $point"
            run 0 "${EMU[@]}" admin init --standalone SSO1
            run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"
            rm -rf "$WORK/es"
        else
            CHECKS=$((CHECKS + 1))
            [[ $status -ne 0 ]] || fail "a vault without config listed after $point"
            expect_err "vault init"
        fi
    done
fi
rm -rf "$WORK/v"
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --state-dir "$WORK/state"
run 0 "${EMU[@]}" admin init --standalone SSO1

# --- vault unlock ------------------------------------------------------------------------------
run 0 "$SSOESCROW" vault unlock --vault "$WORK/v"
expect_out 'was not locked'
mkdir -p "$WORK/v/locks"
lock_text "$HOST" 999999 "$(date +%s)" >"$WORK/v/locks/writer.lock"  # pid 999999: not running
before=$(overrides)
run 0 "$SSOESCROW" vault unlock --vault "$WORK/v"
expect_out 'removed the stale lock of backup on .* \(pid 999999'
expect_absent "$WORK/v/locks/writer.lock"
CHECKS=$((CHECKS + 1))
[[ $(overrides) -eq $((before + 1)) ]] || fail "stale unlock not audit-logged"
lock_text other-host 4242 "$(date +%s)" >"$WORK/v/locks/writer.lock"
run 7 "$SSOESCROW" vault unlock --vault "$WORK/v"
expect_err 'is locked by host other-host pid 4242'
expect_err "hint: .*ssoescrow vault unlock --vault $WORK/v --force"
run 7 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"
expect_err "vault unlock --vault $WORK/v --force"
run 0 "$SSOESCROW" vault unlock --vault "$WORK/v" --force
expect_err 'warning: removed the lock of backup on other-host .* by force; recorded in the audit log'
CHECKS=$((CHECKS + 1))
grep -q 'reason: live lock removed by force' "$WORK"/v/audit/*.rec || fail "forced unlock not audit-logged"
echo garbage >"$WORK/v/locks/writer.lock"
run 3 "$SSOESCROW" vault unlock --vault "$WORK/v"
expect_err "hint: .*vault unlock --vault $WORK/v --force"
run 0 "$SSOESCROW" vault unlock --vault "$WORK/v" --force
expect_out 'removed an unreadable lock file by force'
CHECKS=$((CHECKS + 1))
grep -q 'reason: malformed lock file removed' "$WORK"/v/audit/*.rec || fail "malformed unlock not audit-logged"
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"

# --- Crash points of prune ---------------------------------------------------------------------
# Backups "made" 40 days ago (SSOESCROW_TEST_NOW) in a vault keeping the newest 2: a prune now
# removes the older ones, one prune record and one unlink each.
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    past=$(($(date +%s) - 40 * 86400))
    for point in prune-after-record prune-after-unlink; do
        rm -rf "$WORK/p" "$WORK/pstate"
        run 0 env SSOESCROW_TEST_NOW=$past "$SSOESCROW" vault init --vault "$WORK/p" --threshold 2 \
            --recipient alice.pub --recipient bob.pub --keep-last 2 --keep-within 1d \
            --min-retained 2 --min-retention 7d --critical-backup-age 3d --state-dir "$WORK/pstate"
        for i in 1 2 3 4; do
            run 0 env SSOESCROW_TEST_NOW=$((past + i)) "$SSOESCROW" backup --vault "$WORK/p" \
                --temp-dir "$WORK/tmp" --state-dir "$WORK/pstate" --bridge "$BRIDGE" --no-prune
        done
        before=$(find "$WORK/p/envelopes" -name '*.envelope' | wc -l)
        status=0
        SSOESCROW_TEST_CRASH_AT=$point:2 "$SSOESCROW" vault prune --vault "$WORK/p" \
            --state-dir "$WORK/pstate" >/dev/null 2>&1 || status=$?
        CHECKS=$((CHECKS + 1))
        [[ $status -eq 137 ]] || fail "prune did not reach $point twice (exit $status)"
        status=0
        "$SSOESCROW" vault check --vault "$WORK/p" --no-state >"$WORK/check.out" 2>&1 || status=$?
        CHECKS=$((CHECKS + 1))
        [[ $status -le 1 ]] || { fail "vault damaged after prune crashed at $point"; cat "$WORK/check.out" >&2; }
        if [[ $point == prune-after-record ]]; then
            # The record is written, the file not yet removed: a warning the next prune finishes.
            CHECKS=$((CHECKS + 1))
            grep -q 'prune-incomplete' "$WORK/check.out" || fail "no prune-incomplete warning after $point"
        fi
        run 0 "$SSOESCROW" vault prune --vault "$WORK/p" --state-dir "$WORK/pstate"
        after=$(find "$WORK/p/envelopes" -name '*.envelope' | wc -l)
        CHECKS=$((CHECKS + 1))
        [[ $after -eq 2 && $before -gt 2 ]] || fail "after $point and a second prune: $before -> $after envelopes, expected 2 kept"
        run 0 "$SSOESCROW" vault check --vault "$WORK/p" --no-state
    done
fi

# --- kill -9 at random moments -------------------------------------------------------------------
rounds=${SSOESCROW_KILL9_ROUNDS:-12}
killed=0
for ((i = 1; i <= rounds; i++)); do
    "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" --wait 30 >/dev/null 2>&1 &
    pid=$!
    sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
    if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
    wait "$pid" 2>/dev/null || true
    # The bridge child is in its own process group; let it finish before checking.
    for _ in $(seq 50); do pgrep -f -- "--state $WORK/es" >/dev/null || break; sleep 0.1; done
    check_not_damaged "kill -9 round $i"
done
echo "kill -9 loop: $rounds rounds, $killed killed mid-run"
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" --wait 30
CHECKS=$((CHECKS + 1))
[[ $(find "$WORK/tmp" -mindepth 1 | wc -l) -eq 0 ]] || fail "scratch directories left after recovery"
check_not_damaged "the kill -9 loop"

finish
