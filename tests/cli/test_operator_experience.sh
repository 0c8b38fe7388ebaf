#!/usr/bin/env bash
# What a new user trips over (issue 14, "Files people exchange" and "Command line"):
#   - recipient and signer lines, restore requests, approvals and receipts that went through
#     Notepad or a mail program (CR LF, a byte order mark, blank lines at the end) are read as the
#     originals; a Windows copy of a request binds to the same digest, so approvals of either open
#     with the other; strict files (identities) say exactly why they are refused;
#   - a FIFO or a directory given as any input file is refused at once, naming it, with one exit
#     code (5), never a hang (every such run is under `timeout`);
#   - a mistyped command is named with the nearest ones; parser errors in the `ssoescrow: error:`
#     style with a hint at the command's own --help; `help [COMMAND]` and `version`;
#   - SSOESCROW_VAULT / SSOESCROW_BRIDGE / SSOESCROW_STATE_DIR defaults, the command line winning;
#   - backups by unique id prefix, custodians by label;
#   - restore apply on the wrong cluster node refuses before anything is decrypted;
#   - a repeated record-receipt, like a repeated mark-departed, is exit 0 with a note on stderr;
#   - status --bridge-timeout: the default the README states is the one the code uses.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR; SSOESCROW_HOOKS=1 when the binary has test hooks.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[[ -n ${SSO_EMULATOR:-} && -x ${SSO_EMULATOR} ]] || { echo "no SSO emulator: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
command -v mkfifo >/dev/null || { echo "no mkfifo: skipped"; exit 77; }
command -v timeout >/dev/null || { echo "no timeout: skipped"; exit 77; }
export HOME="$WORK/home"
unset XDG_STATE_HOME SSOESCROW_VAULT SSOESCROW_BRIDGE SSOESCROW_STATE_DIR
mkdir -p "$HOME" "$WORK/tmp"
umask 077
README="$TESTS_DIR/../README.md"

EMU=("$SSO_EMULATOR" --state "$WORK/es")
BRIDGE="$SSO_EMULATOR --state $WORK/es"
ST=(--state-dir "$WORK/state")
# Every command that reads an input here is bounded: a regression to a blocking open fails
# (exit 124) instead of hanging the suite.
T=(timeout 20)

expect_equal() {
    CHECKS=$((CHECKS + 1))
    [[ $1 == "$2" ]] || fail "$3: got '$1', expected '$2'"
}
expect_no_err() {  # REGEX: the last run's stderr does NOT match
    CHECKS=$((CHECKS + 1))
    if grep -Eq -- "$1" "$WORK/err"; then
        fail "stderr matches /$1/"
        sed 's/^/  stderr: /' "$WORK/err" >&2
    fi
}
# windows_copy IN OUT: what Notepad or a mail program makes of a file.
windows_copy() {
    python3 - "$1" "$2" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n") + b"\r\n \r\n")
EOF
}
approve() {  # NAME REQ OUT
    "${T[@]}" "$SSOESCROW" restore approve "$2" --identity "$WORK/$1.key" \
        --passphrase-file "$WORK/$1.pass" --out "$3" --yes
}

for name in alice bob carol; do keygen "$name"; done

# --- Files people exchange ------------------------------------------------------------------------
windows_copy alice.pub alice-win.pub
run 0 "$SSOESCROW" signer show "${ST[@]}"
cp "$WORK/out" host.pub
run 0 "$SSOESCROW" signer keygen --out "$WORK/operator.key" --name operator
windows_copy operator.key.pub operator-win.pub
run 0 "${T[@]}" "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice-win.pub \
    --recipient bob.pub --recipient carol.pub --signer operator-win.pub "${ST[@]}"
CHECKS=$((CHECKS + 1))
grep -qF "$(cut -d' ' -f3 operator.key.pub)" "$WORK/v/config" ||
    fail "the vault does not list the operator's signer line"
