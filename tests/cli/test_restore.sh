#!/usr/bin/env bash
# End-to-end tests of `ssoescrow restore request / approve / apply / record-receipt` on a
# standalone secret server (the SSO emulator). The cluster, bridge-fault and wrong-MSID cases are
# in test_restore_cluster.sh.
#   - 2-of-3: request, approvals (with the terminal confirmation), drill, restore through the
#     bridge with its receipt; 3-of-5 drill;
#   - extract: the byte-identical .bak and password of a .bak made and imported by hand, which
#     the emulator restores; never overwrites, never follows a symlink;
#   - I1-I8, I12: wrong passphrase, foreign identity, foreign/corrupt/truncated approvals,
#     duplicates, too few, expired request, wrong request key, outputs that exist;
#   - F14: a tampered envelope (header or payload) and every refused apply leave no plaintext;
#   - S10: a drill from a read-only copy with only K identities, its receipt file recorded later.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR; SSOESCROW_HOOKS=1 when the binary has test hooks.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup --python


audit_count() { find "$1/audit" -name '*.rec' | wc -l; }
scratch_left() { find "$WORK/tmp" -mindepth 1 | wc -l; }

for name in alice bob carol dave erin mallory; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$WORK/state"
run 0 "${EMU[@]}" admin init --standalone SSO1
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$WORK/state"
BACKUP=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
BACKUP_MSID=$(live_msid)

# --- request ---------------------------------------------------------------------------------
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req" --reason "drill of the week" \
    --purpose extract
expect_out "^restore request [0-9a-f]{32} written to $WORK/req$"
expect_out "backup: +$BACKUP of "
expect_out 'approvals: +2 of 3 custodians'
expect_out 'purpose: +extract$'
expect_out 'fingerprint: +([0-9a-f]{4}-){7}[0-9a-f]{4}$'
FPR=$(grep -Eo '([0-9a-f]{4}-){7}[0-9a-f]{4}' "$WORK/out" | head -1)
REQ_ID=$(head -1 "$WORK/out" | grep -Eo '[0-9a-f]{32}')
expect_mode 600 "$WORK/req.key"
CHECKS=$((CHECKS + 1))
head -1 "$WORK/req" | grep -qx 'ssoescrow-restore-request/2' || fail "request magic line"
CHECKS=$((CHECKS + 1))
grep -q '^secret: ' "$WORK/req" && fail "the request holds a secret key line"
# I12: never overwritten (the request, or its key).
cp "$WORK/req" "$WORK/req.copy"
run 6 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req"
expect_err "req already exists"
cmp -s "$WORK/req" "$WORK/req.copy" || fail "the request was overwritten"
run 6 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/other" --key "$WORK/req.key"
expect_absent "$WORK/other"
run 2 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/same" --key "$WORK/same"
expect_err '--key and --out name the same file'
expect_absent "$WORK/same"
run 5 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/r0" --backup "$(printf 'ab%.0s' {1..16})"
expect_err 'is not in vault'
run 2 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/r0" --expires 31d
run 3 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/r0" --expires soon
expect_absent "$WORK/r0"
expect_absent "$WORK/r0.key"

# --- approve ---------------------------------------------------------------------------------
run 0 approve alice "$WORK/req" "$WORK/alice.approval"
expect_out "approval of custodian 'alice' \([0-9a-f-]{39}\) for request $REQ_ID written"
expect_err "fingerprint: +$FPR"
expect_err 'reason: +drill of the week'
expect_err 'purpose: +extract: BREAK-GLASS'
expect_err "backup: +$BACKUP of 20"
expect_err 'computer: +SSO1, secret server SSO1'
expect_err "MSIDs: +current $BACKUP_MSID, previous none"
expect_err 'sealed to: +2 of 3 custodians'
expect_mode 600 "$WORK/alice.approval"
CHECKS=$((CHECKS + 1))
head -1 "$WORK/alice.approval" | grep -qx 'ssoescrow-restore-approval/2' || fail "approval magic"
run 0 approve bob "$WORK/req" "$WORK/bob.approval"
# I1: a wrong passphrase; the identity of someone the backup was not sealed to (named by its
# fingerprint, before any passphrase is asked); an existing output; output = input.
make_passphrase_file "$WORK/wrong.pass" "not-carols"
run 4 "$SSOESCROW" restore approve "$WORK/req" --identity "$WORK/carol.key" \
    --passphrase-file "$WORK/wrong.pass" --out "$WORK/carol.bad" --yes
