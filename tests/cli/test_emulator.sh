#!/usr/bin/env bash
# sso-emulator end to end: bridge-conformance on a fresh standalone state, every ENTSSO error path
# (10836/10839/10840, 10784, 10564, 10779, 10815, 10766, 10520, service stopped), malformed
# requests, the two-node cluster (owner acts as master secret server, move-group, resource
# offline), restore and generate on a node, every injected fault applying once, and a canary
# password that must never leave the request (state folder, event log, outputs, .bak in clear).
if [[ -z ${SSO_EMULATOR:-} ]]; then
    echo "SSO_EMULATOR is not set (emulator not built): skipped"
    exit 77
fi
if ! command -v jq >/dev/null; then
    echo "jq is not installed: skipped"
    exit 77
fi
# common.sh insists on the ssoescrow binary, which this test does not use.
export SSOESCROW=${SSOESCROW:-/nonexistent/ssoescrow-not-needed}
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

E=$SSO_EMULATOR
P='ssoescrow-bridge/1'
CANARY='Canary-Pw-5e1d9c7a'
ALLOUT=$WORK/all-outputs
: >"$ALLOUT"

# req JSON-FIELDS...: a request object with the protocol name, e.g. req '"file":"a.bak"'.
req() {
    local IFS=,
    printf '{"protocol":"%s"%s}' "$P" "${*:+,$*}"
}

# call STATE OP BODY [emulator options]: runs one protocol call, stdout in out, stderr in err,
# exit status in $rc; everything printed is kept for the canary search.
call() {
    local state=$1 op=$2 body=$3
    shift 3
    rc=0
    printf '%s' "$body" | "$E" --state "$state" "$@" "$op" >"$WORK/out" 2>"$WORK/err" || rc=$?
    cat "$WORK/out" "$WORK/err" >>"$ALLOUT"
}

admin() {
    "$E" --state "$@" >"$WORK/aout" 2>"$WORK/aerr" || {
        fail "admin $* failed: $(cat "$WORK/aerr")"
        return 1
    }
    cat "$WORK/aout" >>"$ALLOUT"
}

field() { jq -r "$1" "$WORK/out" 2>/dev/null; }

# expect_ok: exit 0 and {"protocol": P, "ok": true}.
expect_ok() {
    CHECKS=$((CHECKS + 1))
    if [[ $rc -ne 0 || $(field '.ok') != true || $(field '.protocol') != "$P" ]]; then
        fail "${1:-call}: expected ok, got exit $rc: $(head -c 400 "$WORK/out") $(head -c 400 "$WORK/err")"
    fi
}

# expect_code CODE [LABEL]: exit 0 and an ENTSSO failure with that code and a message.
expect_code() {
    CHECKS=$((CHECKS + 1))
    if [[ $rc -ne 0 || $(field '.ok') != false || $(field '.code') != "$1" ||
        $(field '.message | type') != string || $(field '.protocol') != "$P" ]]; then
        fail "${2:-call}: expected ENTSSO $1, got exit $rc: $(head -c 400 "$WORK/out") $(head -c 300 "$WORK/err")"
    fi
}

# expect_exit CODE [LABEL]: the emulator refused the call itself (nothing on stdout).
expect_exit() {
    CHECKS=$((CHECKS + 1))
    if [[ $rc -ne $1 || -s $WORK/out ]]; then
        fail "${2:-call}: expected exit $1 and no stdout, got exit $rc: $(head -c 300 "$WORK/out")"
    fi
}

expect_eq() {
    CHECKS=$((CHECKS + 1))
    [[ $1 == "$2" ]] || fail "$3: expected '$2', got '$1'"
}

expect_ne() {
    CHECKS=$((CHECKS + 1))
    [[ $1 != "$2" ]] || fail "$3: both are '$1'"
}

msid_re='^\{[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}\}$'
backup_req() { req "\"file\":\"$1\"" "\"password\":\"${2:-$CANARY}\"" "\"reminder\":\"${3:-rem}\""; }
restore_req() { req "\"file\":\"$1\"" "\"password\":\"${2:-$CANARY}\""; }

