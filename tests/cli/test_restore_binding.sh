#!/usr/bin/env bash
# What a restore request binds, and what a restore proves (issue 12, attacks 4, 5 and 6):
#   - purposes: `--purpose restore|drill|extract`; apply refuses a mode the request was not made
#     for, naming both, before anything is decrypted (a drill approval cannot extract);
#   - attack 5: a request edited after approval (expiry pushed out, purpose changed, checksum
#     recomputed) voids its approvals;
#   - attack 4: `--extract` records before it writes: at every crash point and under kill -9,
#     either no plaintext file exists or the extraction's audit record does
#     (SSOESCROW_KILL9_ROUNDS rounds, default 8);
#   - attack 6: an import with a wrong password passes a drill, but status WARNS that its password
#     is unproven; a drill on a drill server (a separate ENTSSO) fails with ENTSSO 10779; a right
#     password is proven there (or by a restore of the live MSID) and status is OK again; a
#     production server is refused as a drill server;
#   - backup-age of an import counts from when the .bak was made (file time or --created).
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR; SSOESCROW_HOOKS=1 when the binary has test hooks.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup --python
# This host's default state root: restore apply without --state-dir signs its receipts with the
# same host key that vault init listed.
STATE="$HOME/.local/state/ssoescrow"

DRILL_BRIDGE="$SSO_EMULATOR --state $WORK/drill"

