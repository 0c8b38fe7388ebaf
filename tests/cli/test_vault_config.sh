#!/usr/bin/env bash
# End-to-end tests of `ssoescrow vault config set`:
#   - settings change the config (canonical values), one config-change audit record names each
#     changed setting, `vault check` stays clean, a backup still runs (the policy is unchanged);
#   - setting the current values writes nothing;
#   - refusals, none writing anything: an unknown key, a security setting (threshold, vault-id:
#     the hint names rekey), a bad duration, retention below the freshness windows,
#     critical-backup-age below max-backup-age, a bad --reason, no vault (5), a lock (7);
#   - status follows the new freshness threshold;
#   - a crash between the record and the config (test hook): `vault check` warns
#     config-change-incomplete, a backup is refused (8) with the way out, and `vault config set`
#     without settings finishes the change (check clean again, backups run).
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR; SSOESCROW_HOOKS=1 when the binary has test hooks.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[[ -n ${SSO_EMULATOR:-} && -x ${SSO_EMULATOR} ]] || { echo "no SSO emulator: skipped"; exit 77; }
export HOME="$WORK/home"
unset XDG_STATE_HOME
mkdir -p "$HOME"
umask 077

EMU=("$SSO_EMULATOR" --state "$WORK/es")
BRIDGE="$SSO_EMULATOR --state $WORK/es"
V="$WORK/v"
ST=(--state-dir "$WORK/state")

audit_count() { find "$1/audit" -name '*.rec' | wc -l; }
newest_record() { find "$1/audit" -name '*.rec' | sort | tail -n 1; }
expect_equal() {  # ACTUAL EXPECTED WHAT
    CHECKS=$((CHECKS + 1))
    [[ $1 == "$2" ]] || fail "$3: got '$1', expected '$2'"
}
expect_file_line() {  # FILE LINE
    CHECKS=$((CHECKS + 1))
    grep -qxF -- "$2" "$1" || { fail "$1 has no line '$2'"; sed 's/^/  file: /' "$1" >&2; }
}

for name in alice bob carol; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$V" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub "${ST[@]}"
POLICY=$(sed -n 's/^policy: //p' "$(newest_record "$V")")
run 0 "${EMU[@]}" admin init --standalone SSO1
run 0 "$SSOESCROW" backup --vault "$V" --bridge "$BRIDGE" "${ST[@]}"

# --- a change ------------------------------------------------------------------------------------
old_hash=$(sha256sum "$V/config" | cut -d' ' -f1)
run 0 "$SSOESCROW" vault config set --vault "$V" max-backup-age=48h keep-last=60 \
    --reason "weekend backups" "${ST[@]}"
expect_out '^max-backup-age: 26h -> 2d$'
expect_out '^keep-last: 35 -> 60$'
expect_out '^config changed \(audit record 3, config SHA-256 [0-9a-f]{64}\); the escrow policy is unchanged$'
expect_file_line "$V/config" 'max-backup-age: 2d'
expect_file_line "$V/config" 'keep-last: 60'
expect_mode 400 "$V/config"
REC=$(newest_record "$V")
expect_file_line "$REC" 'type: config-change'
expect_file_line "$REC" "old-config: $old_hash"
expect_file_line "$REC" "new-config: $(sha256sum "$V/config" | cut -d' ' -f1)"
expect_file_line "$REC" "policy: $POLICY"
expect_file_line "$REC" 'setting: max-backup-age 2d'
expect_file_line "$REC" 'setting: keep-last 60'
expect_file_line "$REC" 'reason: weekend backups'
run 0 "$SSOESCROW" vault check --vault "$V" "${ST[@]}"
run 0 "$SSOESCROW" backup --vault "$V" --bridge "$BRIDGE" "${ST[@]}"

# The same values again: nothing written.
count=$(audit_count "$V")
run 0 "$SSOESCROW" vault config set --vault "$V" max-backup-age=2d "${ST[@]}"
expect_out 'nothing to change: every setting already has that value; nothing written'
expect_equal "$(audit_count "$V")" "$count" "audit records after an unchanged setting"

