#!/usr/bin/env bash
# End-to-end tests of `ssoescrow import`: a .bak made by hand (here: the emulator's backup, as
# `ssoconfig -backupSecret` would make it) sealed with its password from an owner-only file or a
# descriptor; MSIDs unknown unless given; the reminder read through the bridge; every refusal
# (bad password length, MSID syntax, loose password file, empty or missing .bak, a file ENTSSO
# cannot read) leaves the vault unchanged; the password never appears in the vault or the logs.
# Env: SSOESCROW, SSO_EMULATOR, TESTS_DIR.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

emulator_test_setup

COMMON=(--vault "$WORK/v" --state-dir "$WORK/state")
CANARY="Canary-Import-Password-7f3a91"
envelope_count() { find "$WORK/v/envelopes" -name '*.envelope' | wc -l; }

for name in alice bob; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --state-dir "$WORK/state"
run 0 "${EMU[@]}" admin init --standalone SSO1
printf '{"protocol":"ssoescrow-bridge/1","file":"%s","password":"%s","reminder":"made by hand"}' \
    "$WORK/SSO1A2B.bak" "$CANARY" | "${EMU[@]}" backup >"$WORK/made.json"
MSID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["current_msid"])' "$WORK/made.json")
make_passphrase_file "$WORK/bak.pw" "$CANARY"

# Without a bridge: sealed, MSIDs unknown, a warning to run a drill.
run 0 "$SSOESCROW" import "${COMMON[@]}" --bak "$WORK/SSO1A2B.bak" --password-file "$WORK/bak.pw" \
    --log-json "$WORK/import.log"
expect_out '^import [0-9a-f]{32} committed: current MSID unknown, previous MSID unknown, envelopes/'
expect_err 'no --bridge: the file is not checked by ENTSSO; run a restore drill soon'
# With the bridge, known MSIDs and the password on a descriptor.
run 0 bash -c "exec 3<'$WORK/bak.pw'; '$SSOESCROW' import --vault '$WORK/v' --state-dir '$WORK/state' \
    --bak '$WORK/SSO1A2B.bak' --password-fd 3 --bridge '$BRIDGE' --current-msid '$MSID' \
    --computer SSO1 --secret-server SSO1 --label 'wizard backup' --json"
cp "$WORK/out" "$WORK/import.json"
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["operation"] == "import" and doc["current_msid"] == sys.argv[2], doc
assert doc["previous_msid"] is None and doc["label"] == "wizard backup", doc
assert doc["computer"] == "SSO1" and doc["bak_size"] > 0, doc
' "$WORK/import.json" "$MSID"
run 0 "$SSOESCROW" vault list --vault "$WORK/v"
expect_out 'msid unknown'
expect_out "msid $MSID"
CHECKS=$((CHECKS + 1))
grep -rqs 'import' "$WORK/v/audit" || fail "no import record in the audit log"

# Refusals: nothing is written.
count=$(envelope_count)
make_passphrase_file "$WORK/short.pw" "abc"
run 3 "$SSOESCROW" import "${COMMON[@]}" --bak "$WORK/SSO1A2B.bak" --password-file "$WORK/short.pw"
expect_err 'has 3 characters; ENTSSO passwords have 7 to 256'
run 2 "$SSOESCROW" import "${COMMON[@]}" --bak "$WORK/SSO1A2B.bak" --password-file "$WORK/bak.pw" \
    --current-msid not-a-guid
expect_err "--current-msid: 'not-a-guid' is not an MSID"
cp "$WORK/bak.pw" "$WORK/loose.pw" && chmod 644 "$WORK/loose.pw"
run 6 "$SSOESCROW" import "${COMMON[@]}" --bak "$WORK/SSO1A2B.bak" --password-file "$WORK/loose.pw"
expect_err 'chmod 600'
: >"$WORK/empty.bak"
run 3 "$SSOESCROW" import "${COMMON[@]}" --bak "$WORK/empty.bak" --password-file "$WORK/bak.pw"
expect_err 'is empty'
run 5 "$SSOESCROW" import "${COMMON[@]}" --bak "$WORK/missing.bak" --password-file "$WORK/bak.pw"
head -c 100 "$WORK/SSO1A2B.bak" >"$WORK/cut.bak"
run 10 "$SSOESCROW" import "${COMMON[@]}" --bak "$WORK/cut.bak" --password-file "$WORK/bak.pw" \
    --bridge "$BRIDGE"
expect_err 'ENTSSO error 10564'
run 11 "$SSOESCROW" import "${COMMON[@]}" --bak "$WORK/SSO1A2B.bak" --password-file "$WORK/bak.pw" \
    --expect-policy "sha256:$(printf 'f%.0s' {1..64})"
CHECKS=$((CHECKS + 1))
[[ $(envelope_count) -eq $count ]] || fail "a refused import wrote an envelope"

# The password is only inside envelopes (encrypted): not in the vault's text, logs or outputs.
CHECKS=$((CHECKS + 1))
if grep -rlF -- "$CANARY" "$WORK/v" "$WORK/state" "$WORK/import.log" "$WORK/out" "$WORK/err" "$HOME"; then
    fail "the imported password appears outside the envelopes"
fi
run 0 "$SSOESCROW" vault check --vault "$WORK/v" --state-dir "$WORK/state"

finish
