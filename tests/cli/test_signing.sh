#!/usr/bin/env bash
# End-to-end tests of signed backups (vault/FORMAT.md 2.4, 3.14; issue: integrity of what gets
# restored). An attacker who can write the vault but holds no signing key of its policy:
#   - attack 1: plants an envelope sealed to the vault's own custodians, naming the vault's own
#     id and policy fingerprint (made with a copy of the vault whose policy lists the attacker's
#     key, then re-pointed at the real policy and re-signed), with a matching audit record: it is
#     not verified, not picked by `restore request --backup latest`, not restorable, not adopted
#     by the next backup, not counted by `status`; every message names the signer;
#   - an envelope signed by a key outside the policy (the attacker's own policy fingerprint);
#   - a valid envelope moved from another vault with the same custodians and signer;
#   - a backup with a signing key the policy does not list: refused before the bridge;
#   - a drill receipt stripped of its signature: damage, not counted;
#   - `signer show` (created once, owner-only, stable), `signer keygen`, `vault init --signer`,
#     `--no-local-signer`, `restore approve --expect-policy` and the signer it shows.
# A signer removed from the policy is a unit test (tests/unit/test_vault_signatures.cpp): no
# command changes a policy yet.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup --python

EVIL_BRIDGE="$SSO_EMULATOR --state $WORK/evil-es"
S="$WORK/state"
HAVE_ED25519=0
python3 -c 'from cryptography.hazmat.primitives.asymmetric import ed25519' 2>/dev/null &&
    HAVE_ED25519=1


for name in alice bob carol; do keygen "$name"; done

# --- signer show / keygen ------------------------------------------------------------------------
run 0 "$SSOESCROW" signer show --state-dir "$S"
expect_out '^ssoescrow-signer/1 ed25519 [A-Za-z0-9+/]{43}= ([0-9a-f]{4}-){7}[0-9a-f]{4} .+$'
HOST_LINE=$(cat "$WORK/out")
HOST_FPR=$(awk '{print $4}' <<<"$HOST_LINE")
expect_mode 600 "$S/signing.key"
run 0 "$SSOESCROW" signer show --state-dir "$S"
expect_equal "$(cat "$WORK/out")" "$HOST_LINE" "signer show is stable"
chmod 644 "$S/signing.key"
run 6 "$SSOESCROW" signer show --state-dir "$S"
expect_err 'signing.key'
chmod 600 "$S/signing.key"
run 0 "$SSOESCROW" signer keygen --out "$WORK/ops.key" --name "ops team"
expect_mode 600 "$WORK/ops.key"
OPS_FPR=$(awk '{print $4}' "$WORK/ops.key.pub")
expect_out "^ssoescrow-signer/1 ed25519 .* $OPS_FPR ops team$"
run 6 "$SSOESCROW" signer keygen --out "$WORK/ops.key"
run 0 "$SSOESCROW" signer keygen --out "$WORK/mallory.key" --name mallory
MALLORY_FPR=$(awk '{print $4}' "$WORK/mallory.key.pub")

# --- vault init lists the host's signer (and --signer), backup works with no new flag ---------
run 2 "$SSOESCROW" vault init --vault "$WORK/none" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --no-local-signer --state-dir "$S"
expect_err 'no-local-signer without any --signer'
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --signer "$WORK/ops.key.pub" --state-dir "$S"
expect_out "^signer: .* \($HOST_FPR\)$"
expect_out "^signer: ops team \($OPS_FPR\)$"
POLICY=$(grep -Eo 'sha256:[0-9a-f]{64}' "$WORK/out" | head -1)
VAULT_ID=$(awk '/^vault id:/ {print $3}' "$WORK/out")
CHECKS=$((CHECKS + 1))
grep -q "^signer: $HOST_LINE\$" "$WORK/v/config" || fail "the config does not list the host's signer"
run 0 "${EMU[@]}" admin init --standalone SSO1
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$S"
GENUINE=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
GENUINE_MSID=$(live_msid)
run 0 "$SSOESCROW" vault list --vault "$WORK/v"
expect_out "signer '[^']+' \($HOST_FPR\)"
# An operator's listed key signs too (import/backup with --signing-key).
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$S" --signing-key "$WORK/ops.key"
OPS_BACKUP=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
run 0 "$SSOESCROW" vault list --vault "$WORK/v"
expect_out "signer 'ops team' \($OPS_FPR\)"

# --- a signing key the policy does not list: refused before the bridge -----------------------
ENVELOPES_BEFORE=$(find "$WORK/v/envelopes" -name '*.envelope' | wc -l)
run 6 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$S" --signing-key "$WORK/mallory.key"
expect_err "signer 'mallory' \($MALLORY_FPR\) is not a signer of the escrow policy"
expect_equal "$(find "$WORK/v/envelopes" -name '*.envelope' | wc -l)" "$ENVELOPES_BEFORE" \
    "an unlisted signer wrote an envelope"