# ---------------------------------------------------------------------------------------------
# Conformance: the published checker against a fresh standalone server.
admin "$WORK/conf" admin init --standalone SSO01
if [[ -n ${SHARED_DIR:-} && -x $SHARED_DIR/tools/bridge-conformance ]] && command -v python3 >/dev/null; then
    CHECKS=$((CHECKS + 1))
    "$SHARED_DIR/tools/bridge-conformance" "$E --state $WORK/conf" >"$WORK/conf.out" 2>&1 ||
        { fail "bridge-conformance failed"; cat "$WORK/conf.out" >&2; }
    grep -q ' 0 failed' "$WORK/conf.out" || fail "bridge-conformance did not report 0 failed"
else
    echo "note: bridge-conformance or python3 not available, conformance not run"
fi

# ---------------------------------------------------------------------------------------------
# Standalone server: status, backup, reminder, restore.
S=$WORK/s
admin "$S" admin init --standalone sso01
expect_mode 700 "$S"
expect_mode 600 "$S/secrets/SSO01.secret"
call "$S" status "$(req)"
expect_ok status
expect_eq "$(field .computer)" SSO01 "status computer (names are upper-cased)"
expect_eq "$(field .secret_server)" SSO01 "status secret_server"
expect_eq "$(field .is_secret_server)" true "status is_secret_server"
expect_eq "$(field .service_state)" running "status service_state"
expect_eq "$(field .previous_msid)" null "a fresh server has no previous MSID"
expect_eq "$(field .cluster)" null "standalone cluster field"
M1=$(field .current_msid)
[[ $M1 =~ $msid_re ]] || fail "current MSID $M1 is not an upper-case braced GUID"
grep -q $'\t10589\t' "$S/events.log" || fail "no 10589 (never backed up) event after init"

call "$S" backup "$(backup_req "$WORK/a.bak" "$CANARY" "escrow backup one")"
expect_ok backup
expect_eq "$(field .current_msid)" "$M1" "backup current_msid"
expect_eq "$(field .previous_msid)" null "backup previous_msid"
expect_mode 600 "$WORK/a.bak"
grep -q $'\t10559\t.*Current MSID: '"$M1" "$S/events.log" || fail "no 10559 event naming the MSID"
call "$S" reminder "$(req "\"file\":\"$WORK/a.bak\"")"
expect_ok reminder
expect_eq "$(field .reminder)" "escrow backup one" "reminder round trip"
call "$S" restore "$(restore_req "$WORK/a.bak")"
expect_ok restore
expect_eq "$(field .current_msid)" "$M1" "restore of the same secret"
grep -q $'\t10523\t' "$S/events.log" || fail "no 10523 event after restore"

# Password and reminder rules, counted in UTF-16 units as Windows does; no file on refusal.
call "$S" backup "$(backup_req "$WORK/r.bak" "123456")"
expect_code 10836 "6-character password"
call "$S" backup "$(backup_req "$WORK/r.bak" "1234567")"
expect_ok "7-character password"
rm -f "$WORK/r.bak"
call "$S" backup "$(backup_req "$WORK/r.bak" "$(printf 'é%.0s' {1..256})")"
expect_ok "256 two-byte characters are 256 characters"
rm -f "$WORK/r.bak"
call "$S" backup "$(backup_req "$WORK/r.bak" "$(printf '😀%.0s' {1..129})")"
expect_code 10839 "129 astral characters are 258 UTF-16 units"
call "$S" backup "$(backup_req "$WORK/r.bak" "$CANARY" "$(printf 'r%.0s' {1..512})")"
expect_ok "512-character reminder"
rm -f "$WORK/r.bak"
call "$S" backup "$(backup_req "$WORK/r.bak" "$CANARY" "$(printf '😀%.0s' {1..257})")"
expect_code 10840 "257 astral characters in the reminder are 514 units"
expect_absent "$WORK/r.bak"
grep -q $'\t10560\t.*10840' "$S/events.log" || fail "no 10560 event for the refused backup"

