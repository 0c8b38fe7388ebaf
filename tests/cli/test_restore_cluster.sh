#!/usr/bin/env bash
# End-to-end tests of `ssoescrow restore apply --bridge` on a two-node failover cluster (the SSO
# emulator), with one request and two approvals (2 of 3):
#   - refused on the node that does not own the SSO group, with the exact step (Move-ClusterGroup,
#     resource offline and online); refused while the resource is offline; accepted after
#     `move-group`; a `restore` receipt per node, which is what `status` counts;
#   - the standalone cases: not the secret server (10766 advice), service stopped;
#   - a restore whose MSID is wrong afterwards (the secret changed behind it) is a FAILED restore
#     (exit 10, distinct message, no receipt);
#   - bridge faults on every call of a restore: bounded, exit 9, scratch directory wiped, no
#     receipt; a drill through the bridge (ENTSSO reads the .bak, its reminder matches);
#   - the audit record cannot be written (fail closed): refused before the bridge is called.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR; SSOESCROW_HOOKS=1 when the binary has test hooks.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup --python
mkdir -p "$WORK/spy"

CL=("$SSO_EMULATOR" --state "$WORK/cl")
N1="$SSO_EMULATOR --state $WORK/cl --node N1"
N2="$SSO_EMULATOR --state $WORK/cl --node N2"
SPY="$TESTS_DIR/cli/lib/spy_bridge.py"