CHECKS=$((CHECKS + 1))
grep -qxF "recipient: $(cat alice.pub)" "$WORK/v/config" ||
    fail "the vault does not hold alice's canonical recipient line"
run 0 "${EMU[@]}" admin init --standalone SSO1
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --temp-dir "$WORK/tmp" "${ST[@]}"
BACKUP=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)

run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req" --reason "operator test"
FPR=$(grep -Eo 'fingerprint: +[0-9a-f-]{39}' "$WORK/out" | grep -Eo '[0-9a-f-]{39}')
windows_copy req req-win
# Today a CR LF request was "unsupported version 2?" with a hint to upgrade.
run 0 approve alice "$WORK/req-win" "$WORK/alice.approval"
cat "$WORK/out" "$WORK/err" >"$WORK/shown"
CHECKS=$((CHECKS + 1))
grep -q "$FPR" "$WORK/shown" || fail "the Windows copy shows another request fingerprint"
expect_no_err 'unsupported version'
run 0 approve bob "$WORK/req" "$WORK/bob.approval"
windows_copy bob.approval bob-win.approval
# An approval of the Windows copy and a Windows copy of an approval open with the original
# request: both bind its canonical digest.
run 0 "${T[@]}" "$SSOESCROW" restore apply "$WORK/req" --vault "$WORK/v" "${ST[@]}" \
    --approval "$WORK/alice.approval" --approval "$WORK/bob-win.approval" --drill
expect_out "^drill of backup $BACKUP passed"
# And the Windows copy of the request applies with the same key and approvals.
run 0 "${T[@]}" "$SSOESCROW" restore apply "$WORK/req-win" --key "$WORK/req.key" --vault "$WORK/v" \
    "${ST[@]}" --approval "$WORK/alice.approval" --approval "$WORK/bob.approval" --drill
expect_out "^drill of backup $BACKUP passed"
# An identity file stays strict, and says why.
windows_copy carol.key carol-win.key
chmod 600 carol-win.key
run 3 "${T[@]}" "$SSOESCROW" restore approve "$WORK/req" --identity "$WORK/carol-win.key" \
    --passphrase-file "$WORK/carol.pass" --out "$WORK/carol.approval" --yes
expect_err 'carol-win.key: identity file: the file starts with a byte order mark'
tail -c +4 carol-win.key >carol-crlf.key
run 3 "${T[@]}" "$SSOESCROW" restore approve "$WORK/req" --identity "$WORK/carol-crlf.key" \
    --passphrase-file "$WORK/carol.pass" --out "$WORK/carol.approval" --yes
expect_err 'carol-crlf.key: identity file: the file has Windows line ends \(CR LF\)'
expect_absent "$WORK/carol.approval"

# A receipt file (from a read-only copy) through Notepad, recorded twice: idempotent (exit 0 with
# a note on stderr, as a repeated mark-departed).
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    # A request of its own: the drills above are already on record for the first one.
    run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-r" --reason "receipt test"
    run 0 approve alice "$WORK/req-r" "$WORK/alice-r.approval"
    run 0 approve bob "$WORK/req-r" "$WORK/bob-r.approval"
    run 0 env SSOESCROW_TEST_FAULT=erofs:open "${T[@]}" "$SSOESCROW" restore apply "$WORK/req-r" \
        --vault "$WORK/v" "${ST[@]}" --approval "$WORK/alice-r.approval" \
        --approval "$WORK/bob-r.approval" --drill --receipt-out "$WORK/drill.receipt"
    windows_copy drill.receipt drill-win.receipt
    run 0 "${T[@]}" "$SSOESCROW" restore record-receipt "${ST[@]}" --vault "$WORK/v" \
        "$WORK/drill-win.receipt"
    expect_out "^drill receipt of node .* \\(backup $BACKUP\\) recorded as audit/"
    records=$(find "$WORK/v/audit" -name '*.rec' | wc -l)
    run 0 "${T[@]}" "$SSOESCROW" restore record-receipt "${ST[@]}" --vault "$WORK/v" \
        "$WORK/drill.receipt"
    expect_err '^ssoescrow: note: this receipt is already in the audit log as audit/.*; nothing written$'
    expect_out "already recorded as audit/"
    expect_equal "$(find "$WORK/v/audit" -name '*.rec' | wc -l)" "$records" "records after a repeat"