expect_err 'wrong passphrase'
expect_absent "$WORK/carol.bad"
MALLORY_FPR=$(grep -Eo '([0-9a-f]{4}-){7}[0-9a-f]{4}' "$WORK/mallory.pub" | head -1)
run 4 approve mallory "$WORK/req" "$WORK/mallory.approval"
expect_err "custodian 'mallory', $MALLORY_FPR\) holds no stanza in backup $BACKUP"
expect_absent "$WORK/mallory.approval"
run 6 approve carol "$WORK/req" "$WORK/alice.approval"
expect_err 'already exists'
run 2 approve carol "$WORK/req" "$WORK/req"
# Without --yes: the confirmation is asked on the terminal, and only "yes" approves.
run 2 setsid -w "$SSOESCROW" restore approve "$WORK/req" --identity "$WORK/carol.key" \
    --passphrase-file "$WORK/carol.pass" --out "$WORK/carol.approval"
expect_err 'no terminal to confirm'
expect_absent "$WORK/carol.approval"
cat >"$WORK/pty_confirm.py" <<'EOF'
import os, pty, sys, time
answer, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
seen, deadline = b"", time.time() + 60
while b"Type 'yes' to approve" not in seen and time.time() < deadline:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
os.write(fd, answer.encode() + b"\n")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
EOF
CARROT=("$SSOESCROW" restore approve "$WORK/req" --identity "$WORK/carol.key"
    --passphrase-file "$WORK/carol.pass" --out "$WORK/carol.approval")
run 6 python3 "$WORK/pty_confirm.py" no "${CARROT[@]}"
expect_out "Approve this restore request\\? Type 'yes' to approve"
expect_out "your stanza: +custodian 'carol'"
expect_absent "$WORK/carol.approval"
run 0 python3 "$WORK/pty_confirm.py" yes "${CARROT[@]}"
expect_out "approval of custodian 'carol'"
CHECKS=$((CHECKS + 1))
[[ -s $WORK/carol.approval ]] || fail "no approval after confirming on the terminal"
# approve --vault: the request's header is the vault's envelope's.
run 0 approve alice "$WORK/req" "$WORK/alice2.approval" --vault "$WORK/v"