run 6 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$WORK/other-host"
expect_err 'is not a signer of the escrow policy'

run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$S"

# --- attack 1: a planted envelope and record, made with the attacker's own key ----------------
# The attacker copies the vault, lists their own key in the copy's policy (checksum recomputed),
# and has a stock ssoescrow seal their chosen master secret into the copy.
run 0 "$SSO_EMULATOR" --state "$WORK/evil-es" admin init --standalone SSO1
EVIL_MSID=$(live_msid "$WORK/evil-es")
mkdir -p "$WORK/evil"
cp -r "$WORK/v/audit" "$WORK/evil/audit"
mkdir -m 700 "$WORK/evil/envelopes"
python3 - "$WORK/v/config" "$WORK/evil/config" "$WORK/mallory.key.pub" <<'EOF'
import hashlib, re, sys
text = open(sys.argv[1]).read()
body = text[:text.rindex("checksum: ")]
mallory = open(sys.argv[3]).read().strip()
lines = body.split("\n")
signers = [l for l in lines if l.startswith("signer: ")] + ["signer: " + mallory]
signers.sort(key=lambda l: l.split(" ")[4])
first = lines.index(next(l for l in lines if l.startswith("signers: ")))
lines = lines[:first] + ["signers: %d" % len(signers)] + signers + [""]
body = "\n".join(lines)
open(sys.argv[2], "w").write(body + "checksum: " + hashlib.sha256(body.encode()).hexdigest() + "\n")
EOF
chmod -R u+w "$WORK/evil"
# The chain is unkeyed: the attacker also forges the policy-change record that makes the rewritten
# config the audit-logged one, so that a stock writer accepts the copy.
python3 "$TESTS_DIR/cli/lib/forge_vault.py" record-policy-change "$WORK/evil"
run 0 "$SSOESCROW" backup --vault "$WORK/evil" --bridge "$EVIL_BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$WORK/evil-state" --signing-key "$WORK/mallory.key" --no-prune
PLANTED=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
PLANTED_RECORD=$(ls "$WORK/evil/audit" | sort | tail -1)

if [[ $HAVE_ED25519 == 1 ]]; then
    # Point the envelope and its record at the vault's real policy and re-sign them with the
    # attacker's key: byte for byte what a modified sealer would write for this vault.
    python3 - "$WORK/evil" "$PLANTED" "$PLANTED_RECORD" "$POLICY" "$WORK/mallory.key" <<'EOF'
import base64, hashlib, os, re, sys
from cryptography.hazmat.primitives.asymmetric import ed25519
vault, backup, record, policy, keyfile = sys.argv[1:6]
seed = base64.b64decode(open(keyfile).read().split("secret: ")[1].strip())
key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
path = os.path.join(vault, "envelopes", backup + ".envelope")
data = open(path, "rb").read()
sig_at = data.index(b"\nsignature: ") + 1
sig_end = data.index(b"\n", sig_at) + 1
header, payload = data[:sig_at], data[sig_end:]
header = re.sub(rb"\npolicy: sha256:[0-9a-f]{64}\n", b"\npolicy: " + policy.encode() + b"\n", header)
digest = hashlib.sha256(payload).digest()
sig = key.sign(b"ssoescrow/2 envelope-signature\x00" + header + digest)
data = header + b"signature: ed25519 " + digest.hex().encode() + b" " + base64.b64encode(sig) + b"\n" + payload
os.chmod(path, 0o600)
open(path, "wb").write(data)
rpath = os.path.join(vault, "audit", record)
text = open(rpath).read()
text = re.sub(r"\nenvelope: [0-9a-f]{64}\n", "\nenvelope: " + hashlib.sha256(data).hexdigest() + "\n", text)
text = re.sub(r"\npolicy: sha256:[0-9a-f]{64}\n", "\npolicy: " + policy + "\n", text)
covered = text[: text.index("\nsignature: ") + 1]
sig = key.sign(b"ssoescrow/1 audit-record-signature\x00" + covered.encode())
text = covered + "signature: " + base64.b64encode(sig).decode() + "\n" + text[text.index("\nend: ") + 1:]
os.chmod(rpath, 0o600)
os.remove(rpath)
name = record[:11] + hashlib.sha256(text.encode()).hexdigest() + ".rec"
open(os.path.join(vault, "audit", name), "w").write(text)
print(name)
EOF
    PLANTED_RECORD=$(ls "$WORK/evil/audit" | sort | tail -1)
    CHECKS=$((CHECKS + 1))
    grep -q "^policy: $POLICY\$" "$WORK/evil/envelopes/$PLANTED.envelope" ||
        fail "the planted envelope does not name the vault's policy"