else
    echo "no test hooks in this build: receipt file checks skipped"
fi
# A repeated mark-departed: the same convention.
run 0 "$SSOESCROW" vault mark-departed --vault "$WORK/v" --custodian carol --reason "left" "${ST[@]}"
expect_out "^marked departed: carol \("
run 0 "$SSOESCROW" vault mark-departed --vault "$WORK/v" --custodian carol --reason "left" "${ST[@]}"
expect_err '^ssoescrow: note: custodian carol \(.*\) is already marked departed; nothing written$'
run 0 "$SSOESCROW" vault reinstate --vault "$WORK/v" --custodian carol --reason "back" "${ST[@]}"

# --- Only regular files, refused without blocking -------------------------------------------------
mkfifo "$WORK/fifo"
mkdir "$WORK/adir"
for input in fifo adir; do
    what=$([[ $input == fifo ]] && echo 'a FIFO \(named pipe\)' || echo 'a directory')
    run 5 "${T[@]}" "$SSOESCROW" custodian keygen --out "$WORK/new-$input.key" --name dave \
        --kdf-cost interactive --passphrase-file "$WORK/$input"
    expect_err "passphrase file $WORK/$input is $what, not a regular file"
    expect_err 'hint: give the path of a regular file'
    expect_absent "$WORK/new-$input.key"
    run 5 "${T[@]}" "$SSOESCROW" restore approve "$WORK/req" --identity "$WORK/$input" \
        --passphrase-file "$WORK/alice.pass" --out "$WORK/x.approval" --yes
    expect_err "$WORK/$input is $what, not a regular file"
    run 5 "${T[@]}" "$SSOESCROW" restore approve "$WORK/$input" --identity "$WORK/alice.key" \
        --passphrase-file "$WORK/alice.pass" --out "$WORK/x.approval" --yes
    expect_err "$WORK/$input is $what, not a regular file"
    run 5 "${T[@]}" "$SSOESCROW" restore apply "$WORK/req" --vault "$WORK/v" "${ST[@]}" \
        --approval "$WORK/$input" --approval "$WORK/bob.approval" --drill
    expect_err "$WORK/$input is $what, not a regular file"
    run 5 "${T[@]}" "$SSOESCROW" import --vault "$WORK/v" --bak "$WORK/$input" "${ST[@]}" \
        --password-file "$WORK/alice.pass" --current-msid '{4F1C2B7A-0D3E-4E5F-9A8B-1C2D3E4F5A6B}'
    expect_err "$WORK/$input is $what, not a regular file"
    run 5 "${T[@]}" "$SSOESCROW" import --vault "$WORK/v" --bak "$WORK/req" "${ST[@]}" \
        --password-file "$WORK/$input" --current-msid '{4F1C2B7A-0D3E-4E5F-9A8B-1C2D3E4F5A6B}'
    expect_err "$WORK/$input is $what, not a regular file"
    run 5 "${T[@]}" "$SSOESCROW" vault init --vault "$WORK/v-$input" --threshold 1 \
        --recipient "$WORK/$input" "${ST[@]}"
    expect_err "$WORK/$input is $what, not a regular file"
    run 5 "${T[@]}" "$SSOESCROW" restore record-receipt "${ST[@]}" --vault "$WORK/v" "$WORK/$input"
    expect_err "$WORK/$input is $what, not a regular file"
    # Monitoring commands: UNKNOWN (3), the same words.
    run 3 "${T[@]}" "$SSOESCROW" topology check --inventory "$WORK/$input"
    expect_err "$WORK/$input is $what, not a regular file"