# Files that cannot be opened: 10784.
call "$S" backup "$(backup_req "$WORK/missing/x.bak")"
expect_code 10784 "backup into a missing folder"
mkdir "$WORK/adir"
call "$S" backup "$(backup_req "$WORK/adir")"
expect_code 10784 "backup onto a folder"
ln -s "$WORK/elsewhere.bak" "$WORK/link.bak"
call "$S" backup "$(backup_req "$WORK/link.bak")"
expect_code 10784 "backup through a symlink"
expect_absent "$WORK/elsewhere.bak"
call "$S" restore "$(restore_req "$WORK/nope.bak")"
expect_code 10784 "restore of a missing file"
call "$S" reminder "$(req "\"file\":\"$WORK/nope.bak\"")"
expect_code 10784 "reminder of a missing file"
mkfifo "$WORK/fifo.bak"
call "$S" reminder "$(req "\"file\":\"$WORK/fifo.bak\"")"
expect_code 10784 "reminder of a FIFO (not opened for reading)"

# Format errors: 10564 (random bytes, truncated, trailing data, empty).
head -c 300 /dev/urandom >"$WORK/random.bak"
call "$S" reminder "$(req "\"file\":\"$WORK/random.bak\"")"
expect_code 10564 "reminder of random bytes"
size=$(stat -c %s "$WORK/a.bak")
head -c $((size - 1)) "$WORK/a.bak" >"$WORK/short.bak"
call "$S" reminder "$(req "\"file\":\"$WORK/short.bak\"")"
expect_code 10564 "reminder of a .bak missing its last byte"
call "$S" restore "$(restore_req "$WORK/short.bak")"
expect_code 10564 "restore of a truncated .bak"
{ cat "$WORK/a.bak"; printf 'x'; } >"$WORK/long.bak"
call "$S" reminder "$(req "\"file\":\"$WORK/long.bak\"")"
expect_code 10564 "reminder of a .bak with trailing data"
: >"$WORK/empty.bak"
call "$S" restore "$(restore_req "$WORK/empty.bak")"
expect_code 10564 "restore of an empty file"

# Wrong password, altered ciphertext, altered reminder: 10779 (authenticated, not just read).
call "$S" restore "$(restore_req "$WORK/a.bak" "${CANARY}x")"
expect_code 10779 "restore with the wrong password"
cp "$WORK/a.bak" "$WORK/flip.bak"
printf '\x00' | dd of="$WORK/flip.bak" bs=1 seek=$((size - 5)) conv=notrunc status=none
call "$S" restore "$(restore_req "$WORK/flip.bak")"
expect_code 10779 "restore of an altered ciphertext"
cp "$WORK/a.bak" "$WORK/rem.bak"
printf 'E' | dd of="$WORK/rem.bak" bs=1 seek=12 conv=notrunc status=none
call "$S" reminder "$(req "\"file\":\"$WORK/rem.bak\"")"
expect_eq "$(field .reminder)" "Escrow backup one" "an altered reminder is still readable"
call "$S" restore "$(restore_req "$WORK/rem.bak")"
expect_code 10779 "restore of a .bak whose reminder was altered"
grep -q $'\t10524\t' "$S/events.log" || fail "no 10524 event for a failed restore"

# generate rotates current -> previous and writes a backup of the new secret.
call "$S" generate "$(backup_req "$WORK/g.bak" "$CANARY" "after generate")"
expect_ok generate
M2=$(field .current_msid)
expect_eq "$(field .previous_msid)" "$M1" "generate: previous is the old current"
expect_ne "$M2" "$M1" "generate: a new current MSID"
call "$S" status "$(req)"
expect_eq "$(field .current_msid)" "$M2" "status after generate (current)"
expect_eq "$(field .previous_msid)" "$M1" "status after generate (previous)"
call "$S" reminder "$(req "\"file\":\"$WORK/g.bak\"")"
expect_eq "$(field .reminder)" "after generate" "generate wrote a readable backup"
grep -q $'\t10525\t.*'"$M2" "$S/events.log" || fail "no 10525 event naming the new MSID"
call "$S" backup "$(backup_req "$WORK/b2.bak")"
expect_eq "$(field .current_msid)/$(field .previous_msid)" "$M2/$M1" "backup after generate"
# The old backup holds a stale secret: 10815; the new one restores.
call "$S" restore "$(restore_req "$WORK/a.bak")"
expect_code 10815 "restore of the backup made before generate"
call "$S" restore "$(restore_req "$WORK/g.bak")"
expect_ok "restore of the generated backup"
expect_eq "$(field .previous_msid)" "$M1" "restored previous MSID"
# A generate that cannot write its backup changes nothing.
call "$S" generate "$(backup_req "$WORK/missing/g.bak")"
expect_code 10784 "generate into a missing folder"
call "$S" status "$(req)"
expect_eq "$(field .current_msid)" "$M2" "a failed generate keeps the secret"

