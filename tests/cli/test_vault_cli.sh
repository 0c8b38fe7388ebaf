#!/usr/bin/env bash
# End-to-end tests of `ssoescrow vault init|list|check|prune`: refusals with their exit codes,
# a clean vault, read-only commands that write nothing, a stale lock taken over and audit-logged,
# rollback detected through the latest-seen state, and every damaged-vault fixture under
# tests/fixtures/vaults/ diagnosed with its expected exit code and findings.
# Env: SSOESCROW (binary), TESTS_DIR. Exit 0 pass, 1 fail, 77 skip.
set -u

: "${SSOESCROW:?set SSOESCROW to the ssoescrow binary}"
: "${TESTS_DIR:?set TESTS_DIR to the tests directory}"

work=$(mktemp -d "${TMPDIR:-/tmp}/ssoescrow-vault-cli.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
export HOME="$work/home"
unset XDG_STATE_HOME
mkdir -p "$HOME"
umask 077
cd "$work" || exit 1

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND, keeps stdout in $out and stderr in $err.
expect() {
    local want=$1 what=$2
    shift 3
    "$@" >"$work/out" 2>"$work/err"
    local got=$?
    out=$(cat "$work/out")
    err=$(cat "$work/err")
    if [ "$got" -ne "$want" ]; then
        fail "$what: exit $got, expected $want"
        echo "  stdout: $out" >&2
        echo "  stderr: $err" >&2
        return 1
    fi
    return 0
}

contains() {  # contains TEXT NEEDLE DESCRIPTION
    case "$1" in
        *"$2"*) ;;
        *) fail "$3: missing '$2' in: $1" ;;
    esac
}

# --- custodians ---
printf 'correct horse battery staple\n' >pass
for name in alice bob carol; do
    expect 0 "keygen $name" -- "$SSOESCROW" custodian keygen --out "$name.key" --kdf-cost interactive \
        --passphrase-file pass || exit 1
done
printf 'ssoescrow-recipient/1 x25519 not-base64 0000 mallory\n' >broken.pub

# --- init refusals ---
expect 2 "threshold 1 without --allow-single-custodian" -- "$SSOESCROW" vault init --vault v1 \
    --threshold 1 --recipient alice.pub --recipient bob.pub &&
    contains "$err" "threshold 1" "K=1 message"
[ -e v1 ] && fail "a refused init created v1"

expect 2 "threshold above the number of recipients" -- "$SSOESCROW" vault init --vault v1 \
    --threshold 3 --recipient alice.pub --recipient bob.pub &&
    contains "$err" "threshold 3" "K>N message"

alice_fpr=$(awk '{print $4}' alice.pub)
expect 2 "duplicate recipients" -- "$SSOESCROW" vault init --vault v1 --threshold 2 \
    --recipient alice.pub --recipient bob.pub --recipient alice.pub &&
    contains "$err" "$alice_fpr" "duplicate names the custodian"

expect 3 "malformed recipient file" -- "$SSOESCROW" vault init --vault v1 --threshold 2 \
    --recipient alice.pub --recipient broken.pub && contains "$err" "broken.pub" "names the file"

expect 5 "missing recipient file" -- "$SSOESCROW" vault init --vault v1 --threshold 2 \
    --recipient alice.pub --recipient nobody.pub && contains "$err" "nobody.pub" "names the file"

expect 2 "bad duration flag" -- "$SSOESCROW" vault init --vault v1 --threshold 2 \
    --recipient alice.pub --recipient bob.pub --max-backup-age 3weeks

mkdir -m 700 notempty && touch notempty/file
expect 6 "non-empty directory" -- "$SSOESCROW" vault init --vault notempty --threshold 2 \
    --recipient alice.pub --recipient bob.pub && contains "$err" "not empty" "non-empty message"

# --- a clean vault ---
expect 0 "init" -- "$SSOESCROW" vault init --vault v --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --max-backup-age 1d --keep-last 10 || exit 1
contains "$out" "policy fingerprint: sha256:" "init prints the fingerprint"
fpr=$(printf '%s\n' "$out" | sed -n 's/^policy fingerprint: //p')
[[ "$fpr" =~ ^sha256:[0-9a-f]{64}$ ]] || fail "fingerprint format: $fpr"
contains "$out" "threshold: 2 of 3" "init prints K of N"
grep -q '^max-backup-age: 1d$' v/config || fail "--max-backup-age not in the config"
grep -q '^keep-last: 10$' v/config || fail "--keep-last not in the config"
[ "$(stat -c %a v)" = 700 ] || fail "vault dir mode $(stat -c %a v)"
[ "$(stat -c %a v/config)" = 400 ] || fail "config mode $(stat -c %a v/config)"
ls v/audit/0000000001-*.rec >/dev/null || fail "no vault-init record"
grep -q '^type: vault-init$' v/audit/0000000001-*.rec || fail "first record is not vault-init"
vault_id=$(sed -n 's/^vault-id: //p' v/config)
[ -f "$HOME/.local/state/ssoescrow/$vault_id/latest-seen" ] || fail "init did not remember the head"