done

# --- Command line ---------------------------------------------------------------------------------
run 2 "$SSOESCROW" vault lsit --vault "$WORK/v"
expect_err "^ssoescrow: error: unknown command 'vault lsit'$"
expect_err "^ssoescrow: hint: did you mean 'vault list'\\? 'ssoescrow vault --help' lists the commands$"
run 2 "$SSOESCROW" restor request
expect_err "unknown command 'restor'"
expect_err "did you mean 'restore'"
run 2 "$SSOESCROW" list
expect_err "did you mean 'vault list'"
run 2 "$SSOESCROW" vault
expect_err "^ssoescrow: error: 'ssoescrow vault' needs a command: one of .*list"
expect_err "^ssoescrow: hint: run 'ssoescrow vault --help' for usage$"
run 2 "$SSOESCROW" vault list
expect_err '^ssoescrow: error: vault list: --vault is required$'
expect_err "^ssoescrow: hint: run 'ssoescrow vault list --help' for usage$"
run 2 "$SSOESCROW" vault list --vault "$WORK/v" extra
expect_err '^ssoescrow: error: vault list: unexpected argument extra$'
run 2 "$SSOESCROW" vault list --vault
expect_err '^ssoescrow: error: vault list: --vault needs a value$'
run 2 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/r2" --expires
expect_err "hint: run 'ssoescrow restore request --help' for usage"
run 3 "$SSOESCROW" status --vault "$WORK/v" --bogus
expect_err '^ssoescrow: error: status: '
expect_err "^ssoescrow: hint: run 'ssoescrow status --help' for usage$"
run 3 "$SSOESCROW" vault check --vault "$WORK/v" --format yaml
expect_err "^ssoescrow: hint: run 'ssoescrow vault check --help' for usage$"
# No raw parser sentences.
run 2 "$SSOESCROW" vault list --vault "$WORK/v" extra more
expect_err '^ssoescrow: error: vault list: unexpected arguments? '
expect_no_err 'The following argument'
run 2 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --wait soon
expect_err "^ssoescrow: error: backup: --wait: 'soon' is not a valid value$"
expect_no_err 'Could not convert'
# A usage error found by the command itself points at its --help too.
run 2 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/r3" --expires 90d
expect_err '^ssoescrow: error: --expires: give 1s to 30d$'
expect_err "^ssoescrow: hint: run 'ssoescrow restore request --help' for usage$"
# help and version
run 0 "$SSOESCROW" vault list --help
cp "$WORK/out" "$WORK/list-help"
run 0 "$SSOESCROW" help vault list
expect_equal "$(cat "$WORK/out")" "$(cat "$WORK/list-help")" "help vault list"
run 0 "$SSOESCROW" --help
cp "$WORK/out" "$WORK/top-help"
expect_out '^  help +Show the help of ssoescrow or of one command'
run 0 "$SSOESCROW" help
expect_equal "$(cat "$WORK/out")" "$(cat "$WORK/top-help")" "help"
run 2 "$SSOESCROW" help vault lsit
expect_err "did you mean 'vault list'"
run 0 "$SSOESCROW" version
expect_out '^ssoescrow [0-9]+\.[0-9]+\.[0-9]+$'
version=$(cat "$WORK/out")
run 0 "$SSOESCROW" --version
expect_equal "$(cat "$WORK/out")" "$version" "--version"