# --- apply --drill, and each bad approval named -----------------------------------------------
audit_before=$(audit_count "$WORK/v")
run 0 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/bob.approval" --drill
expect_out "^drill of backup $BACKUP passed on [^ ]+: 2 approvals opened it, header MAC, payload and .bak SHA-256 verified; MSID $BACKUP_MSID; receipt: audit record [0-9]+$"
expect_equal "$(audit_count "$WORK/v")" "$((audit_before + 1))" "audit records after a drill"
CHECKS=$((CHECKS + 1))
grep -lq '^type: drill$' $(ls "$WORK"/v/audit/*.rec | sort | tail -1) || fail "the newest record is not a drill"
# I3: the same custodian twice is counted once.
run 0 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/alice2.approval" --approval "$WORK/carol.approval" --drill
expect_err "alice2.approval is another approval of custodian 'alice'.*counted once"
# A departed custodian's approval still counts (the backup is sealed to them), with a warning.
run 0 "$SSOESCROW" vault mark-departed --vault "$WORK/v" --custodian "$WORK/carol.pub" \
    --reason "left the company" --state-dir "$WORK/state"
run 0 "$SSOESCROW" restore apply "$WORK/req" --vault "$WORK/v" --approval "$WORK/bob.approval" \
    --approval "$WORK/carol.approval" --drill --state-dir "$WORK/state"
# Like every writer, apply remembers the audit head it wrote (rollback detection).
CHECKS=$((CHECKS + 1))
grep -qx "seq: $(audit_count "$WORK/v")" "$WORK"/state/*/latest-seen ||
    fail "restore apply --state-dir "$WORK/state" did not remember the audit head: $(cat "$WORK"/state/*/latest-seen)"
expect_err "warning: restore: the approval of custodian [0-9a-f-]{39} counts although they were marked departed on .* \\(left the company\\); after the restore, move the escrow"
run 0 "$SSOESCROW" vault reinstate --vault "$WORK/v" --custodian "$WORK/carol.pub" \
    --reason "test over" --state-dir "$WORK/state"
run 4 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/alice2.approval" --drill
expect_err 'need 2 approvals, have 1'
expect_err "hint: ask 1 more of these custodians to approve request $REQ_ID: .*custodian 'bob'"
# I4: K-1 approvals.
run 4 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/bob.approval" \
    --extract "$WORK/x-few"
expect_err 'need 2 approvals, have 1 .*nothing was decrypted'
expect_absent "$WORK/x-few"
# I5: a corrupted approval is named; the others stay usable.
cp "$WORK/bob.approval" "$WORK/bob.flipped"
python3 -c '
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
i = b.index(b"wrapped: ") + 20; b[i] ^= 0x04
open(p, "wb").write(b)' "$WORK/bob.flipped"
run 4 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/bob.flipped" --extract "$WORK/x-corrupt"
expect_err "1 of 2 approval\\(s\\) refused: $WORK/bob.flipped: restore approval is damaged"
expect_err "hint: these approvals are valid and stay usable: $WORK/alice.approval"
head -c 200 "$WORK/bob.approval" >"$WORK/bob.truncated"
run 3 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/bob.truncated" \
    --approval "$WORK/alice.approval" --extract "$WORK/x-corrupt"
expect_err "corrupt approval: $WORK/bob.truncated"
run 5 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/missing.approval" \
    --approval "$WORK/alice.approval" --drill
expect_err 'missing.approval'
expect_absent "$WORK/x-corrupt"
# I2: an approval of another request (of the same backup) is refused, naming it.
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req2"
run 0 approve carol "$WORK/req2" "$WORK/carol-req2.approval"
run 4 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/carol-req2.approval" --drill
expect_err "carol-req2.approval \\(custodian 'carol' .*approves another request"
# The request's key must be its own, and owner-only.
run 4 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --key "$WORK/req2.key" --vault "$WORK/v" \
    --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" --drill
expect_err 'req2.key is the key of request'
cp "$WORK/req.key" "$WORK/loose.key"
chmod 640 "$WORK/loose.key"
run 6 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --key "$WORK/loose.key" --vault "$WORK/v" \
    --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" --drill
expect_err 'chmod 600'
run 2 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval"
expect_err 'say what to do'
run 2 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --drill --extract "$WORK/x"

# --- extract: byte-identical .bak and password of a .bak made by hand -------------------------
printf '{"protocol":"ssoescrow-bridge/1","file":"%s","password":"Hand-Made pass 42","reminder":"by hand"}' \
    "$WORK/hand.bak" | "${EMU[@]}" backup >"$WORK/hand.json"
make_passphrase_file "$WORK/hand.pass" "Hand-Made pass 42"
run 0 "$SSOESCROW" import --vault "$WORK/v" --bak "$WORK/hand.bak" --password-file "$WORK/hand.pass" \
    --bridge "$BRIDGE" --state-dir "$WORK/state"
HAND=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --backup "$HAND" --out "$WORK/req-hand" \
    --purpose extract
run 0 approve carol "$WORK/req-hand" "$WORK/carol-hand.approval"
run 0 approve bob "$WORK/req-hand" "$WORK/bob-hand.approval"
audit_before=$(audit_count "$WORK/v")
run 0 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req-hand" --vault "$WORK/v" \
    --approval "$WORK/carol-hand.approval" --approval "$WORK/bob-hand.approval" \
    --extract "$WORK/extracted"
expect_out "^  $WORK/extracted/ssoescrow-$HAND.bak$"
expect_out 'ssoconfig.exe" -restoreSecret ssoescrow-'"$HAND"'.bak'
expect_out 'delete both files securely'
expect_mode 700 "$WORK/extracted"
expect_mode 600 "$WORK/extracted/ssoescrow-$HAND.bak"
expect_mode 600 "$WORK/extracted/ssoescrow-$HAND.password"
CHECKS=$((CHECKS + 1))
cmp -s "$WORK/hand.bak" "$WORK/extracted/ssoescrow-$HAND.bak" || fail "the extracted .bak differs from the original"
expect_equal "$(cat "$WORK/extracted/ssoescrow-$HAND.password")" "Hand-Made pass 42" "extracted password"
expect_equal "$(audit_count "$WORK/v")" "$((audit_before + 1))" "audit records after an extraction"
CHECKS=$((CHECKS + 1))
grep -q '^node: extract@' $(ls "$WORK"/v/audit/*.rec | sort | tail -1) || fail "no extract record"
# The emulator restores the extracted pair.
python3 -c '
import json, sys
print(json.dumps({"protocol": "ssoescrow-bridge/1", "file": sys.argv[1],
                  "password": open(sys.argv[2]).read().rstrip("\n")}))' \
    "$WORK/extracted/ssoescrow-$HAND.bak" "$WORK/extracted/ssoescrow-$HAND.password" >"$WORK/restore.json"
CHECKS=$((CHECKS + 1))
"${EMU[@]}" restore <"$WORK/restore.json" | grep -q '"ok": *true' || fail "the emulator refused the extracted pair"
# I12: existing files are never overwritten, symlinks never followed.
cp "$WORK/extracted/ssoescrow-$HAND.bak" "$WORK/bak.before"
run 6 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req-hand" --vault "$WORK/v" \
    --approval "$WORK/carol-hand.approval" --approval "$WORK/bob-hand.approval" \
    --extract "$WORK/extracted"
expect_err 'already exists; nothing was extracted'
cmp -s "$WORK/bak.before" "$WORK/extracted/ssoescrow-$HAND.bak" || fail "an extracted file was overwritten"
mkdir -m 700 "$WORK/trap"
ln -s "$WORK/stolen.password" "$WORK/trap/ssoescrow-$HAND.password"
run 6 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req-hand" --vault "$WORK/v" \
    --approval "$WORK/carol-hand.approval" --approval "$WORK/bob-hand.approval" --extract "$WORK/trap"
expect_absent "$WORK/stolen.password"
expect_absent "$WORK/trap/ssoescrow-$HAND.bak"
rm -rf "$WORK/trap"
# Clean up the plaintext this test made on purpose.
rm -rf "$WORK/extracted" "$WORK/bak.before" "$WORK/hand.bak"

# --- F14 and an envelope changed in the vault ---------------------------------------------------
cp -a "$WORK/v" "$WORK/v-tampered"
ENVELOPE="$WORK/v-tampered/envelopes/$BACKUP.envelope"
chmod 600 "$ENVELOPE"
python3 -c '
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
b[-5] ^= 0x01   # inside the payload: the header (and its hash) stay the same
open(p, "wb").write(b)' "$ENVELOPE"
run 8 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v-tampered" \
    --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" --extract "$WORK/x-payload"
expect_err 'payload'
expect_absent "$WORK/x-payload"
python3 -c '
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read())
i = b.index(b"computer: ") + 10; b[i] = ord("X")
open(p, "wb").write(b)' "$ENVELOPE"
run 8 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v-tampered" \
    --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" --extract "$WORK/x-header"
expect_err 'is not the one request .* was made for: its header changed'
expect_err 'hint: run .ssoescrow vault check'
expect_absent "$WORK/x-header"
no_plaintext "$WORK"

# --- Restore through the bridge (standalone) -----------------------------------------------------
"${EMU[@]}" admin rotate-without-backup >/dev/null
# The SSO database now expects the new secret: ENTSSO refuses the stale backup (10815).
run 10 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/bob.approval" --bridge "$BRIDGE" --temp-dir "$WORK/tmp"
expect_err 'ENTSSO error 10815'
expect_equal "$(scratch_left)" 0 "scratch entries after a refused restore"
# A rebuilt server whose database expects the backup's secret: the restore is accepted.
rm -rf "$WORK/es"
run 0 "${EMU[@]}" admin init --standalone SSO1 --no-secret --ssodb-msid "$BACKUP_MSID"
audit_before=$(audit_count "$WORK/v")
run 0 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/bob.approval" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" --log-json "$WORK/apply.log"
expect_out "^restore of backup $BACKUP done on SSO1: current MSID $BACKUP_MSID, service running; receipt: audit record [0-9]+$"
expect_equal "$(live_msid)" "$BACKUP_MSID" "live MSID after the restore"
expect_equal "$(audit_count "$WORK/v")" "$((audit_before + 1))" "audit records after a restore"
newest=$(ls "$WORK"/v/audit/*.rec | sort | tail -1)
CHECKS=$((CHECKS + 1))
grep -q '^type: restore$' "$newest" && grep -q '^node: SSO1$' "$newest" &&
    grep -q "^request: $REQ_ID$" "$newest" && grep -q "^backup: $BACKUP$" "$newest" &&
    [[ $(grep -c '^custodian: ' "$newest") -eq 2 ]] || { fail "restore record"; cat "$newest" >&2; }
expect_equal "$(scratch_left)" 0 "scratch entries after a restore"
run 0 python3 -c '
import json, sys
events = [json.loads(l)["event"] for l in open(sys.argv[1])]
for e in ("request", "approvals", "opened", "preflight", "bridge-restore", "verified"):
    assert e in events, (e, events)' "$WORK/apply.log"
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"

# --- 3-of-5 --------------------------------------------------------------------------------------
run 0 "$SSOESCROW" vault init --vault "$WORK/v5" --threshold 3 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --recipient dave.pub --recipient erin.pub \
    --state-dir "$WORK/state"
run 0 "$SSOESCROW" backup --vault "$WORK/v5" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$WORK/state"
run 0 "$SSOESCROW" restore request --vault "$WORK/v5" --out "$WORK/req5"
for name in bob dave erin; do run 0 approve "$name" "$WORK/req5" "$WORK/$name-5.approval"; done
# approve --vault refuses a request that is not about this vault.
run 4 approve bob "$WORK/req" "$WORK/bob-wrong-vault.approval" --vault "$WORK/v5"
expect_err "the request does not match vault $WORK/v5: it is for vault [0-9a-f]{32}, this is vault"
expect_absent "$WORK/bob-wrong-vault.approval"
run 4 approve bob "$WORK/req" "$WORK/bob-tampered.approval" --vault "$WORK/v-tampered"
expect_err "the envelope header it shows is not the vault's"
expect_absent "$WORK/bob-tampered.approval"
run 4 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req5" --vault "$WORK/v5" --approval "$WORK/bob-5.approval" \
    --approval "$WORK/dave-5.approval" --drill
expect_err 'need 3 approvals, have 2'
run 0 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req5" --vault "$WORK/v5" --approval "$WORK/bob-5.approval" \
    --approval "$WORK/dave-5.approval" --approval "$WORK/erin-5.approval" --bridge "$BRIDGE" \
    --temp-dir "$WORK/tmp" --json
cp "$WORK/out" "$WORK/restore5.json"
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema"] == "ssoescrow-restore-result/1" and doc["operation"] == "restore", doc
assert doc["node"] == "SSO1" and doc["msid"] == sys.argv[2] == doc["backup_current_msid"], doc
assert len(doc["custodians"]) == 3 and doc["audit_seq"] >= 3 and doc["receipt_file"] is None, doc
assert doc["bak_file"] is None and doc["password_file"] is None, doc
' "$WORK/restore5.json" "$BACKUP_MSID"
# An approval of the 2-of-3 vault's request does not open the 3-of-5 backup.
run 4 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req5" --vault "$WORK/v5" --approval "$WORK/bob-5.approval" \
    --approval "$WORK/dave-5.approval" --approval "$WORK/alice.approval" --drill
expect_err "alice.approval \\(custodian 'alice'.*approves another request"

# --- S10: a drill from a read-only copy with only K identities ------------------------------------
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    cp -a "$WORK/v" "$WORK/v-ro"
    audit_before=$(audit_count "$WORK/v-ro")
    run 5 env SSOESCROW_TEST_FAULT=erofs:open "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" \
        --vault "$WORK/v-ro" --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" --drill
    expect_err 'drill is refused because its receipt cannot be written to the vault.s audit log: .*read-only'
    expect_err 'hint: .*--receipt-out FILE'
    # The extraction is refused too, before any file is written.
    run 5 env SSOESCROW_TEST_FAULT=erofs:open "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" \
        --vault "$WORK/v-ro" --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" \
        --extract "$WORK/x-ro"
    expect_absent "$WORK/x-ro"
    run 0 env SSOESCROW_TEST_FAULT=erofs:open "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" \
        --vault "$WORK/v-ro" --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" \
        --drill --receipt-out "$WORK/drill.receipt"
    expect_out "receipt written to $WORK/drill.receipt \\(the vault is read-only\\)"
    expect_err 'the vault is not writable'
    expect_equal "$(audit_count "$WORK/v-ro")" "$audit_before" "records written into a read-only vault"
    CHECKS=$((CHECKS + 1))
    [[ ! -e $WORK/v-ro/locks/writer.lock ]] || fail "a lock left in the read-only copy"
    CHECKS=$((CHECKS + 1))
    head -1 "$WORK/drill.receipt" | grep -qx 'ssoescrow-restore-receipt/2' || fail "receipt magic"
    CHECKS=$((CHECKS + 1))
    sed -n 2p "$WORK/drill.receipt" | grep -Eqx 'receipt: [0-9a-f]{32}' || fail "receipt id line"
    run 6 env SSOESCROW_TEST_FAULT=erofs:open "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" \
        --vault "$WORK/v-ro" --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" \
        --drill --receipt-out "$WORK/drill.receipt"
    expect_err 'already exists'
    # Later, where the vault is writable again.
    run 0 "$SSOESCROW" restore record-receipt --state-dir "$WORK/state" --vault "$WORK/v-ro" "$WORK/drill.receipt"
    expect_out "^drill receipt of node .* \\(backup $BACKUP\\) recorded as audit/"
    expect_equal "$(audit_count "$WORK/v-ro")" "$((audit_before + 1))" "records after record-receipt"
    # Recording again is idempotent: exit 0, nothing written, a note says so.
    run 0 "$SSOESCROW" restore record-receipt --state-dir "$WORK/state" --vault "$WORK/v-ro" "$WORK/drill.receipt"
    expect_err 'note: this receipt is already in the audit log'
    expect_equal "$(audit_count "$WORK/v-ro")" "$((audit_before + 1))" "records after a repeated record-receipt"
    CHECKS=$((CHECKS + 1))
    grep -qx "$(sed -n 2p "$WORK/drill.receipt")" "$(ls "$WORK"/v-ro/audit/*.rec | sort | tail -1)" ||
        fail "the record of the receipt lacks its receipt id"

    # Two drills of one request in the same second (the clock fixed at one instant): two
    # receipts that differ only by their ids, both recorded; each again is a repeat.
    SAME_SECOND=$(date -u +%s)
    for n in 1 2; do
        run 0 env SSOESCROW_TEST_FAULT=erofs:open SSOESCROW_TEST_NOW="$SAME_SECOND" "$SSOESCROW" \
            restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v-ro" \
            --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" \
            --drill --receipt-out "$WORK/same-$n.receipt"
    done
    expect_equal "$(sed 2d "$WORK/same-1.receipt" | sed '$d' | sha256sum)" \
        "$(sed 2d "$WORK/same-2.receipt" | sed '$d' | sha256sum)" "receipts but for their ids"
    CHECKS=$((CHECKS + 1))
    cmp -s "$WORK/same-1.receipt" "$WORK/same-2.receipt" && fail "two runs wrote identical receipts"
    same_before=$(audit_count "$WORK/v-ro")
    for n in 1 2; do
        run 0 "$SSOESCROW" restore record-receipt --state-dir "$WORK/state" --vault "$WORK/v-ro" \
            "$WORK/same-$n.receipt"
        expect_out "^drill receipt of node .* \\(backup $BACKUP\\) recorded as audit/"
    done
    expect_equal "$(audit_count "$WORK/v-ro")" "$((same_before + 2))" "records of two same-second receipts"
    for n in 2 1; do
        run 0 "$SSOESCROW" restore record-receipt --state-dir "$WORK/state" --vault "$WORK/v-ro" \
            "$WORK/same-$n.receipt"
        expect_err 'note: this receipt is already in the audit log'
    done
    expect_equal "$(audit_count "$WORK/v-ro")" "$((same_before + 2))" "records after repeating both"
    # A version 1 receipt (no id line) is still read, recorded once.
    { echo 'ssoescrow-restore-receipt/1'; sed '1,2d;$d' "$WORK/same-1.receipt"; } >"$WORK/v1.body"
    { cat "$WORK/v1.body"; echo "checksum: $(sha256sum <"$WORK/v1.body" | cut -d' ' -f1)"; } >"$WORK/v1.receipt"
    for note in '' 'note: this receipt is already in the audit log'; do
        run 0 "$SSOESCROW" restore record-receipt --state-dir "$WORK/state" --vault "$WORK/v-ro" "$WORK/v1.receipt"
        [[ -z $note ]] || expect_err "$note"
    done
    expect_equal "$(audit_count "$WORK/v-ro")" "$((same_before + 3))" "records after a version 1 receipt"
    CHECKS=$((CHECKS + 1))
    grep -q '^receipt: ' "$(ls "$WORK"/v-ro/audit/*.rec | sort | tail -1)" &&
        fail "a version 1 receipt was recorded with a receipt id"
    sed '1s|/2$|/3|' "$WORK/same-1.receipt" >"$WORK/v3.receipt"
    run 3 "$SSOESCROW" restore record-receipt --state-dir "$WORK/state" --vault "$WORK/v-ro" "$WORK/v3.receipt"
    expect_err 'unsupported version 3'

    run 6 "$SSOESCROW" restore record-receipt --state-dir "$WORK/state" --vault "$WORK/v5" "$WORK/drill.receipt"
    expect_err 'the receipt is for vault'
    sed -i 's/^node: /node: X/' "$WORK/drill.receipt"
    run 4 "$SSOESCROW" restore record-receipt --state-dir "$WORK/state" --vault "$WORK/v-ro" "$WORK/drill.receipt"
    expect_err 'damaged'
    run 0 "$SSOESCROW" vault check --vault "$WORK/v-ro" --no-state
else
    echo "no test hooks in this build: read-only vault checks skipped"
fi

# --- I8: an expired request ------------------------------------------------------------------------
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-short" --expires 8s
run 0 approve alice "$WORK/req-short" "$WORK/alice-short.approval"
run 0 approve bob "$WORK/req-short" "$WORK/bob-short.approval"
expires=$(grep -Eo '^expires: .*' "$WORK/req-short" | cut -d' ' -f2)
while (($(date -u +%s) <= $(date -u -d "$expires" +%s))); do sleep 1; done
run 6 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req-short" --vault "$WORK/v" \
    --approval "$WORK/alice-short.approval" --approval "$WORK/bob-short.approval" --extract "$WORK/x-late"
expect_err "restore request [0-9a-f]{32} expired at $expires"
expect_absent "$WORK/x-late"
run 6 approve carol "$WORK/req-short" "$WORK/carol-short.approval"
expect_err 'expired at'
expect_absent "$WORK/carol-short.approval"

no_plaintext "$WORK"
expect_equal "$(scratch_left)" 0 "scratch entries at the end"
finish