# The ENTSSO service stopped: the COM call fails (0x800706BA).
admin "$S" admin service stop
call "$S" status "$(req)"
expect_eq "$(field .service_state)" stopped "status with the service stopped"
call "$S" backup "$(backup_req "$WORK/stopped.bak")"
expect_code -2147023174 "backup with the service stopped"
expect_absent "$WORK/stopped.bak"
admin "$S" admin service start
call "$S" backup "$(backup_req "$WORK/started.bak")"
expect_ok "backup after service start"

# rotate-without-backup (someone ran ssoconfig -generateSecret by hand).
admin "$S" admin rotate-without-backup
call "$S" status "$(req)"
M3=$(field .current_msid)
expect_ne "$M3" "$M2" "rotate-without-backup changes the current MSID"
expect_eq "$(field .previous_msid)" "$M2" "rotate-without-backup keeps the previous"

# ---------------------------------------------------------------------------------------------
# Malformed requests and misuse: exit 2 (state problems 3), nothing on stdout.
call "$S" status '{not json'
expect_exit 2 "request that is not JSON"
grep -q 'malformed request' "$WORK/err" || fail "no 'malformed request' on stderr"
call "$S" status '{"protocol":"ssoescrow-bridge/2"}'
expect_exit 2 "unknown protocol version"
call "$S" status '{}'
expect_exit 2 "missing protocol"
call "$S" status '[1,2]'
expect_exit 2 "an array, not an object"
call "$S" status "$(req) x"
expect_exit 2 "data after the object"
call "$S" backup "$(req "\"file\":\"$WORK/m.bak\"" '"reminder":"r"')"
expect_exit 2 "backup without a password"
call "$S" backup "$(req "\"file\":\"$WORK/m.bak\"" '"password":1234567' '"reminder":"r"')"
expect_exit 2 "a password that is not a string"
call "$S" restore "$(req "\"file\":\"$WORK/g.bak\"" "\"password\":\"$CANARY\"" '"password":"other-pw"')"
expect_exit 2 "duplicate member"
grep -q 'other-pw' "$WORK/err" && fail "a malformed request's value was echoed"
call "$S" status '{"protocol":"ssoescrow-bridge/1","password":"\ud800"}'
expect_exit 2 "lone surrogate"
call "$S" status '{"protocol":"ssoescrow-bridge/1","x":{"a":[1,2.5e3,true,null,"s"]},"y":-0}'
expect_ok "unknown fields of every JSON type are ignored"
call "$S" reminder "$(req "\"file\":\"$WORK/g.bak\"" '"unknown":{"nested":[]}')"
expect_ok "reminder with an unknown field"
call "$S" frobnicate "$(req)"
expect_exit 2 "unknown operation"
call "$S" status "$(req)" --node NOSUCH
expect_exit 2 "unknown --node"
call "$WORK/not-initialised" status "$(req)"
expect_exit 3 "state folder that does not exist"
mkdir "$WORK/empty-state"
call "$WORK/empty-state" status "$(req)"
expect_exit 3 "state folder that is not initialised"
CHECKS=$((CHECKS + 1))
"$E" --state "$S" admin init --standalone OTHER >/dev/null 2>&1 && fail "init over an existing state"
CHECKS=$((CHECKS + 1))
"$E" --state "$S" admin fail-next explode >/dev/null 2>&1 && fail "unknown fault accepted"
CHECKS=$((CHECKS + 1))
"$E" --state "$S" admin move-group X >/dev/null 2>&1 && fail "move-group on a standalone state"