# --- Defaults from the environment ----------------------------------------------------------------
run 0 env SSOESCROW_VAULT="$WORK/v" "$SSOESCROW" vault list
expect_out "$BACKUP"
# The command line wins.
run 0 env SSOESCROW_VAULT="$WORK/nowhere" "$SSOESCROW" vault list --vault "$WORK/v"
expect_out "$BACKUP"
run 0 env SSOESCROW_VAULT="$WORK/nowhere" "$SSOESCROW" vault list --vault="$WORK/v"
run 5 env SSOESCROW_VAULT="$WORK/nowhere" "$SSOESCROW" vault list
expect_err "$WORK/nowhere"
run 0 "$SSOESCROW" vault list --help
expect_out 'default: \$SSOESCROW_VAULT'
run 0 env SSOESCROW_STATE_DIR="$WORK/state" "$SSOESCROW" signer show
expect_equal "$(cat "$WORK/out")" "$(cat host.pub)" "signer show with SSOESCROW_STATE_DIR"
run 0 env SSOESCROW_VAULT="$WORK/v" SSOESCROW_BRIDGE="$BRIDGE" SSOESCROW_STATE_DIR="$WORK/state" \
    "$SSOESCROW" backup --temp-dir "$WORK/tmp"
SECOND=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
[[ -n $SECOND && $SECOND != "$BACKUP" ]] || fail "no second backup through the environment"
# restore apply never takes its bridge (what makes it a restore) from the environment.
run 0 "$SSOESCROW" restore apply --help
expect_out '--bridge TEXT +The SSO bridge command line'
CHECKS=$((CHECKS + 1))
grep -A2 -- '--bridge TEXT' "$WORK/out" | grep -q 'SSOESCROW_BRIDGE' &&
    fail "restore apply offers --bridge from the environment"
run 2 env SSOESCROW_BRIDGE="$BRIDGE" "$SSOESCROW" restore apply "$WORK/req" --vault "$WORK/v" \
    "${ST[@]}" --approval "$WORK/alice.approval" --approval "$WORK/bob.approval"
CHECKS=$((CHECKS + 1))
grep -q "restore of backup" "$WORK/out" && fail "SSOESCROW_BRIDGE made restore apply restore"

# --- Backups by id prefix, custodians by label ----------------------------------------------------
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-prefix" --backup "${BACKUP:0:6}"
expect_out "backup: +$BACKUP "
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-prefix-upper" \
    --backup "$(tr a-f A-F <<<"${BACKUP:0:8}")"
expect_out "backup: +$BACKUP "
# (the 4-digit prefix may be another backup's too: then it is ambiguous, exit 2, both listed)
if [[ ${BACKUP:0:4} == "${SECOND:0:4}" ]]; then
    run 2 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-amb" --backup "${BACKUP:0:4}"
    expect_err "is ambiguous"
else
    run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-4" --backup "${BACKUP:0:4}"
fi
prefix=$(python3 -c "import sys; a,b=sys.argv[1:]; print('ffff' if not ('ffff'==a[:4] or 'ffff'==b[:4]) else '0000')" "$BACKUP" "$SECOND")
run 5 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-none" --backup "$prefix"
expect_err "no backup of vault $WORK/v has an id starting with $prefix"
# Two custodians labelled alike: the label is refused as ambiguous, naming both.
"$SSOESCROW" custodian keygen --out "$WORK/twin1.key" --name twin --kdf-cost interactive \
    --passphrase-file "$WORK/alice.pass" >/dev/null 2>&1
"$SSOESCROW" custodian keygen --out "$WORK/twin2.key" --name twin --kdf-cost interactive \
    --passphrase-file "$WORK/alice.pass" >/dev/null 2>&1
run 0 "$SSOESCROW" vault init --vault "$WORK/vt" --threshold 2 --recipient twin1.pub \
    --recipient twin2.pub --recipient carol.pub "${ST[@]}"
run 2 "$SSOESCROW" vault mark-departed --vault "$WORK/vt" --custodian twin --reason "left" "${ST[@]}"
expect_err "^ssoescrow: error: --custodian: 2 custodians of the vault are labelled 'twin': "
expect_err 'hint: give the fingerprint of the one you mean'

# --- Cheap checks first: the wrong cluster node is refused before anything is decrypted -----------
CL=("$SSO_EMULATOR" --state "$WORK/cl")
N1="$SSO_EMULATOR --state $WORK/cl --node N1"
N2="$SSO_EMULATOR --state $WORK/cl --node N2"
run 0 "${CL[@]}" admin init --cluster CL1 --group SSOGRP --network-name SSOVN --nodes N1,N2 \
    --secret-on-owner-only