# --- refusals: nothing written ---------------------------------------------------------------------
config_before=$(sha256sum "$V/config")
run 2 "$SSOESCROW" vault config set --vault "$V" colour=blue "${ST[@]}"
expect_err "'colour' is not a setting of the vault config"
expect_err 'hint: the settings: max-backup-age, critical-backup-age'
run 2 "$SSOESCROW" vault config set --vault "$V" threshold=1 "${ST[@]}"
expect_err "'threshold' is not a setting 'vault config set' changes"
expect_err 'hint: custodians, threshold and signers change with the rekey ceremony'
run 2 "$SSOESCROW" vault config set --vault "$V" vault-id=00 "${ST[@]}"
run 2 "$SSOESCROW" vault config set --vault "$V" max-drill-age=soon "${ST[@]}"
expect_err "duration 'soon' has no unit"
run 2 "$SSOESCROW" vault config set --vault "$V" keep-within=1d "${ST[@]}"
expect_err 'keep-within \(1d\) is shorter than critical-backup-age \(3d\)'
run 2 "$SSOESCROW" vault config set --vault "$V" critical-backup-age=40d "${ST[@]}"
expect_err 'min-retention \(35d\) is shorter than critical-backup-age \(40d\)'
run 2 "$SSOESCROW" vault config set --vault "$V" max-backup-age=4d "${ST[@]}"
expect_err 'critical-backup-age \(3d\) is shorter than max-backup-age \(4d\)'
run 2 "$SSOESCROW" vault config set --vault "$V" min-retained=0 "${ST[@]}"
run 2 "$SSOESCROW" vault config set --vault "$V" keep-last=61 --reason $'x\ny' "${ST[@]}"
expect_err '--reason: contains a control byte'
run 5 "$SSOESCROW" vault config set --vault "$WORK/none" keep-last=61 "${ST[@]}"
mkdir -p "$V/locks"
printf 'ssoescrow-lock 1\nid %s\nhost other-host\npid 4242\noperation backup\nstarted %s\nrefreshed %s\nttl 900\n' \
    "$(printf 'a%.0s' {1..32})" "$(date +%s)" "$(date +%s)" >"$V/locks/writer.lock"
run 7 "$SSOESCROW" vault config set --vault "$V" keep-last=61 "${ST[@]}"
expect_err 'is locked by host other-host'
rm -f "$V/locks/writer.lock"
expect_equal "$(sha256sum "$V/config")" "$config_before" "config after the refusals"
expect_equal "$(audit_count "$V")" "$count" "audit records after the refusals"

# Moving two limits together is accepted.
run 0 "$SSOESCROW" vault config set --vault "$V" critical-backup-age=40d min-retention=40d \
    keep-within=40d "${ST[@]}"
expect_file_line "$V/config" 'critical-backup-age: 40d'

# --- status follows the new threshold --------------------------------------------------------------
run 0 "$SSOESCROW" vault config set --vault "$V" max-backup-age=1s critical-backup-age=40d "${ST[@]}"
sleep 2
status=0
"$SSOESCROW" status --vault "$V" --no-state >"$WORK/out" 2>&1 || status=$?
CHECKS=$((CHECKS + 1))
grep -Eq '^WARNING +backup-age: ' "$WORK/out" ||
    { fail "status does not warn about the backup age after max-backup-age=1s"; cat "$WORK/out" >&2; }
run 0 "$SSOESCROW" vault config set --vault "$V" max-backup-age=26h "${ST[@]}"

# --- an interrupted change -------------------------------------------------------------------------
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    before=$(sha256sum "$V/config")
    run 137 env SSOESCROW_TEST_CRASH_AT=config-set-after-record \
        "$SSOESCROW" vault config set --vault "$V" max-drill-age=30d "${ST[@]}"
    expect_equal "$(sha256sum "$V/config")" "$before" "config after a crash after the record"
    expect_file_line "$(newest_record "$V")" 'setting: max-drill-age 30d'
    rm -f "$V/locks/writer.lock"  # the crashed process's lock (its pid is gone: stale anyway)
    run 1 "$SSOESCROW" vault check --vault "$V" "${ST[@]}"
    expect_out 'config-change-incomplete'
    run 8 "$SSOESCROW" backup --vault "$V" --bridge "$BRIDGE" "${ST[@]}"
    expect_err 'was interrupted: the config is still the old one'
    expect_err "hint: finish it with 'ssoescrow vault config set --vault $V' \(no settings\)"
    run 0 "$SSOESCROW" vault config set --vault "$V" "${ST[@]}"
    expect_out '^finished the interrupted config change of audit record [0-9]+$'
    expect_file_line "$V/config" 'max-drill-age: 30d'
    run 0 "$SSOESCROW" vault check --vault "$V" "${ST[@]}"
    run 0 "$SSOESCROW" backup --vault "$V" --bridge "$BRIDGE" "${ST[@]}"
fi

# Nothing secret reached the vault or the state directory.
CHECKS=$((CHECKS + 1))
! grep -rq 'pass-alice-for-tests' "$V" "$WORK/state" || fail "a passphrase reached the vault"

finish