# A standalone SSO server whose master secret server is elsewhere: 10766 naming it.
N=$WORK/n
admin "$N" admin init --standalone BTS01 --secret-server SSOMASTER
call "$N" status "$(req)"
expect_eq "$(field .is_secret_server)/$(field .secret_server)" false/SSOMASTER "non-master status"
for op in backup generate; do
    call "$N" "$op" "$(backup_req "$WORK/n.bak")"
    expect_code 10766 "$op on a server that is not the master"
    grep -q SSOMASTER <<<"$(field .message)" || fail "10766 message does not name SSOMASTER"
done
call "$N" restore "$(restore_req "$WORK/g.bak")"
expect_code 10766 "restore on a server that is not the master"
expect_absent "$WORK/n.bak"

# A rebuilt server joined to the existing SSO database: empty registry, restore adopts the
# secret the database expects and refuses any other (10815).
R=$WORK/rebuilt
admin "$R" admin init --standalone SSO01 --no-secret --ssodb-msid "$M2"
call "$R" backup "$(backup_req "$WORK/rb.bak")"
expect_code 10520 "backup on a server with no secret in its registry"
call "$R" restore "$(restore_req "$WORK/a.bak")"
expect_code 10815 "restore of a backup the SSO database does not expect"
call "$R" restore "$(restore_req "$WORK/g.bak")"
expect_ok "restore of the expected backup on a rebuilt server"
expect_eq "$(field .current_msid)" "$M2" "rebuilt server's MSID"

# ---------------------------------------------------------------------------------------------
# Two-node cluster: the owner of the SSO group acts as master secret server SSOVNN.
C=$WORK/c
admin "$C" admin init --cluster BTSCLU --group SSO --network-name SSOVNN --nodes NODE1,NODE2
call "$C" status "$(req)" --node NODE1
expect_eq "$(field .is_secret_server)" true "owner node is the secret server"
expect_eq "$(field .secret_server)" SSOVNN "secret server is the network name"
expect_eq "$(field '.cluster | [.name,.node,.group,.owner_node,(.possible_owners|join(",")),.resource_state] | join(" ")')" \
    "BTSCLU NODE1 SSO NODE1 NODE1,NODE2 online" "cluster object on NODE1"
CM1=$(field .current_msid)
call "$C" status "$(req)" --node NODE2
expect_eq "$(field .is_secret_server)/$(field .service_state)/$(field .cluster.node)" \
    false/stopped/NODE2 "non-owner node status"
expect_eq "$(field .current_msid)" "$CM1" "the secret is restored on both nodes at init"
call "$C" status "$(req)"
expect_eq "$(field .computer)" NODE1 "the default node is the owner"

call "$C" backup "$(backup_req "$WORK/c2.bak")" --node NODE2
expect_code 10766 "backup on the non-owner node"
grep -q SSOVNN <<<"$(field .message)" || fail "10766 on a cluster does not name SSOVNN"
expect_eq "$(field .secret_server)" SSOVNN "10766 carries the secret server as a member"
call "$C" backup "$(backup_req "$WORK/c1.bak")" --node NODE1
expect_ok "backup on the owner node"

admin "$C" admin move-group NODE2
call "$C" backup "$(backup_req "$WORK/c2.bak")" --node NODE2
expect_ok "backup on NODE2 after moving the group"
call "$C" backup "$(backup_req "$WORK/c3.bak")" --node NODE1
expect_code 10766 "backup on NODE1 after the group left it"
call "$C" status "$(req)" --node NODE2
expect_eq "$(field .cluster.owner_node)/$(field .service_state)" NODE2/running "owner after the move"

admin "$C" admin resource offline
call "$C" backup "$(backup_req "$WORK/off.bak")" --node NODE2
expect_code -2147023174 "backup with the SSO resource offline"
call "$C" status "$(req)" --node NODE2
expect_eq "$(field .cluster.resource_state)" offline "resource state offline"
admin "$C" admin resource online
call "$C" backup "$(backup_req "$WORK/on.bak")" --node NODE2
expect_ok "backup with the resource back online"