run 0 "$SSOESCROW" vault init --vault "$WORK/vc" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub "${ST[@]}"
run 0 "$SSOESCROW" backup --vault "$WORK/vc" --bridge "$N1" --temp-dir "$WORK/tmp" "${ST[@]}"
run 0 "$SSOESCROW" restore request --vault "$WORK/vc" --out "$WORK/reqc"
run 0 approve alice "$WORK/reqc" "$WORK/alice-c.approval"
run 0 approve bob "$WORK/reqc" "$WORK/bob-c.approval"
run 6 "${T[@]}" "$SSOESCROW" restore apply "$WORK/reqc" --vault "$WORK/vc" "${ST[@]}" \
    --approval "$WORK/alice-c.approval" --approval "$WORK/bob-c.approval" --bridge "$N2" \
    --temp-dir "$WORK/tmp" --log-json "$WORK/apply.log"
expect_err 'this computer \(N2\) does not own the SSO cluster group SSOGRP'
CHECKS=$((CHECKS + 1))
grep -q '"event":"opened"' "$WORK/apply.log" && fail "the backup was decrypted before the node check"
# An existing --extract target: refused before anything is decrypted too.
run 0 "$SSOESCROW" restore request --vault "$WORK/vc" --out "$WORK/reqx" --purpose extract
run 0 approve alice "$WORK/reqx" "$WORK/alice-x.approval"
run 0 approve bob "$WORK/reqx" "$WORK/bob-x.approval"
BACKUP_C=$(grep -m1 '^backup: ' "$WORK/reqx" | cut -d' ' -f2)
mkdir -m 700 "$WORK/xdir"
echo "old" >"$WORK/xdir/ssoescrow-$BACKUP_C.password"
run 6 "${T[@]}" "$SSOESCROW" restore apply "$WORK/reqx" --vault "$WORK/vc" "${ST[@]}" \
    --approval "$WORK/alice-x.approval" --approval "$WORK/bob-x.approval" --extract "$WORK/xdir" \
    --log-json "$WORK/extract.log"
expect_err 'already exists; nothing was extracted'
CHECKS=$((CHECKS + 1))
grep -q '"event":"opened"' "$WORK/extract.log" && fail "the backup was decrypted before the target check"

# --- Machine output: a schema key first, documented key order, absent MSID null ------------------
run 0 "$SSOESCROW" vault list --vault "$WORK/v" --json
python3 - "$WORK/out" <<'EOF' || fail "vault list --json: $(head -c 600 "$WORK/out")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert list(doc)[:5] == ["schema", "vault", "vault_id", "policy", "backups"], list(doc)
assert doc["schema"] == "ssoescrow-vault-list/1", doc["schema"]
b = doc["backups"][0]
assert list(b)[:7] == ["id", "created", "state", "computer", "secret_server", "current_msid",
                       "previous_msid"], list(b)
assert all(x["previous_msid"] != "" and x["current_msid"] != "" for x in doc["backups"])
EOF
CHECKS=$((CHECKS + 1))
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --json --no-state
python3 - "$WORK/out" <<'EOF' || fail "vault check --json: $(head -c 600 "$WORK/out")"
import json, sys
doc = json.load(open(sys.argv[1]))
assert list(doc)[:4] == ["schema", "vault", "vault_id", "result"], list(doc)
assert doc["schema"] == "ssoescrow-vault-check/1", doc["schema"]
EOF
CHECKS=$((CHECKS + 1))

# keygen, init, request and approve: machine output instead of grepping text.
run 0 "$SSOESCROW" custodian keygen --out "$WORK/erin.key" --name erin --kdf-cost interactive \
    --passphrase-file "$WORK/alice.pass" --json
