#!/usr/bin/env bash
# Job results in the system log (README "System log"): with --log-syslog every job result goes
# there with its event ID and level (backup, rotate, import committed or failed, a skipped backup,
# restore apply drill and failure, status WARNING/CRITICAL/UNKNOWN and nothing for OK); without it
# nothing on Linux; --no-log-syslog wins; a system log that refuses the event is a warning, not a
# failed job; no generated password ever reaches it. The sink is redirected to a file with the
# test hook SSOESCROW_TEST_SYSTEM_LOG (platform/system_log.hpp), so no syslog daemon is needed.
# Env: SSOESCROW, SSO_EMULATOR, SSOESCROW_HOOKS=1.
[[ -n ${SSO_EMULATOR:-} && -x ${SSO_EMULATOR} ]] || { echo "no SSO emulator: skipped"; exit 77; }
[[ ${SSOESCROW_HOOKS:-} == 1 ]] || { echo "needs a build with test hooks: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
export HOME="$WORK/home"
unset XDG_STATE_HOME
mkdir -p "$HOME" "$WORK/tmp" "$WORK/spy"
umask 077

SYSLOG=$WORK/system.log
export SSOESCROW_TEST_SYSTEM_LOG=$SYSLOG
EMU=("$SSO_EMULATOR" --state "$WORK/es")
BRIDGE="$SSO_EMULATOR --state $WORK/es"
SPY_BRIDGE="python3 $TESTS_DIR/cli/lib/spy_bridge.py $WORK/spy $BRIDGE"
COMMON=(--vault "$WORK/v" --temp-dir "$WORK/tmp" --state-dir "$WORK/state")

# expect_event ID LEVEL REGEX: the newest line of the system log.
expect_event() {
    CHECKS=$((CHECKS + 1))
    local last
    last=$(tail -1 "$SYSLOG" 2>/dev/null)
    [[ $last =~ ^ssoescrow$'\t'$1$'\t'$2$'\t'$3 ]] || fail "system log: expected $1 $2 /$3/, got '$last'"
}
# expect_lines N: the system log holds N lines.
expect_lines() {
    CHECKS=$((CHECKS + 1))
    local n=0
    [[ -f $SYSLOG ]] && n=$(wc -l <"$SYSLOG")
    [[ $n -eq $1 ]] || fail "system log: expected $1 lines, got $n: $(cat "$SYSLOG" 2>/dev/null)"
}

for name in alice bob carol; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$WORK/state"
run 0 "${EMU[@]}" admin init --standalone SSO1

echo "--- off by default on Linux; --no-log-syslog wins"
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE"
expect_lines 0
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" --log-syslog --no-log-syslog
expect_lines 0

echo "--- backup, rotate, import: committed and failed"
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$SPY_BRIDGE" --log-syslog
ID=$(grep -Eo '^backup [0-9a-f]{32}' "$WORK/out" | cut -d' ' -f2)
expect_event 1000 information "ssoescrow backup $ID committed \\(vault $WORK/v\\): current MSID \\{"
run 0 "$SSOESCROW" rotate "${COMMON[@]}" --bridge "$SPY_BRIDGE" --log-syslog
expect_event 1010 information 'ssoescrow rotate [0-9a-f]{32} committed'
run 0 "${EMU[@]}" admin fail-next garbage --op backup
run 9 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$SPY_BRIDGE" --log-syslog
expect_event 1002 error "ssoescrow backup FAILED \\(vault $WORK/v\\) \\(exit 9\\): SSO bridge 'backup' failed: .*What to do: run the bridge by hand"
run 2 "$SSOESCROW" rotate "${COMMON[@]}" --bridge "$BRIDGE" --log-syslog --bridge-timeout 0
expect_event 1012 error 'ssoescrow rotate FAILED .*\(exit 2\): --bridge-timeout'
run 5 "$SSOESCROW" import --vault "$WORK/not-a-vault" --state-dir "$WORK/state" \
    --bak "$WORK/missing.bak" --password-file "$WORK/alice.pass" --log-syslog
CHECKS=$((CHECKS + 1))
tail -1 "$SYSLOG" | grep -qP '^ssoescrow\t1022\terror\tssoescrow import FAILED' ||
    fail "import failure: $(tail -1 "$SYSLOG")"
# An import that commits: a .bak the emulator wrote, with its password in a file.
(umask 077 && printf 'Import-Password-1234\n' >"$WORK/bak.pass")
printf '{"protocol":"ssoescrow-bridge/1","file":"%s","password":"Import-Password-1234","reminder":"r"}' \
    "$WORK/hand.bak" | "${EMU[@]}" backup >/dev/null
run 0 "$SSOESCROW" import "${COMMON[@]}" --bak "$WORK/hand.bak" --password-file "$WORK/bak.pass" \
    --log-syslog
expect_event 1020 information 'ssoescrow import [0-9a-f]{32} committed'

echo "--- a skipped backup on a passive cluster node"
run 0 "$SSO_EMULATOR" --state "$WORK/cl" admin init --cluster CLU --group SSO --network-name SSOVNN \
    --nodes NODE1,NODE2
run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$SSO_EMULATOR --state $WORK/cl --node NODE2" \
    --skip-on-passive-node --log-syslog
expect_event 1001 information 'ssoescrow backup skipped'

echo "--- restore apply: a drill, and a failure"
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req"
for name in alice bob; do
    run 0 "$SSOESCROW" restore approve "$WORK/req" --identity "$WORK/$name.key" \
        --passphrase-file "$WORK/$name.pass" --out "$WORK/$name.approval" --yes
done
run 0 "$SSOESCROW" restore apply "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/bob.approval" --drill --state-dir "$WORK/state" --log-syslog
expect_event 1031 information 'ssoescrow drill of backup [0-9a-f]{32} .*passed on node'
run 4 "$SSOESCROW" restore apply "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --drill --state-dir "$WORK/state" --log-syslog
expect_event 1032 error 'ssoescrow restore FAILED .*\(exit 4\)'

echo "--- status: nothing when OK, the summary otherwise"
lines=$(wc -l <"$SYSLOG")
run 0 "$SSOESCROW" status --vault "$WORK/v" --state-dir "$WORK/state" --log-syslog
expect_lines "$lines"
run 0 "${EMU[@]}" admin rotate-without-backup
run 2 "$SSOESCROW" status --vault "$WORK/v" --state-dir "$WORK/state" --bridge "$BRIDGE" --log-syslog
expect_event 1041 error 'ssoescrow status: SSOESCROW CRITICAL - CRITICAL msid-current'
CHECKS=$((CHECKS + 1))
tail -1 "$SYSLOG" | grep -q '|' && fail "the status event holds performance data"
run 3 "$SSOESCROW" status --vault "$WORK/nothing-here" --log-syslog --no-state
expect_event 1042 error 'ssoescrow status'

echo "--- a system log that refuses the event: a warning, the job still succeeds"
SSOESCROW_TEST_SYSTEM_LOG=fail run 0 "$SSOESCROW" backup "${COMMON[@]}" --bridge "$BRIDGE" --log-syslog
expect_err 'warning: the job result was not written to the system log'

echo "--- no generated password reached the system log"
CHECKS=$((CHECKS + 1))
[[ -s $WORK/spy/passwords ]] || fail "the spy saw no password"
while IFS= read -r pw; do
    grep -qF -- "$pw" "$SYSLOG" && fail "a generated password is in the system log"
done <"$WORK/spy/passwords"
grep -qF 'Import-Password-1234' "$SYSLOG" && fail "the import password is in the system log"

finish
