#!/usr/bin/env bash
# End-to-end run of the Windows binaries under Wine against the cross-built SSO emulator (issue 11,
# "Tests"): custodian keygen, vault init 2-of-3, backup through a bridge started by CreateProcessW
# (its path quoted the Windows way, with spaces and non-ASCII characters), vault list and check,
# restore request, two approvals, restore apply --drill, status in every format; a hung bridge
# killed by the job object within --bridge-timeout with nothing left running; ssoescrow killed
# mid-backup (test-hook crash point) and the next run recovering: stale writer lock taken over and
# audit-logged, the orphan envelope adopted, the abandoned scratch directory removed.
#
# Env: SSOESCROW (ssoescrow.exe), SSO_EMULATOR (sso-emulator.exe), WINE (the wine command),
# WINEPREFIX. With WINE empty the same script runs the Linux binaries natively (how its logic is
# checked without a cross-build). SSOESCROW_HOOKS=1 when the binaries have test hooks (the
# crash-recovery part is skipped otherwise).
#
# Owner-only files under Wine (found by reading the DACLs Wine reports, GetNamedSecurityInfoW):
# Wine has no NTFS ACLs of its own for files on a Unix file system; unless a program stored a
# security descriptor, it derives the DACL from the Unix mode: the owner bits become an ACE for
# the Wine user (S-1-5-21-0-0-0-1000, also the file's owner), SYSTEM always gets full access, the
# "other" bits become an ACE for Everyone, and the group bits are dropped. Wine's icacls.exe is a
# stub that changes nothing. So the file a Windows administrator gets with
#   icacls FILE /inheritance:r /grant:r "%USERNAME%:F"
# (owner and SYSTEM only) is, under Wine, a file of mode 0600: that is how the passphrase files
# are made here. A file of mode 0644 is one Everyone can read, and must be refused.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -n ${SSO_EMULATOR:-} && -f ${SSO_EMULATOR} ]] || { echo "no SSO emulator: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "no python3: skipped"; exit 77; }
if [[ -n $WINE ]] && ! command -v "${WINE%% *}" >/dev/null; then
    echo "no $WINE: skipped"
    exit 77
fi
STARTED=$(date +%s)
start_wineserver
export HOME="$WORK/home"
unset XDG_STATE_HOME
umask 077

# Paths with spaces and non-ASCII characters: the emulator copy (the bridge program), its state,
# the vault, the scratch parent.
BRIDGE_DIR="$WORK/Bridge Ü ø"
ES="$WORK/SSO state Ü ø"
VAULT_PARENT="$WORK/Vault Ü ø"
V="$VAULT_PARENT/escrow vault"
TMPD="$WORK/Scratch Ü ø"
STATE="$WORK/state"
mkdir -p "$HOME" "$BRIDGE_DIR" "$VAULT_PARENT" "$TMPD" "$STATE"
EMU_EXE="$BRIDGE_DIR/$(basename "$SSO_EMULATOR")"
cp "$SSO_EMULATOR" "$EMU_EXE"

emu() {
    if [[ -n $WINE ]]; then
        $WINE "$EMU_EXE" --state "$(wpath "$ES")" "$@"
    else
        "$EMU_EXE" --state "$ES" "$@"
    fi
}
# The --bridge string as a Windows administrator writes it: each path in double quotes.
BRIDGE="\"$(wpath "$EMU_EXE")\" --state \"$(wpath "$ES")\""
COMMON=(--vault "$(wpath "$V")" --temp-dir "$(wpath "$TMPD")" --state-dir "$(wpath "$STATE")")