# generate on NODE2 leaves NODE1 stale; moving back and restoring on NODE1 fixes it.
call "$C" generate "$(backup_req "$WORK/cg.bak")" --node NODE2
expect_ok "generate on the owner node"
CM2=$(field .current_msid)
call "$C" status "$(req)" --node NODE1
expect_eq "$(field .current_msid)" "$CM1" "the other node keeps the old secret until restored"
admin "$C" admin move-group NODE1
grep -q $'NODE1\t10815\t' "$C/events.log" || fail "no 10815 event when the group moved to a stale node"
call "$C" restore "$(restore_req "$WORK/c1.bak")" --node NODE1
expect_code 10815 "restoring the pre-generate backup on NODE1"
call "$C" restore "$(restore_req "$WORK/cg.bak")" --node NODE1
expect_ok "restore of the generated backup on NODE1"
expect_eq "$(field .current_msid)/$(field .previous_msid)" "$CM2/$CM1" "NODE1 MSIDs after restore"
CHECKS=$((CHECKS + 1))
cmp -s "$C/secrets/NODE1.secret" "$C/secrets/NODE2.secret" ||
    fail "restore did not give NODE1 the secret of NODE2"

# A node never restored: the service starts with an empty registry (10520), restore fixes it.
U=$WORK/u
admin "$U" admin init --cluster CLU2 --group SSOG --network-name SSOV2 --nodes A1,A2 --owner A2 \
    --secret-on-owner-only
call "$U" status "$(req)" --node A1
expect_eq "$(field .current_msid)" null "unrestored node has no MSID"
call "$U" backup "$(backup_req "$WORK/u2.bak")" --node A2
expect_ok "backup on the owner A2"
admin "$U" admin move-group A1
grep -q $'A1\t10520\t' "$U/events.log" || fail "no 10520 event on the unrestored node"
call "$U" backup "$(backup_req "$WORK/u1.bak")" --node A1
expect_code 10520 "backup on a node with no secret"
call "$U" restore "$(restore_req "$WORK/u2.bak")" --node A1
expect_ok "restore on the unrestored node"
call "$U" backup "$(backup_req "$WORK/u1.bak")" --node A1
expect_ok "backup after restoring on A1"

# ---------------------------------------------------------------------------------------------
# Faults: each applies to the next call only.
F=$WORK/f
admin "$F" admin init --standalone SSOF
call "$F" backup "$(backup_req "$WORK/f0.bak" "$CANARY" "fault base")"
expect_ok "baseline backup"

admin "$F" admin fail-next hang
start=$SECONDS
rc=0
backup_req "$WORK/hang.bak" | timeout 3 "$E" --state "$F" backup >"$WORK/out" 2>"$WORK/err" || rc=$?
expect_eq "$rc" 124 "hang: killed by the timeout"
CHECKS=$((CHECKS + 1))
((SECONDS - start < 10)) || fail "hang: took $((SECONDS - start)) s"
expect_absent "$WORK/hang.bak"
call "$F" status "$(req)"
expect_ok "the call after a hang"

admin "$F" admin fail-next crash
call "$F" backup "$(backup_req "$WORK/crash.bak")"
CHECKS=$((CHECKS + 1))
[[ $rc -ne 0 ]] || fail "crash: exit 0"
jq -e . "$WORK/out" >/dev/null 2>&1 && fail "crash: stdout is valid JSON"
expect_absent "$WORK/crash.bak"
call "$F" backup "$(backup_req "$WORK/crash.bak")"
expect_ok "the call after a crash"

admin "$F" admin fail-next garbage
call "$F" status "$(req)"
expect_eq "$rc" 0 "garbage: exit 0"
CHECKS=$((CHECKS + 1))
[[ -s $WORK/out ]] && ! jq -e . "$WORK/out" >/dev/null 2>&1 || fail "garbage: stdout is empty or JSON"
call "$F" status "$(req)"
expect_ok "the call after garbage"

admin "$F" admin fail-next truncated
call "$F" backup "$(backup_req "$WORK/trunc.bak" "$CANARY" "truncated one")"
expect_ok "truncated: the backup reports success"
CHECKS=$((CHECKS + 1))
[[ -s $WORK/trunc.bak && $(stat -c %s "$WORK/trunc.bak") -lt $(stat -c %s "$WORK/f0.bak") ]] ||
    fail "truncated: the .bak is not shorter than a full one"
call "$F" reminder "$(req "\"file\":\"$WORK/trunc.bak\"")"
expect_code 10564 "truncated .bak fails the reminder round trip"
call "$F" backup "$(backup_req "$WORK/trunc2.bak" "$CANARY" "whole")"
call "$F" reminder "$(req "\"file\":\"$WORK/trunc2.bak\"")"
expect_eq "$(field .reminder)" whole "the backup after a truncated one is whole"