audit_count() { find "$WORK/v/audit" -name '*.rec' | wc -l; }
scratch_left() { find "$WORK/tmp" -mindepth 1 | wc -l; }
node_msid() {  # NODE
    echo '{"protocol":"ssoescrow-bridge/1"}' | "${CL[@]}" --node "$1" status |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["current_msid"])'
}
apply() {  # EXPECTED_EXIT BRIDGE [more args]
    local expected=$1 bridge=$2
    shift 2
    run "$expected" "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" \
        --approval "$WORK/alice.approval" --approval "$WORK/carol.approval" --bridge "$bridge" \
        --temp-dir "$WORK/tmp" --bridge-timeout 5 "$@"
}
receipts_for() {  # NODE TYPE: how many records of TYPE name NODE
    local n=0 file
    for file in "$WORK"/v/audit/*.rec; do
        grep -q "^type: $2$" "$file" && grep -q "^node: $1$" "$file" && n=$((n + 1))
    done
    echo "$n"
}

for name in alice bob carol; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$WORK/state"
# The secret is on the owner only: N2 must be restored before it can take over.
run 0 "${CL[@]}" admin init --cluster CL1 --group SSOGRP --network-name SSOVN --nodes N1,N2 \
    --secret-on-owner-only
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$N1" --temp-dir "$WORK/tmp" \
    --state-dir "$WORK/state"
BACKUP=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
MSID=$(node_msid N1)
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req" --reason "rebuild N2"
for name in alice carol; do
    run 0 "$SSOESCROW" restore approve "$WORK/req" --identity "$WORK/$name.key" \
        --passphrase-file "$WORK/$name.pass" --out "$WORK/$name.approval" --yes
done

# --- The node that does not own the group: refused with the exact step ---------------------------
before=$(audit_count)
apply 6 "$N2"
expect_err 'this computer \(N2\) does not own the SSO cluster group SSOGRP of cluster CL1 \(owner: N1\)'
expect_err "hint: move the SSO role here: 'Move-ClusterGroup -Name \"SSOGRP\" -Node N2'; then take the ENTSSO resource of the group offline and online"
expect_err 'restore on every possible owner \(N1, N2\)'
expect_equal "$(audit_count)" "$before" "records after a refused restore"
expect_equal "$(node_msid N2)" "None" "N2's secret after a refused restore"

# --- The owner: restored, a receipt for N1 --------------------------------------------------------
apply 0 "$N1"
expect_out "^restore of backup $BACKUP done on N1: current MSID $MSID, service running; receipt: audit record [0-9]+$"
expect_out 'next: on a cluster, restore on every other node that can own the SSO group'
expect_equal "$(receipts_for N1 restore)" 1 "restore receipts of N1"

# --- Move the group to N2 (the documented procedure), resource offline, then online ----------------
run 0 "${CL[@]}" admin move-group N2
run 0 "${CL[@]}" admin resource offline
apply 6 "$N2"
expect_err 'the ENTSSO resource of cluster group SSOGRP is offline on N2'
expect_err 'hint: bring it online'
run 0 "${CL[@]}" admin resource online
apply 0 "$N2"
expect_out "^restore of backup $BACKUP done on N2: current MSID $MSID"
expect_equal "$(node_msid N2)" "$MSID" "N2's secret after its restore"
expect_equal "$(receipts_for N2 restore)" 1 "restore receipts of N2"
expect_equal "$(receipts_for N1 restore)" 1 "restore receipts of N1 after N2's"
expect_equal "$(scratch_left)" 0 "scratch entries after the restores"
# The receipts carry the request and the two approving custodians.
CHECKS=$((CHECKS + 1))
for file in "$WORK"/v/audit/*.rec; do
    grep -q '^type: restore$' "$file" || continue
    [[ $(grep -c '^custodian: ' "$file") -eq 2 ]] && grep -q "^backup: $BACKUP$" "$file" ||
        fail "restore record $file"
done
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"

# --- A drill through the bridge on the passive node: ENTSSO reads the .bak ------------------------
run 0 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/carol.approval" --bridge "python3 $SPY $WORK/spy $N1" --drill \
    --temp-dir "$WORK/tmp"
expect_out "^drill of backup $BACKUP passed on N1: .*ENTSSO reads the .bak and its reminder; MSID $MSID"
expect_equal "$(tr '\n' ' ' <"$WORK/spy/operations")" "status reminder " "bridge calls of a drill"
expect_equal "$(receipts_for N1 drill)" 1 "drill receipts of N1"

# --- A wrong MSID after the restore: reported as a FAILED restore, no receipt -----------------------
# This bridge restores, then someone generates a new secret on the node before the check.
cat >"$WORK/racing-bridge" <<EOF
#!/usr/bin/env bash
op="\${@: -1}"
status=0
"$SSO_EMULATOR" --state "$WORK/cl" --node N2 "\$op" || status=\$?
if [[ \$op == restore ]]; then
    "$SSO_EMULATOR" --state "$WORK/cl" admin rotate-without-backup --node N2 >/dev/null
fi
exit \$status
EOF
chmod 700 "$WORK/racing-bridge"
before=$(audit_count)
apply 10 "$WORK/racing-bridge"
expect_err "restore FAILED on N2: after the restore the node's current MSID is \\{[0-9A-F-]{36}\\} and its service is running; expected MSID $MSID"
expect_err 'no receipt was recorded'
expect_equal "$(audit_count)" "$before" "records after a failed restore"
expect_equal "$(scratch_left)" 0 "scratch entries after a failed restore"
# The SSO database now expects the new secret: the old backup is refused by ENTSSO (10815).
apply 10 "$N2"
expect_err 'ENTSSO error 10815'

# --- Bridge faults on every call of a restore: bounded, exit 9, nothing left ------------------------
rm -rf "$WORK/cl"
run 0 "${CL[@]}" admin init --cluster CL1 --group SSOGRP --network-name SSOVN --nodes N1,N2 \
    --secret-on-owner-only
# Every fault strikes before ENTSSO could refuse the (now stale) backup.
fault_case() {  # FAULT OP REGEX
    "${CL[@]}" admin fail-next "$1" --op "$2" >/dev/null
    before=$(audit_count)
    local started elapsed
    started=$(date +%s)
    apply 9 "$N1"
    elapsed=$(($(date +%s) - started))
    expect_err "$3"
    expect_equal "$(audit_count)" "$before" "records after $1 on $2"
    expect_equal "$(scratch_left)" 0 "scratch entries after $1 on $2"
    CHECKS=$((CHECKS + 1))
    ((elapsed <= 30)) || fail "$1 on $2 took ${elapsed}s (bridge timeout 5 s)"
    "${CL[@]}" admin fail-next none >/dev/null
}
for op in status reminder restore; do
    fault_case crash "$op" 'killed by signal 6'
    fault_case garbage "$op" 'not one JSON object'
done
fault_case hang restore 'no answer within 5 s; the bridge was stopped'
CHECKS=$((CHECKS + 1))
if pgrep -f -- "--state $WORK/cl" >/dev/null; then
    fail "a bridge process is still running"
    pkill -9 -f -- "--state $WORK/cl" || true
fi
"${CL[@]}" admin fail-next entsso:10779 --op restore >/dev/null
apply 10 "$N1"
expect_err 'ENTSSO error 10779'
"${CL[@]}" admin fail-next none >/dev/null

# --- S2/S3: the .bak password travels only on the bridge's stdin -----------------------------------
: >"$WORK/spy/operations"
apply 10 "python3 $SPY $WORK/spy $N1"
expect_err 'ENTSSO error 10815'
expect_equal "$(tr '\n' ' ' <"$WORK/spy/operations")" "status reminder restore " "bridge calls of a restore"
CHECKS=$((CHECKS + 1))
[[ -s $WORK/spy/passwords ]] || fail "the spy bridge recorded no password"
CHECKS=$((CHECKS + 1))
[[ ! -s $WORK/spy/leaks ]] || { fail "password visible in /proc:"; cat "$WORK/spy/leaks" >&2; }
while read -r password; do
    CHECKS=$((CHECKS + 1))
    if grep -rlF -- "$password" "$WORK" 2>/dev/null | grep -v "^$WORK/spy/passwords$"; then
        fail "the .bak password was found outside the envelope (files above)"
    fi
done <"$WORK/spy/passwords"
expect_equal "$(scratch_left)" 0 "scratch entries after a refused restore"

# --- Standalone: not the secret server; service stopped -------------------------------------------
run 0 "$SSO_EMULATOR" --state "$WORK/plain" admin init --standalone SSO2 --secret-server SSOMASTER
apply 10 "$SSO_EMULATOR --state $WORK/plain"
expect_err 'ENTSSO error 10766'
expect_err 'SSOMASTER'
run 0 "$SSO_EMULATOR" --state "$WORK/stopped" admin init --standalone SSO3
run 0 "$SSO_EMULATOR" --state "$WORK/stopped" admin service stop
apply 6 "$SSO_EMULATOR --state $WORK/stopped"
expect_err 'the ENTSSO service on SSO3 is stopped'
expect_err "hint: start it \\('Start-Service ENTSSO'\\)"

# --- Fail closed: no audit record possible, no restore ---------------------------------------------
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    : >"$WORK/spy/operations"
    msid_before=$(node_msid N1)
    for fault in erofs:open enospc:write:1 eio:fsync:1; do
        run 5 env SSOESCROW_TEST_FAULT="$fault" "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" \
            --vault "$WORK/v" --approval "$WORK/alice.approval" --approval "$WORK/carol.approval" \
            --bridge "python3 $SPY $WORK/spy $N1" --temp-dir "$WORK/tmp"
        expect_err 'restore is refused because its receipt cannot be written'
        expect_equal "$(cat "$WORK/spy/operations")" "" "bridge calls of a restore refused by $fault"
    done
    expect_equal "$(node_msid N1)" "$msid_before" "N1's secret after refused restores"
    run 0 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
else
    echo "no test hooks in this build: fail-closed checks skipped"
fi

finish