expect 6 "existing vault" -- "$SSOESCROW" vault init --vault v --threshold 2 \
    --recipient alice.pub --recipient bob.pub && contains "$err" "already a vault" "existing vault"

snapshot() { find v -printf '%p %s %T@ %m\n' | sort; }
before=$(snapshot)
expect 0 "list (empty)" -- "$SSOESCROW" vault list --vault v && contains "$out" "no backups" "list"
expect 0 "list --json" -- "$SSOESCROW" vault list --vault v --json &&
    contains "$out" "\"vault_id\": \"$vault_id\"" "list json vault id" &&
    contains "$out" "\"backups\": []" "list json backups"
expect 0 "check (clean)" -- "$SSOESCROW" vault check --vault v && contains "$out" ": clean" "check"
expect 0 "check --json" -- "$SSOESCROW" vault check --vault v --json &&
    contains "$out" '"result": "clean"' "check json result" &&
    contains "$out" '"intact": true' "check json chain"
expect 0 "prune --dry-run" -- "$SSOESCROW" vault prune --vault v --dry-run &&
    contains "$out" "plan: 0 to remove" "dry run plan"
[ "$before" = "$(snapshot)" ] || fail "a read-only command changed the vault"

# Read-only copy: list and check work and write nothing (F7).
cp -a v ro && chmod -R a-w ro
expect 0 "check on a read-only copy" -- "$SSOESCROW" vault check --vault ro --no-state
expect 0 "list on a read-only copy" -- "$SSOESCROW" vault list --vault ro
[ -z "$(find ro -name '.tmp-*')" ] || fail "temp files in the read-only copy"
[ -e ro/locks/writer.lock ] && fail "a lock was left in the read-only copy"

# --- a stale lock from another host: taken over by prune and audit-logged ---
cat >v/locks/writer.lock <<'EOF'
ssoescrow-lock 1
id 0123456789abcdef0123456789abcdef
host OTHERHOST
pid 4242
operation backup
started 1767225600
refreshed 1767225600
ttl 900
EOF
expect 1 "check with a stale lock" -- "$SSOESCROW" vault check --vault v &&
    contains "$out" "lock-stale" "stale lock finding"
expect 0 "prune takes over the stale lock" -- "$SSOESCROW" vault prune --vault v &&
    contains "$err" "took over a stale writer lock" "takeover warning"
[ -e v/locks/writer.lock ] && fail "prune left its lock behind"
grep -l '^type: lock-override$' v/audit/*.rec >/dev/null || fail "no lock-override record"
grep -q '^holder-host: OTHERHOST$' v/audit/0000000002-*.rec || fail "override names the holder"
expect 0 "check after prune" -- "$SSOESCROW" vault check --vault v

# --- rollback: remove the newest record (and the audit head naming it, as a copy from before it
# would have it); the latest-seen state notices ---
chmod u+w v/audit
rm -f v/audit/0000000002-*.rec v/audit-head
expect 2 "rolled-back audit log" -- "$SSOESCROW" vault check --vault v &&
    contains "$out" "audit-rolled-back" "rollback finding"
expect 0 "the same copy without the state" -- "$SSOESCROW" vault check --vault v --no-state

# --- a live lock held by a writer on this host blocks prune (exit 7) ---
cat >v/locks/writer.lock <<EOF
ssoescrow-lock 1
id 0123456789abcdef0123456789abcdef
host OTHERHOST
pid 4242
operation backup
started $(date +%s)
refreshed $(date +%s)
ttl 900
EOF
expect 7 "prune while another writer holds the lock" -- "$SSOESCROW" vault prune --vault v &&
    contains "$err" "OTHERHOST" "locked message names the holder"
rm -f v/locks/writer.lock

# --- no vault / not a vault ---
expect 3 "check of a missing vault is unknown" -- "$SSOESCROW" vault check --vault nowhere
expect 5 "list of a missing vault" -- "$SSOESCROW" vault list --vault nowhere

# --- every damaged-vault fixture ---
fixtures="$TESTS_DIR/fixtures/vaults"
count=0
for dir in "$fixtures"/*/; do
    name=$(basename "$dir")
    expected="$dir/expected-check.txt"
    [ -f "$expected" ] || continue
    count=$((count + 1))
    want=$(sed -n 's/^exit: //p' "$expected")
    expect "$want" "fixture $name" -- "$SSOESCROW" vault check --no-state --vault "$dir/vault" ||
        continue
    while IFS=' ' read -r severity code file; do
        case "$severity" in warning | damaged) ;; *) continue ;; esac
        contains "$out" "$severity: $file: $code:" "fixture $name"
    done <"$expected"
    error=$(sed -n 's/^error: //p' "$expected")
    [ -n "$error" ] && contains "$err" "$error" "fixture $name error"
    expect "$want" "fixture $name (json)" -- "$SSOESCROW" vault check --no-state --json \
        --vault "$dir/vault"
done
[ "$count" -ge 15 ] || fail "only $count fixtures found under $fixtures"

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "ok: vault CLI ($count fixtures)"