admin "$F" admin fail-next truncated
call "$F" status "$(req)"
expect_eq "$rc" 0 "truncated status: exit 0"
jq -e . "$WORK/out" >/dev/null 2>&1 && fail "truncated status: the response is whole"

admin "$F" admin fail-next entsso:10779
call "$F" backup "$(backup_req "$WORK/inj.bak")"
expect_code 10779 "injected ENTSSO error"
expect_absent "$WORK/inj.bak"
call "$F" backup "$(backup_req "$WORK/inj.bak")"
expect_ok "the call after an injected ENTSSO error"

admin "$F" admin fail-next garbage --op backup
call "$F" status "$(req)"
expect_ok "a fault for backup leaves status alone"
call "$F" reminder "$(req "\"file\":\"$WORK/inj.bak\"")"
expect_ok "... and reminder"
call "$F" backup "$(backup_req "$WORK/op.bak")"
jq -e . "$WORK/out" >/dev/null 2>&1 && fail "the fault for backup did not apply to backup"
call "$F" backup "$(backup_req "$WORK/op.bak")"
expect_ok "the backup after the --op fault"

admin "$F" admin fail-next crash
admin "$F" admin fail-next none
call "$F" status "$(req)"
expect_ok "fail-next none clears the fault"
expect_eq "$(jq -r .fail_next "$F/state.json")" null "no fault left in state.json"

# Concurrent calls are serialised: every backup succeeds, the state stays valid.
for i in 1 2 3 4; do
    (backup_req "$WORK/par$i.bak" | "$E" --state "$F" backup >"$WORK/par$i.out" 2>&1) &
done
wait
for i in 1 2 3 4; do
    CHECKS=$((CHECKS + 1))
    [[ $(jq -r .ok "$WORK/par$i.out" 2>/dev/null) == true ]] || fail "concurrent backup $i"
    cat "$WORK/par$i.out" >>"$ALLOUT"
done
jq -e . "$F/state.json" >/dev/null || fail "state.json damaged by concurrent calls"

# admin show: the state without secrets.
admin "$C" admin show
cp "$WORK/aout" "$WORK/show.json"
expect_eq "$(jq -r .secret_server_node "$WORK/show.json")" NODE1 "show names the acting node"
secret_hex=$(xxd -p -c 256 "$C/secrets/NODE1.secret")
CHECKS=$((CHECKS + 1))
grep -qi "${secret_hex:0:16}" "$WORK/show.json" && fail "admin show prints the secret"

# The event log: one line per event, five tab-separated fields (time, node, id, level, text).
CHECKS=$((CHECKS + 1))
awk -F'\t' 'NF != 5 || $1 !~ /^[0-9][0-9-]*T[0-9:]*Z$/ || $3 !~ /^[0-9]+$/ ||
    $4 !~ /^(Information|Warning|Error)$/ { bad = 1; print FILENAME ": " $0 > "/dev/stderr" }
    END { exit bad }' "$S/events.log" "$C/events.log" "$F/events.log" "$U/events.log" ||
    fail "malformed event log lines"
expect_mode 600 "$S/events.log"
expect_mode 600 "$S/state.json"

# ---------------------------------------------------------------------------------------------
# The canary password never leaves the request: not in any state folder (events, state, secret
# files), not in any output, not in any .bak in clear.
CHECKS=$((CHECKS + 1))
if grep -rlaF "$CANARY" "$WORK" --exclude-dir=nothing 2>/dev/null | grep -v "^$WORK/\(all-outputs\|out\|err\)\$" |
    grep -q .; then
    fail "canary found in: $(grep -rlaF "$CANARY" "$WORK" | tr '\n' ' ')"
fi
CHECKS=$((CHECKS + 1))
grep -qaF "$CANARY" "$ALLOUT" && fail "canary found in the emulator's outputs"
CHECKS=$((CHECKS + 1))
grep -qaF "$CANARY" "$S/events.log" "$C/events.log" "$F/events.log" && fail "canary in an event log"

finish