envelope_count() { find "$V/envelopes" -name '*.envelope' 2>/dev/null | wc -l; }
audit_count() { find "$V/audit" -name '*.rec' 2>/dev/null | wc -l; }
scratch_left() { find "$TMPD" -mindepth 1 -maxdepth 1 | wc -l; }
# Wine runs every Windows process as a Linux process whose command line (ps, /proc/PID/cmdline) is
# the Windows one with the program's bare name: "sso-emulator.exe --state Z:\tmp\...". The
# program name followed by this run's folder (unique) finds an emulator of this run either way.
bridge_processes() { pgrep -f -- "sso-emulator.*$(basename "$WORK")" || true; }
expect_no_bridge_left() {
    CHECKS=$((CHECKS + 1))
    local left
    left=$(bridge_processes)
    if [[ -n $left ]]; then
        fail "$1: bridge processes still running: $(ps -o pid=,args= -p "${left//$'\n'/,}")"
        kill -9 $left 2>/dev/null || true
    fi
}

if [[ -n $WINE ]]; then
    CHECKS=$((CHECKS + 1))
    converted=$(winepath -w "$EMU_EXE" 2>/dev/null | tr -d '\r')
    [[ $converted == "$(wpath "$EMU_EXE")" ]] ||
        fail "winepath -w gives '$converted', the test assumes '$(wpath "$EMU_EXE")'"
fi

# --- custodian keygen (3 custodians, --passphrase-file) --------------------------------------------
for name in alice bob carol; do
    printf 'pass-%s-for-tests\n' "$name" >"$WORK/$name.pass"
    chmod 600 "$WORK/$name.pass"
    wrun 0 ssoe custodian keygen --out "$(wpath "$WORK/$name.key")" --name "$name" \
        --kdf-cost interactive --passphrase-file "$(wpath "$WORK/$name.pass")"
    CHECKS=$((CHECKS + 1))
    [[ -s $WORK/$name.key && -s $WORK/$name.pub ]] || fail "keygen of $name wrote no key pair"
done
# A passphrase file Everyone may read (mode 0644: an Everyone ACE under Wine) is refused, naming
# the command that fixes it (icacls on Windows, chmod on Linux).
printf 'pass-loose\n' >"$WORK/loose.pass"
chmod 644 "$WORK/loose.pass"
wrun 6 ssoe custodian keygen --out "$(wpath "$WORK/dave.key")" --kdf-cost interactive \
    --passphrase-file "$(wpath "$WORK/loose.pass")"
expect_err "$(printf '%s' "$(wpath "$WORK/loose.pass")" | sed 's/[][\\.^$*+?(){}|]/\\&/g')"
expect_err 'hint: .*(icacls|chmod 600)'
expect_absent "$WORK/dave.key"

# --- vault init 2-of-3 -----------------------------------------------------------------------------
wrun 0 ssoe vault init --vault "$(wpath "$V")" --threshold 2 \
    --recipient "$(wpath "$WORK/alice.pub")" --recipient "$(wpath "$WORK/bob.pub")" \
    --recipient "$(wpath "$WORK/carol.pub")" --state-dir "$(wpath "$STATE")"
POLICY=$(grep -Eo 'sha256:[0-9a-f]{64}' "$WORK/out" | head -1)
CHECKS=$((CHECKS + 1))
[[ -n $POLICY ]] || fail "vault init printed no policy fingerprint"
wrun 0 emu admin init --standalone SSO1

# --- backup through the quoted Windows bridge path ---------------------------------------------------
wrun 0 ssoe backup "${COMMON[@]}" --bridge "$BRIDGE" --expect-policy "$POLICY"
expect_out '^backup [0-9a-f]{32} committed: current MSID \{[0-9A-F-]{36}\}, previous MSID none, envelopes[/\\][0-9a-f]{32}\.envelope$'
BACKUP=$(grep -Eo '[0-9a-f]{32}' "$WORK/out" | head -1)
MSID=$(grep -Eo '\{[0-9A-F-]{36}\}' "$WORK/out" | head -1)
expect_equal "$(envelope_count)" 1 "envelopes after the first backup"
expect_equal "$(scratch_left)" 0 "scratch entries after a backup"
expect_no_bridge_left "after a backup"
CHECKS=$((CHECKS + 1))
grep -q $'\t10559\t.*Current MSID: '"$MSID" "$ES/events.log" ||
    fail "the emulator logged no backup (10559) of $MSID"

# --- vault list, vault check (+ --json) -------------------------------------------------------------
wrun 0 ssoe vault list --vault "$(wpath "$V")"
expect_out "$BACKUP"
expect_out 'verified'
wrun 0 ssoe vault check --vault "$(wpath "$V")" --state-dir "$(wpath "$STATE")"
wrun 0 ssoe vault check --vault "$(wpath "$V")" --state-dir "$(wpath "$STATE")" --json
cp "$WORK/out" "$WORK/check.json"
wrun 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["result"] == "clean" and doc["findings"] == [], doc
assert doc["backups"]["verified"] == 1 and doc["audit"]["intact"] is True, doc
assert doc["policy"] == sys.argv[2], doc
' "$WORK/check.json" "$POLICY"

# --- restore request, two approvals, restore apply --drill ------------------------------------------
wrun 0 ssoe restore request --vault "$(wpath "$V")" --out "$(wpath "$WORK/req")" \
    --reason "drill under Wine"
expect_out "^restore request [0-9a-f]{32} written to "
for name in alice bob; do
    wrun 0 ssoe restore approve "$(wpath "$WORK/req")" --identity "$(wpath "$WORK/$name.key")" \
        --passphrase-file "$(wpath "$WORK/$name.pass")" --out "$(wpath "$WORK/$name.approval")" --yes
    CHECKS=$((CHECKS + 1))
    [[ -s $WORK/$name.approval ]] || fail "no approval written by $name"
done
audit_before=$(audit_count)
wrun 0 ssoe restore apply "$(wpath "$WORK/req")" --vault "$(wpath "$V")" \
    --approval "$(wpath "$WORK/alice.approval")" --approval "$(wpath "$WORK/bob.approval")" \
    --drill --temp-dir "$(wpath "$TMPD")" --state-dir "$(wpath "$STATE")"
expect_out "^drill of backup $BACKUP passed on [^ ]+: 2 approvals opened it, header MAC, payload and .bak SHA-256 verified; MSID \\$MSID; receipt: audit record [0-9]+$"
expect_equal "$(audit_count)" "$((audit_before + 1))" "audit records after the drill"
expect_equal "$(scratch_left)" 0 "scratch entries after the drill"

# --- status in every format --------------------------------------------------------------------------
STATUS=(status --vault "$(wpath "$V")" --bridge "$BRIDGE" --state-dir "$(wpath "$STATE")")
wrun 0 ssoe "${STATUS[@]}"
expect_out "^OK       msid-current: backup $BACKUP .* holds the live master secret \\$MSID\$"
expect_out '^OK       drill-age: '
expect_out '^status OK: vault .*, secret server SSO1, at '
wrun 0 ssoe "${STATUS[@]}" --format json
cp "$WORK/out" "$WORK/status.json"
wrun 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
checks = doc["vaults"][0]["checks"]
assert all(c["state"] in ("ok", "not_applicable") for c in checks), checks
c = next(c for c in checks if c["id"] == "msid-current")
assert c["evidence"]["live_msid"] == sys.argv[2], c
' "$WORK/status.json" "$MSID"
wrun 0 ssoe "${STATUS[@]}" --format prometheus
expect_out '^# TYPE ssoescrow_[a-z_]+ gauge$'
expect_out '^ssoescrow_[a-z_]+\{vault=".*",secret_server="SSO1"\} [0-9.e+-]+$'
wrun 0 ssoe "${STATUS[@]}" --format nagios
expect_out '^SSOESCROW OK - [0-9]+ checks ok, newest backup .* old \| backup_age='

# --- a hung bridge: stopped by the job object within the timeout, nothing left running ----------------
wrun 0 emu admin fail-next hang --op backup
count=$(envelope_count)
started=$(date +%s)
wrun 9 ssoe backup "${COMMON[@]}" --bridge "$BRIDGE" --bridge-timeout 3
elapsed=$(($(date +%s) - started))
expect_err 'no answer within 3 s; the bridge was stopped'
CHECKS=$((CHECKS + 1))
((elapsed <= 15)) || fail "the hung bridge took ${elapsed}s to stop (--bridge-timeout 3)"
expect_no_bridge_left "a hung bridge"
expect_equal "$(envelope_count)" "$count" "envelopes after a hung bridge"
expect_equal "$(scratch_left)" 0 "scratch entries after a hung bridge"

# --- killed mid-backup, and the next run recovering -------------------------------------------------
if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
    # Crash points end the process on the spot with exit status 137, as kill -9 would on Linux:
    # no cleanup runs, the writer lock stays behind.
    crash_backup() {  # POINT
        export SSOESCROW_TEST_CRASH_AT=$1
        wrun 137 ssoe backup "${COMMON[@]}" --bridge "$BRIDGE" --no-prune
        unset SSOESCROW_TEST_CRASH_AT
        CHECKS=$((CHECKS + 1))
        [[ -e $V/locks/writer.lock ]] || fail "the backup crashed at $1 left no writer lock"
        expect_no_bridge_left "a backup crashed at $1"
    }
    # 1. Killed once ENTSSO wrote the .bak into the scratch directory: the scratch directory (and
    # the .bak in it) stays; the next run takes over the stale lock and removes it.
    count=$(envelope_count)
    crash_backup job-after-bridge
    CHECKS=$((CHECKS + 1))
    (($(scratch_left) == 1)) || fail "the crashed backup left $(scratch_left) scratch directories, expected 1"
    CHECKS=$((CHECKS + 1))
    [[ $(find "$TMPD" -name '*.bak' | wc -l) -eq 1 ]] || fail "no .bak in the abandoned scratch directory"
    wrun 0 ssoe backup "${COMMON[@]}" --bridge "$BRIDGE" --no-prune
    expect_out '^backup [0-9a-f]{32} committed'
    expect_err 'took over a stale writer lock of backup'
    expect_err 'removed 1 scratch director'
    expect_equal "$(scratch_left)" 0 "scratch entries after the recovering backup"
    expect_equal "$(envelope_count)" "$((count + 1))" "envelopes after a crash and a recovery"
    CHECKS=$((CHECKS + 1))
    grep -rqs 'lock_override\|lock-override' "$V/audit" || fail "no lock override in the audit log"
    # 2. Killed once the envelope is committed but not its audit record: an orphan, which the next
    # run's prune adopts (after taking over the stale lock again).
    count=$(envelope_count)
    audit_before=$(audit_count)
    crash_backup store-after-envelope
    expect_equal "$(envelope_count)" "$((count + 1))" "envelopes after the crash"
    expect_equal "$(audit_count)" "$audit_before" "audit records after the crash"
    wrun 1 ssoe vault check --vault "$(wpath "$V")" --no-state
    expect_out 'orphan'
    wrun 0 ssoe backup "${COMMON[@]}" --bridge "$BRIDGE"
    expect_out '^backup [0-9a-f]{32} committed'
    expect_err 'took over a stale writer lock of backup'
    expect_equal "$(scratch_left)" 0 "scratch entries after the second recovering backup"
    CHECKS=$((CHECKS + 1))
    grep -rqs '^type: adopt' "$V/audit" || fail "the orphan was not adopted"
    CHECKS=$((CHECKS + 1))
    [[ ! -e $V/locks/writer.lock ]] || fail "the recovering backup left the writer lock"
    wrun 0 ssoe vault check --vault "$(wpath "$V")" --state-dir "$(wpath "$STATE")"
else
    echo "no test hooks in these binaries: the crash-recovery part is skipped"
fi

echo "test_windows_e2e: $(($(date +%s) - STARTED)) s${WINE:+ under $WINE}"
summary