else
    echo "python3 cryptography missing: the planted envelope keeps the attacker's policy"
fi
CHECKS=$((CHECKS + 1))
grep -q "^vault: $VAULT_ID\$" "$WORK/evil/envelopes/$PLANTED.envelope" ||
    fail "the planted envelope does not name the vault's id"

# Planted without its record first: the victim's next backup must not adopt it.
cp "$WORK/evil/envelopes/$PLANTED.envelope" "$WORK/v/envelopes/"
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$S"
expect_out "$PLANTED.envelope: envelope-(signer-unknown|foreign-policy): .*signer $MALLORY_FPR"
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$S"
CHECKS=$((CHECKS + 1))
if grep -l "^type: adopt\$" "$WORK"/v/audit/*.rec 2>/dev/null | xargs -r grep -l "$PLANTED" | grep -q .; then
    fail "the victim's backup adopted the planted envelope"
fi
LATEST_GENUINE=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)

# Now with its record appended to the unkeyed chain (prev re-pointed at the real head).
python3 - "$WORK/evil/audit/$PLANTED_RECORD" "$WORK/v/audit" <<'EOF'
import glob, hashlib, os, re, sys
src, audit = sys.argv[1:3]
names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(audit, "*.rec")))
head = names[-1]
seq = int(head[:10]) + 1
text = open(src).read()
text = re.sub(r"\nseq: \d+\n", "\nseq: %d\n" % seq, text)
text = re.sub(r"\nprev: [0-9a-f]{64}\n", "\nprev: " + head[11:75] + "\n", text)
text = re.sub(r"\nend: \d+\n$", "\nend: %d\n" % seq, text)
open(os.path.join(audit, "%010d-%s.rec" % (seq, hashlib.sha256(text.encode()).hexdigest())), "w").write(text)
EOF
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$S"
expect_out "$PLANTED.envelope: envelope-(signer-unknown|foreign-policy)"
expect_out "record-(signer-unknown|signature-invalid)"
expect_out "$MALLORY_FPR"
run 0 "$SSOESCROW" vault list --vault "$WORK/v"
expect_out "^$PLANTED .* damaged$"
expect_out "signer $MALLORY_FPR"
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req" --backup latest
expect_out "backup: +$LATEST_GENUINE of "
expect_out "signed by: +signer '[^']+' \($HOST_FPR\), policy $POLICY"
run 6 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-planted" --backup "$PLANTED"
expect_absent "$WORK/req-planted"
# status counts the genuine backups only: the planted backup and its MSID are nowhere.
"$SSOESCROW" status --vault "$WORK/v" --no-state --format json >"$WORK/status.json" 2>/dev/null || true
# (vault-integrity reports the damage, naming the file: that is not counting it.)
CHECKS=$((CHECKS + 1))
python3 - "$WORK/status.json" "$PLANTED" "$EVIL_MSID" "$GENUINE_MSID" <<'EOF' ||
import json, sys
doc = json.load(open(sys.argv[1]))
checks = [c for v in doc["vaults"] for c in v["checks"]]
integrity = [c for c in checks if c["id"] == "vault-integrity"][0]
assert integrity["state"] == "critical", integrity
counted = json.dumps([c for c in checks if c["id"] != "vault-integrity"])
assert sys.argv[2] not in counted, "the planted backup is counted"
assert sys.argv[3] not in counted, "the attacker's MSID is shown"
assert sys.argv[4] in counted, "the genuine MSID is not shown"
EOF
    fail "status counts the planted backup"

# A request for the planted backup made by hand (from the attacker's copy, where it verifies)
# is refused by apply on the victim's vault even with K approvals: never restored.
# (Only possible when the planted envelope still names the attacker's policy, where it verifies.)
"$SSOESCROW" restore request --vault "$WORK/evil" --out "$WORK/req-evil" --backup "$PLANTED" \
    >/dev/null 2>&1 || true
if [[ -f $WORK/req-evil ]]; then
    run 0 approve alice "$WORK/req-evil" "$WORK/alice-evil.approval"
    run 0 approve bob "$WORK/req-evil" "$WORK/bob-evil.approval"
    run 8 "$SSOESCROW" restore apply "$WORK/req-evil" --vault "$WORK/v" --approval \
        "$WORK/alice-evil.approval" --approval "$WORK/bob-evil.approval" --bridge "$BRIDGE" \
        --temp-dir "$WORK/tmp" --state-dir "$S"
    expect_err "backup $PLANTED is not verified .*signer $MALLORY_FPR"
    expect_equal "$(live_msid)" "$GENUINE_MSID" "the planted secret was restored"
    # The custodian who pins the policy they recorded refuses it too (without --vault).
    if [[ $HAVE_ED25519 == 0 ]]; then
        run 11 approve carol "$WORK/req-evil" "$WORK/carol-evil.approval" --expect-policy "$POLICY"
        expect_err 'not the expected'
    fi
    run 4 approve carol "$WORK/req-evil" "$WORK/carol-evil2.approval" --vault "$WORK/v"
    expect_err "not verified in vault .*signer $MALLORY_FPR"
fi

# --- restore approve shows the signer and the policy; --expect-policy --------------------------
run 0 approve alice "$WORK/req" "$WORK/alice.approval" --expect-policy "$POLICY"
expect_err "signed by: +signer $HOST_FPR"
expect_err "policy: +$POLICY"
run 0 approve bob "$WORK/req" "$WORK/bob.approval" --vault "$WORK/v"
expect_err "signed by: +signer '[^']+' \($HOST_FPR\), a signer of the vault's policy"
run 11 approve carol "$WORK/req" "$WORK/carol.approval" \
    --expect-policy "sha256:$(printf '0%.0s' {1..64})"
expect_err "is sealed under policy $POLICY, not the expected"
expect_absent "$WORK/carol.approval"

# --- a drill receipt, then the same receipt without its signature -----------------------------
rm -f "$WORK/v/envelopes/$PLANTED.envelope"
for f in "$WORK"/v/audit/*.rec; do
    grep -q "^backup: $PLANTED\$" "$f" && { chmod 600 "$f"; rm -f "$f"; }
done
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
run 0 "$SSOESCROW" restore apply "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/bob.approval" --drill --state-dir "$S"
DRILL=$(ls "$WORK/v/audit" | sort | tail -1)
CHECKS=$((CHECKS + 1))
grep -q "^signer: $HOST_FPR " "$WORK/v/audit/$DRILL" || fail "the drill record is not signed by the host"
CHECKS=$((CHECKS + 1))
[[ $(grep -n '' "$WORK/v/audit/$DRILL" | tail -3 | head -1) == *"signer: "* ]] ||
    fail "signer and signature are not the last fields before end"
"$SSOESCROW" status --vault "$WORK/v" --no-state --format json >"$WORK/out" 2>"$WORK/err" || true
CHECKS=$((CHECKS + 1))
python3 - "$WORK/out" <<'EOF' || fail "status does not count the signed drill"
import json, sys
doc = json.load(open(sys.argv[1]))
drill = [c for v in doc["vaults"] for c in v["checks"] if c["id"] == "drill-age"][0]
assert drill["state"] == "ok", drill
EOF
python3 - "$WORK/v/audit/$DRILL" <<'EOF'
import hashlib, os, sys
path = sys.argv[1]
lines = open(path).read().split("\n")
text = "\n".join(l for l in lines if not l.startswith(("signer: ", "signature: ")))
os.chmod(path, 0o600)
os.remove(path)
name = os.path.basename(path)[:11] + hashlib.sha256(text.encode()).hexdigest() + ".rec"
open(os.path.join(os.path.dirname(path), name), "w").write(text)
EOF
run 2 "$SSOESCROW" vault check --vault "$WORK/v" --no-state
expect_out 'audit-record-malformed'
"$SSOESCROW" status --vault "$WORK/v" --no-state --format json >"$WORK/out" 2>"$WORK/err" || true
CHECKS=$((CHECKS + 1))
python3 - "$WORK/out" <<'EOF' || fail "status counts a drill receipt without a signature"
import json, sys
doc = json.load(open(sys.argv[1]))
drill = [c for v in doc["vaults"] for c in v["checks"] if c["id"] == "drill-age"][0]
assert drill["state"] != "ok", drill
EOF

# --- a valid envelope moved from another vault with the same custodians and signer -------------
run 0 "$SSOESCROW" vault init --vault "$WORK/w" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --signer "$WORK/ops.key.pub" --state-dir "$S"
expect_out "policy fingerprint: $POLICY"
run 0 "$SSOESCROW" backup --vault "$WORK/w" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$S"
MOVED=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
run 0 "$SSOESCROW" vault init --vault "$WORK/x" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --signer "$WORK/ops.key.pub" --state-dir "$S"
cp "$WORK/w/envelopes/$MOVED.envelope" "$WORK/x/envelopes/"
run 2 "$SSOESCROW" vault check --vault "$WORK/x" --state-dir "$S"
expect_out "$MOVED.envelope: envelope-other-vault"
run 0 "$SSOESCROW" backup --vault "$WORK/x" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" \
    --state-dir "$S"
CHECKS=$((CHECKS + 1))
grep -l "^backup: $MOVED\$" "$WORK"/x/audit/*.rec 2>/dev/null | grep -q . &&
    fail "the moved envelope was adopted"
run 6 "$SSOESCROW" restore request --vault "$WORK/x" --out "$WORK/req-moved" --backup "$MOVED"

finish