# extract_records VAULT REQUEST_ID: audit records of extractions of that request.
extract_records() {
    { grep -l "^request: $2\$" "$1"/audit/*.rec 2>/dev/null || true; } |
        { xargs -r grep -l '^node: extract@' || true; } | wc -l
}
# rechecksum FILE: recomputes a request's unkeyed checksum line after an edit (what an attacker
# who can write the file does).
rechecksum() {
    python3 - "$1" <<'EOF'
import hashlib, sys
p = sys.argv[1]
b = open(p, "rb").read()
i = b.rindex(b"checksum: ")
body = b[:i]
open(p, "wb").write(body + b"checksum: " + hashlib.sha256(body).hexdigest().encode() + b"\n")
EOF
}
# status_check VAULT CHECK FIELD: a field of one check of `status --format json` (with the bridge).
status_json() {  # VAULT
    "$SSOESCROW" status --vault "$1" --bridge "$BRIDGE" --no-state --format json >"$WORK/status.json" 2>"$WORK/status.err" || true
}
check_field() {  # CHECK PYTHON-EXPRESSION-ON-c
    python3 - "$WORK/status.json" "$1" "$2" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
c = next(c for c in doc["vaults"][0]["checks"] if c["id"] == sys.argv[2])
print(eval(sys.argv[3]))
EOF
}

for name in alice bob carol; do keygen "$name"; done
run 0 "${EMU[@]}" admin init --standalone SSO1
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$STATE"
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$STATE"
BACKUP=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)

# --- Purposes -------------------------------------------------------------------------------------
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-drill" --purpose drill \
    --reason "quarterly drill"
expect_out 'purpose: +drill$'
CHECKS=$((CHECKS + 1))
grep -qx 'purpose: drill' "$WORK/req-drill" || fail "the request does not state its purpose"
run 2 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-bad" --purpose steal
expect_err 'give restore, drill or extract'
expect_absent "$WORK/req-bad"
run 0 approve alice "$WORK/req-drill" "$WORK/alice-drill.approval"
expect_err 'purpose: +drill: a drill only'
run 0 approve bob "$WORK/req-drill" "$WORK/bob-drill.approval"
CHECKS=$((CHECKS + 1))
grep -qx 'purpose: drill' "$WORK/alice-drill.approval" || fail "the approval does not carry the purpose"
DRILL_APPROVALS=(--approval "$WORK/alice-drill.approval" --approval "$WORK/bob-drill.approval")
# Attack 4 (second half): approvals given for a drill cannot extract, nor restore.
run 6 "$SSOESCROW" restore apply "$WORK/req-drill" --vault "$WORK/v" "${DRILL_APPROVALS[@]}" \
    --extract "$WORK/x-drill"
expect_err 'was made for the purpose drill and its approvals do not allow an extraction \(--extract\); nothing was decrypted'
expect_err 'hint: .*--purpose extract'
expect_absent "$WORK/x-drill"
run 6 "$SSOESCROW" restore apply "$WORK/req-drill" --vault "$WORK/v" "${DRILL_APPROVALS[@]}" \
    --bridge "$BRIDGE"
expect_err 'made for the purpose drill and its approvals do not allow a restore \(--bridge\)'
run 0 "$SSOESCROW" restore apply "$WORK/req-drill" --vault "$WORK/v" "${DRILL_APPROVALS[@]}" \
    --drill --bridge "$BRIDGE"
expect_out "^drill of backup $BACKUP passed"
expect_out '^not proved: that ENTSSO accepts its password'
newest=$(ls "$WORK"/v/audit/*.rec | sort | tail -1)
CHECKS=$((CHECKS + 1))
grep -qx 'purpose: drill' "$newest" && grep -qx 'password: not-proven' "$newest" ||
    fail "the drill record lacks purpose/password: $(cat "$newest")"
# A restore request allows a restore and a drill, never an extraction.
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-restore"
expect_out 'purpose: +restore$'
run 0 approve alice "$WORK/req-restore" "$WORK/alice-restore.approval"
run 0 approve carol "$WORK/req-restore" "$WORK/carol-restore.approval"
RESTORE_APPROVALS=(--approval "$WORK/alice-restore.approval" --approval "$WORK/carol-restore.approval")
run 6 "$SSOESCROW" restore apply "$WORK/req-restore" --vault "$WORK/v" "${RESTORE_APPROVALS[@]}" \
    --extract "$WORK/x-restore"
expect_err 'made for the purpose restore and its approvals do not allow an extraction'
expect_absent "$WORK/x-restore"
run 0 "$SSOESCROW" restore apply "$WORK/req-restore" --vault "$WORK/v" "${RESTORE_APPROVALS[@]}" \
    --drill
run 0 "$SSOESCROW" restore apply "$WORK/req-restore" --vault "$WORK/v" "${RESTORE_APPROVALS[@]}" \
    --bridge "$BRIDGE"
expect_out "^restore of backup $BACKUP done on SSO1"
newest=$(ls "$WORK"/v/audit/*.rec | sort | tail -1)
CHECKS=$((CHECKS + 1))
grep -qx 'purpose: restore' "$newest" && grep -qx 'password: proven' "$newest" ||
    fail "the restore record lacks purpose/password: $(cat "$newest")"
run 2 "$SSOESCROW" restore apply "$WORK/req-restore" --vault "$WORK/v" "${RESTORE_APPROVALS[@]}" \
    --drill-server --bridge "$BRIDGE"
expect_err '--drill-server needs --drill'

# --- Attack 5: an edited request voids its approvals ----------------------------------------------
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-late" --purpose drill --expires 10s
run 0 approve alice "$WORK/req-late" "$WORK/alice-late.approval"
run 0 approve bob "$WORK/req-late" "$WORK/bob-late.approval"
LATE_APPROVALS=(--approval "$WORK/alice-late.approval" --approval "$WORK/bob-late.approval")
late=$(date -d "$(sed -n 's/^expires: //p' "$WORK/req-late")" +%s)
while [[ $(date +%s) -le $late ]]; do sleep 1; done
run 6 "$SSOESCROW" restore apply "$WORK/req-late" --vault "$WORK/v" "${LATE_APPROVALS[@]}" --drill
expect_err 'expired at'
# The attacker pushes the expiry out by a day and recomputes the unkeyed checksum.
python3 - "$WORK/req-late" <<'EOF'
import datetime, re, sys
p = sys.argv[1]
b = open(p, "rb").read()
m = re.search(rb"\nexpires: (\S+)\n", b)
t = datetime.datetime.strptime(m.group(1).decode(), "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(days=1)
b = b.replace(m.group(0), b"\nexpires: " + t.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + b"\n", 1)
open(p, "wb").write(b)
EOF
rechecksum "$WORK/req-late"
audit_before=$(find "$WORK/v/audit" -name '*.rec' | wc -l)
run 4 "$SSOESCROW" restore apply "$WORK/req-late" --vault "$WORK/v" "${LATE_APPROVALS[@]}" --drill
expect_err '2 of 2 approval\(s\) refused: .*alice-late.approval .*was made for another version of request [0-9a-f]{32}: the request was edited after it was approved'
expect_equal "$(find "$WORK/v/audit" -name '*.rec' | wc -l)" "$audit_before" "records after an edited request"
# The purpose edited from drill to extract, checksum recomputed: refused, nothing written.
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-edit" --purpose drill
run 0 approve alice "$WORK/req-edit" "$WORK/alice-edit.approval"
run 0 approve bob "$WORK/req-edit" "$WORK/bob-edit.approval"
sed -i 's/^purpose: drill$/purpose: extract/' "$WORK/req-edit"
rechecksum "$WORK/req-edit"
run 4 "$SSOESCROW" restore apply "$WORK/req-edit" --vault "$WORK/v" \
    --approval "$WORK/alice-edit.approval" --approval "$WORK/bob-edit.approval" --extract "$WORK/x-edit"
expect_err 'edited after it was approved'
expect_absent "$WORK/x-edit"
# ... and the approval's own copy rewritten to match (checksum recomputed): the share is bound
# to the request's hash, so it does not open.
python3 - "$WORK/req-edit" "$WORK/alice-edit.approval" "$WORK/bob-edit.approval" <<'EOF'
import hashlib, sys
digest = hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest().encode()
for p in sys.argv[2:]:
    lines = open(p, "rb").read().split(b"\n")
    lines = [b"request-sha256: " + digest if l.startswith(b"request-sha256: ") else
             b"purpose: extract" if l.startswith(b"purpose: ") else l for l in lines]
    body = b"\n".join(lines)
    i = body.rindex(b"checksum: ")
    body = body[:i]
    open(p, "wb").write(body + b"checksum: " + hashlib.sha256(body).hexdigest().encode() + b"\n")
EOF
run 4 "$SSOESCROW" restore apply "$WORK/req-edit" --vault "$WORK/v" \
    --approval "$WORK/alice-edit.approval" --approval "$WORK/bob-edit.approval" --extract "$WORK/x-edit"
expect_err 'is corrupt: its share does not open'
expect_absent "$WORK/x-edit"

# --- Attack 4: a killed extraction is always on record ---------------------------------------------
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-x" --purpose extract
XREQ=$(head -1 "$WORK/out" | grep -Eo '[0-9a-f]{32}')
run 0 approve alice "$WORK/req-x" "$WORK/alice-x.approval"
expect_err 'purpose: +extract: BREAK-GLASS'
run 0 approve carol "$WORK/req-x" "$WORK/carol-x.approval"
X_APPROVALS=(--approval "$WORK/alice-x.approval" --approval "$WORK/carol-x.approval")
# An existing target is refused before anything is decrypted (and the directory stays as it was).
mkdir -m 700 "$WORK/x-exists"
: >"$WORK/x-exists/ssoescrow-$BACKUP.password"
before=$(extract_records "$WORK/v" "$XREQ")
run 6 "$SSOESCROW" restore apply "$WORK/req-x" --vault "$WORK/v" "${X_APPROVALS[@]}" \
    --extract "$WORK/x-exists" --verbose
expect_err 'already exists; nothing was extracted'
CHECKS=$((CHECKS + 1))
grep -q 'approvals checked\|opened:' "$WORK/err" && fail "the approvals were opened before the target was checked"
expect_equal "$(extract_records "$WORK/v" "$XREQ")" "$before" "records after a refused extraction"
rm -rf "$WORK/x-exists"
# round DIR: after an apply --extract into DIR that was killed (or not), either no plaintext
# file exists or a new extraction record does.
ROUND_BEFORE=0
check_round() {
    CHECKS=$((CHECKS + 1))
    local plain records
    plain=$({ find "$1" \( -name '*.bak' -o -name '*.password' \) 2>/dev/null || true; } | wc -l)
    records=$(extract_records "$WORK/v" "$XREQ")
    if [[ $plain -ne 0 && $records -le $ROUND_BEFORE ]]; then
        fail "$2: plaintext written ($plain file(s)) without an audit record of the extraction"
    fi
    rm -rf "$1"
}
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    n=0
    for point in restore-extract-after-record secret-after-create secret-after-write \
        restore-extract-after-bak secret-after-create:2 secret-after-write:2 restore-after-extract \
        after-temp-create after-temp-write after-fsync after-rename after-link after-fsync-dir \
        after-temp-create:2 after-temp-write:2 after-fsync:2 after-rename:2 after-fsync-dir:2; do
        n=$((n + 1))
        ROUND_BEFORE=$(extract_records "$WORK/v" "$XREQ")
        status=0
        SSOESCROW_TEST_CRASH_AT=$point "$SSOESCROW" restore apply "$WORK/req-x" --vault "$WORK/v" \
            "${X_APPROVALS[@]}" --extract "$WORK/xc$n" >/dev/null 2>"$WORK/crash.err" || status=$?
        CHECKS=$((CHECKS + 1))
        [[ $status -eq 137 || $status -eq 0 ]] ||
            fail "extract crashing at $point: exit $status: $(cat "$WORK/crash.err")"
        if [[ $point == restore-* ]]; then
            CHECKS=$((CHECKS + 1))
            [[ $status -eq 137 ]] || fail "crash point $point not reached"
        fi
        check_round "$WORK/xc$n" "crash at $point"
    done
fi
rounds=${SSOESCROW_KILL9_ROUNDS:-8}
for ((i = 1; i <= rounds; i++)); do
    ROUND_BEFORE=$(extract_records "$WORK/v" "$XREQ")
    "$SSOESCROW" restore apply "$WORK/req-x" --vault "$WORK/v" "${X_APPROVALS[@]}" \
        --extract "$WORK/xk$i" --wait 30 >/dev/null 2>&1 &
    pid=$!
    sleep "0.0$((RANDOM % 10))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    check_round "$WORK/xk$i" "kill -9 round $i"
done
# The vault stays usable: the next extraction succeeds and is on record.
ROUND_BEFORE=$(extract_records "$WORK/v" "$XREQ")
run 0 "$SSOESCROW" restore apply "$WORK/req-x" --vault "$WORK/v" "${X_APPROVALS[@]}" \
    --extract "$WORK/x-final" --wait 30
expect_out "^  $WORK/x-final/ssoescrow-$BACKUP.password$"
CHECKS=$((CHECKS + 1))
[[ $(extract_records "$WORK/v" "$XREQ") -gt $ROUND_BEFORE ]] || fail "the extraction is not on record"
newest=$(grep -l '^node: extract@' "$WORK"/v/audit/*.rec | sort | tail -1)
CHECKS=$((CHECKS + 1))
grep -qx 'purpose: extract' "$newest" && grep -qx 'password: not-proven' "$newest" ||
    fail "the extraction record lacks purpose/password: $(cat "$newest")"
rm -rf "$WORK/x-final"
run_check=0
"$SSOESCROW" vault check --vault "$WORK/v" --no-state >"$WORK/check.out" 2>&1 || run_check=$?
CHECKS=$((CHECKS + 1))
[[ $run_check -le 1 ]] || { fail "vault damaged after the kill rounds"; cat "$WORK/check.out" >&2; }

# --- Attack 6: an imported password is unproven until ENTSSO has accepted it ----------------------
LIVE=$(live_msid)
run 0 "$SSOESCROW" vault init --vault "$WORK/v6" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$STATE"
# A .bak made by hand with one password, imported with another (a typo in the runbook).
printf '{"protocol":"ssoescrow-bridge/1","file":"%s","password":"Right pass 123","reminder":"by hand"}' \
    "$WORK/hand.bak" | "${EMU[@]}" backup >/dev/null
make_passphrase_file "$WORK/wrong.pass" "Wrong pass 456"
WRONG_CREATED=$(date -u -d '-40 hours' +%Y-%m-%dT%H:%M:%SZ)
run 0 "$SSOESCROW" import --vault "$WORK/v6" --bak "$WORK/hand.bak" --password-file "$WORK/wrong.pass" \
    --bridge "$BRIDGE" --current-msid "$LIVE" --state-dir "$STATE" \
    --created "$WRONG_CREATED"
WRONG=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
expect_err 'the password was typed: the backup counts as unproven'
run 0 "$SSOESCROW" restore request --vault "$WORK/v6" --backup "$WRONG" --out "$WORK/req6"
run 0 approve alice "$WORK/req6" "$WORK/alice6.approval"
run 0 approve bob "$WORK/req6" "$WORK/bob6.approval"
APPROVALS6=(--approval "$WORK/alice6.approval" --approval "$WORK/bob6.approval")
# The drill passes (it never hands the password to ENTSSO) and says so.
run 0 "$SSOESCROW" restore apply "$WORK/req6" --vault "$WORK/v6" "${APPROVALS6[@]}" --drill \
    --bridge "$BRIDGE"
expect_out "^drill of backup $WRONG passed"
expect_out '^not proved: that ENTSSO accepts its password'
# ... but status warns: the newest backup of the live MSID has an unproven password.
run 1 "$SSOESCROW" status --vault "$WORK/v6" --bridge "$BRIDGE" --no-state
expect_out "WARNING +msid-current.*password is unproven \(typed at import"
status_json "$WORK/v6"
expect_equal "$(check_field msid-current 'c["state"]')" "warning" "msid-current of an unproven import"
expect_equal "$(check_field msid-current 'c["evidence"]["password_of_live_backup"]["origin"]')" "typed" "password origin"
expect_equal "$(check_field msid-current 'c["evidence"]["password_of_live_backup"]["proven"]')" "False" "password proven"
expect_equal "$(check_field backup-age 'c["evidence"]["backup"]["created"]')" \
    "$WRONG_CREATED" "backup-age from --created"
# A drill on a drill server (a separate ENTSSO with a copy of the SSO database) hands the
# password to ENTSSO: it fails as the real restore would, with 10779.
run 0 "$SSO_EMULATOR" --state "$WORK/drill" admin init --standalone DRILL1 --no-secret --ssodb-msid "$LIVE"
run 10 "$SSOESCROW" restore apply "$WORK/req6" --vault "$WORK/v6" "${APPROVALS6[@]}" --drill \
    --drill-server --bridge "$DRILL_BRIDGE" --temp-dir "$WORK/tmp"
expect_err 'ENTSSO error 10779: the backup file.s password is wrong'
run 1 "$SSOESCROW" status --vault "$WORK/v6" --bridge "$BRIDGE" --no-state
expect_out 'password is unproven'
# The real restore fails the same way (and changes nothing on the server).
run 10 "$SSOESCROW" restore apply "$WORK/req6" --vault "$WORK/v6" "${APPROVALS6[@]}" \
    --bridge "$BRIDGE" --temp-dir "$WORK/tmp"
expect_err 'ENTSSO error 10779'
expect_equal "$(live_msid)" "$LIVE" "live MSID after a refused restore"

# The right password, imported later from a file made 30 hours ago: backup-age counts from the
# file's time, and its password is unproven until a drill-server drill proves it.
make_passphrase_file "$WORK/right.pass" "Right pass 123"
touch -d '-30 hours' "$WORK/hand.bak"
run 0 "$SSOESCROW" import --vault "$WORK/v6" --bak "$WORK/hand.bak" --password-file "$WORK/right.pass" \
    --bridge "$BRIDGE" --current-msid "$LIVE" --computer SSO1 --state-dir "$STATE"
RIGHT=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
CHECKS=$((CHECKS + 1))
grep -aqx "created: $WRONG_CREATED" "$WORK/v6/envelopes/$WRONG.envelope" || fail "the envelope's created is not --created"
CHECKS=$((CHECKS + 1))
grep -aqx "created: $(date -u -d "@$(stat -c %Y "$WORK/hand.bak")" +%Y-%m-%dT%H:%M:%SZ)" \
    "$WORK/v6/envelopes/$RIGHT.envelope" || fail "the import's created time is not the file's"
status_json "$WORK/v6"
expect_equal "$(check_field backup-age 'c["state"]')" "warning" "backup-age of a 30-hour-old .bak"
run 0 "$SSOESCROW" restore request --vault "$WORK/v6" --backup "$RIGHT" --out "$WORK/req7"
run 0 approve alice "$WORK/req7" "$WORK/alice7.approval"
run 0 approve carol "$WORK/req7" "$WORK/carol7.approval"
APPROVALS7=(--approval "$WORK/alice7.approval" --approval "$WORK/carol7.approval")
# The production server is never a drill server (the vault backs up SSO1).
run 6 "$SSOESCROW" restore apply "$WORK/req7" --vault "$WORK/v6" "${APPROVALS7[@]}" --drill \
    --drill-server --bridge "$BRIDGE"
expect_err 'the drill server SSO1 is SSO1, a server this vault backs up'
# A drill request may not restore on a drill server either: that hands the secret to ENTSSO.
run 0 "$SSOESCROW" restore request --vault "$WORK/v6" --backup "$RIGHT" --out "$WORK/req7d" --purpose drill
run 0 approve alice "$WORK/req7d" "$WORK/alice7d.approval"
run 0 approve carol "$WORK/req7d" "$WORK/carol7d.approval"
run 6 "$SSOESCROW" restore apply "$WORK/req7d" --vault "$WORK/v6" --approval "$WORK/alice7d.approval" \
    --approval "$WORK/carol7d.approval" --drill --drill-server --bridge "$DRILL_BRIDGE"
expect_err 'made for the purpose drill and its approvals do not allow a drill that restores on a drill server'
run 0 "$SSOESCROW" restore apply "$WORK/req7" --vault "$WORK/v6" "${APPROVALS7[@]}" --drill \
    --drill-server --bridge "$DRILL_BRIDGE" --temp-dir "$WORK/tmp"
expect_out "^drill of backup $RIGHT passed on the drill server DRILL1: .*ENTSSO restored the .bak with its sealed password and runs with MSID"
expect_out '^proved: the backup opens and ENTSSO accepts its password'
newest=$(ls "$WORK"/v6/audit/*.rec | sort | tail -1)
CHECKS=$((CHECKS + 1))
grep -qx 'type: drill' "$newest" && grep -qx 'node: DRILL1' "$newest" &&
    grep -qx 'password: proven' "$newest" || fail "the drill-server record: $(cat "$newest")"
expect_equal "$(live_msid)" "$LIVE" "production MSID after a drill-server drill"
status_json "$WORK/v6"
expect_equal "$(check_field msid-current 'c["state"]')" "ok" "msid-current once the password is proven"
expect_equal "$(check_field msid-current 'c["evidence"]["password_of_live_backup"]["proven_by"]["node"]')" "DRILL1" "proven by"
# A drill on the drill server never counts as a cluster node's restore.
expect_equal "$(check_field cluster-coverage 'c["state"]')" "not_applicable" "coverage on a standalone server"

# The other proof: an idempotent restore of a backup whose MSID is the live one.
run 0 "$SSOESCROW" import --vault "$WORK/v6" --bak "$WORK/hand.bak" --password-file "$WORK/right.pass" \
    --bridge "$BRIDGE" --current-msid "$LIVE" --created "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    --state-dir "$STATE"
THIRD=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
run 1 "$SSOESCROW" status --vault "$WORK/v6" --bridge "$BRIDGE" --no-state
expect_out "msid-current.*$THIRD.*password is unproven"
run 0 "$SSOESCROW" restore request --vault "$WORK/v6" --backup "$THIRD" --out "$WORK/req8"
run 0 approve bob "$WORK/req8" "$WORK/bob8.approval"
run 0 approve carol "$WORK/req8" "$WORK/carol8.approval"
run 0 "$SSOESCROW" restore apply "$WORK/req8" --vault "$WORK/v6" --approval "$WORK/bob8.approval" \
    --approval "$WORK/carol8.approval" --bridge "$BRIDGE" --temp-dir "$WORK/tmp"
run 0 "$SSOESCROW" status --vault "$WORK/v6" --bridge "$BRIDGE" --no-state
expect_out 'OK +msid-current'
# --created in the future is refused (an import never looks fresher than it is).
run 2 "$SSOESCROW" import --vault "$WORK/v6" --bak "$WORK/hand.bak" --password-file "$WORK/right.pass" \
    --created "$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)" --state-dir "$STATE"
expect_err 'in the future'
run 2 "$SSOESCROW" import --vault "$WORK/v6" --bak "$WORK/hand.bak" --password-file "$WORK/right.pass" \
    --created yesterday --state-dir "$STATE"
rm -f "$WORK/hand.bak"
no_plaintext "$WORK/tmp"
finish