cp "$WORK/out" "$WORK/keygen.json"
run 0 "$SSOESCROW" vault init --vault "$WORK/vj" --threshold 2 --recipient alice.pub \
    --recipient "$WORK/erin.pub" "${ST[@]}" --json
cp "$WORK/out" "$WORK/init.json"
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req-json" --json
cp "$WORK/out" "$WORK/request.json"
run 0 "${T[@]}" "$SSOESCROW" restore approve "$WORK/req-json" --identity "$WORK/alice.key" \
    --passphrase-file "$WORK/alice.pass" --out "$WORK/alice-json.approval" --yes --json
cp "$WORK/out" "$WORK/approve.json"
python3 - "$WORK" "$BACKUP" "$SECOND" <<'EOF' || fail "machine output of keygen/init/request/approve"
import json, sys
work, backups = sys.argv[1], sys.argv[2:]
def doc(name, schema, keys):
    d = json.load(open(f"{work}/{name}.json"))
    assert list(d) == keys, (name, list(d))
    assert d["schema"] == schema, (name, d["schema"])
    return d
k = doc("keygen", "ssoescrow-custodian-keygen/1",
        ["schema", "identity", "recipient_file", "recipient", "fingerprint", "label"])
assert k["label"] == "erin" and k["recipient"] == open(f"{work}/erin.pub").read().strip(), k
i = doc("init", "ssoescrow-vault-init/1",
        ["schema", "vault", "vault_id", "threshold", "custodians", "signers", "policy"])
assert i["threshold"] == 2 and sorted(c["label"] for c in i["custodians"]) == ["alice", "erin"], i
erin = next(c for c in i["custodians"] if c["label"] == "erin")
assert erin["fingerprint"] == k["fingerprint"] and i["policy"].startswith("sha256:"), i
assert i["vault_id"] in open(f"{work}/vj/config").read(), i
r = doc("request", "ssoescrow-restore-request-result/1",
        ["schema", "request", "file", "key", "fingerprint", "backup", "backup_created", "computer",
         "current_msid", "purpose", "threshold", "custodians", "policy", "expires"])
assert r["backup"] in backups and r["purpose"] == "restore" and r["threshold"] == 2, r
assert r["current_msid"].startswith("{"), r
a = doc("approve", "ssoescrow-restore-approval-result/1",
        ["schema", "request", "file", "custodian", "label", "purpose", "expires"])
assert a["request"] == r["request"] and a["label"] == "alice" and a["expires"] == r["expires"], a
EOF
CHECKS=$((CHECKS + 1))

# prune, unlock, mark-departed and reinstate.
run 0 "$SSOESCROW" vault prune --vault "$WORK/v" --dry-run --json
cp "$WORK/out" "$WORK/prune.json"
run 0 "$SSOESCROW" vault unlock --vault "$WORK/vj" "${ST[@]}" --json
cp "$WORK/out" "$WORK/unlock.json"
run 0 "$SSOESCROW" vault mark-departed --vault "$WORK/vj" --custodian erin --reason "left" "${ST[@]}" --json
cp "$WORK/out" "$WORK/depart.json"
run 0 "$SSOESCROW" vault mark-departed --vault "$WORK/vj" --custodian erin --reason "left" "${ST[@]}" --json
cp "$WORK/out" "$WORK/depart-again.json"
expect_err '^ssoescrow: note: custodian erin \(.*\) is already marked departed; nothing written$'
python3 - "$WORK" "$BACKUP" <<'EOF' || fail "machine output of prune/unlock/mark-departed"
import json, sys
work, backup = sys.argv[1:]
def doc(name, schema, keys):
    d = json.load(open(f"{work}/{name}.json"))
    assert list(d) == keys, (name, list(d))
    assert d["schema"] == schema, (name, d["schema"])
    return d
p = doc("prune", "ssoescrow-vault-prune/1",
        ["schema", "vault", "dry_run", "decisions", "removed", "kept", "adopted", "skipped"])
assert p["dry_run"] is True and any(x["backup"] == backup for x in p["decisions"]), p
assert list(p["decisions"][0]) == ["action", "backup", "created", "reason"], p
u = doc("unlock", "ssoescrow-vault-unlock/1", ["schema", "vault", "result", "removed"])
assert u["result"] == "not-locked" and u["removed"] is None, u
keys = ["schema", "vault", "operation", "custodian", "label", "written", "audit_seq", "present",
        "custodians", "threshold"]
d = doc("depart", "ssoescrow-custodian-change/1", keys)
assert d["operation"] == "mark-departed" and d["label"] == "erin" and d["written"] is True, d
assert isinstance(d["audit_seq"], int) and d["present"] == 1 and d["custodians"] == 2, d
again = doc("depart-again", "ssoescrow-custodian-change/1", keys)
assert again["written"] is False and again["audit_seq"] is None and again["present"] == 1, again
EOF
CHECKS=$((CHECKS + 1))

# An import without MSIDs: null in the job result, in vault list and in status, never "unknown".
printf '{"protocol":"ssoescrow-bridge/1","file":"%s","password":"%s","reminder":"by hand"}' \
    "$WORK/hand.bak" "hand-made-password-1" | "${EMU[@]}" backup >/dev/null
make_passphrase_file "$WORK/hand.pw" "hand-made-password-1"
run 0 "$SSOESCROW" import --vault "$WORK/v" "${ST[@]}" --bak "$WORK/hand.bak" \
    --password-file "$WORK/hand.pw" --json
cp "$WORK/out" "$WORK/import.json"
run 0 "$SSOESCROW" vault list --vault "$WORK/v" --json
cp "$WORK/out" "$WORK/list2.json"
"$SSOESCROW" status --vault "$WORK/v" --no-state --format json >"$WORK/status.json" 2>/dev/null || true
python3 - "$WORK" <<'EOF' || fail "an absent MSID is not null everywhere"
import json, sys
work = sys.argv[1]
job = json.load(open(f"{work}/import.json"))
assert job["current_msid"] is None and job["previous_msid"] is None, job
listed = json.load(open(f"{work}/list2.json"))
imported = next(b for b in listed["backups"] if b["id"] == job["backup_id"])
assert imported["current_msid"] is None and imported["previous_msid"] is None, imported
def msids(node, path=""):
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("msid") and not isinstance(value, (dict, list)):
                yield path + "/" + key, value
            yield from msids(value, path + "/" + key)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from msids(value, f"{path}/{i}")
found = list(msids(json.load(open(f"{work}/status.json"))))
assert any(value is None for _, value in found), found
bad = [(where, value) for where, value in found if value in ("", "unknown")]
assert not bad, bad
EOF
CHECKS=$((CHECKS + 1))

# status and topology check take --json like every command (as --format json).
"$SSOESCROW" status --vault "$WORK/v" --no-state --json >"$WORK/status2.json" 2>/dev/null || true
CHECKS=$((CHECKS + 1))
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["schema"] == "ssoescrow-status/1"' \
    "$WORK/status2.json" || fail "status --json is not the status document"
run 3 "$SSOESCROW" status --vault "$WORK/v" --no-state --json --format text
expect_err '^ssoescrow: error: status: --(json|format) excludes --(format|json)$'

# --- One default for status --bridge-timeout, in the code and in the README -----------------------
run 0 "$SSOESCROW" status --help
default=$(grep -Eo 'Seconds to wait for the bridge \(default [0-9]+\)' "$WORK/out" | grep -Eo '[0-9]+')
CHECKS=$((CHECKS + 1))
[[ -n $default ]] || fail "status --help states no --bridge-timeout default"
CHECKS=$((CHECKS + 1))
grep -Eq "status.*--bridge-timeout.*default $default s|--bridge-timeout S\\] +\\(default $default s\\)" "$README" ||
    fail "README does not state status --bridge-timeout's default of $default s"

finish
