#!/usr/bin/env bash
# `ssoescrow status` end to end:
#   - fixture vaults (tests/fixtures/status/vaults, 40 days of daily backups, a rotate, a restore
#     on a second node, a drill) read with --as-of: fresh OK, before any backup CRITICAL, backup
#     overdue WARNING then CRITICAL, drill overdue WARNING, clock skew flagged;
#   - golden outputs in every format (tests/fixtures/status/golden; UPDATE_GOLDEN=1 rewrites them);
#   - the exit code of every state in every format; several vaults (worst overall);
#   - departed custodians (fixture vault "departed"): OK before, WARNING (rekey needed) after the
#     first departure, CRITICAL when fewer than K remain; keys older than --max-key-age;
#   - a broken audit chain and a rollback against the latest-seen state: CRITICAL;
#   - Prometheus output accepted by `promtool check metrics` (skipped only when promtool is absent);
#   - with the SSO emulator: a live secret generated without a backup is CRITICAL naming both
#     MSIDs, a cluster node without the secret is named, a failing bridge is UNKNOWN;
#   - `topology check --vault`: the node rule on the same fixtures.
# Env: SSOESCROW, TESTS_DIR, SSO_EMULATOR (optional: the emulator part is skipped without it).
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

FX=$TESTS_DIR/fixtures/status
GOLDEN=$FX/golden
export HOME="$WORK/home"
unset XDG_STATE_HOME
mkdir -p "$HOME" "$WORK/fx"
cp -r "$FX/vaults/." "$WORK/fx/"
cd "$WORK/fx"

# The lines that depend on this machine's clock, not on the vault.
# The lines that depend on this build's version, not on the vault.
normalise() {
    sed -E -e 's/("(evaluated_at|clock)": )"[^"]*"/\1"<clock>"/' \
        -e 's/^(ssoescrow_build_info\{version=)"[^"]*"/\1"<version>"/'
}
# golden NAME: compares the last run's stdout with golden/NAME (or rewrites it).
golden() {
    CHECKS=$((CHECKS + 1))
    normalise <"$WORK/out" >"$WORK/golden.actual"
    if [[ ${UPDATE_GOLDEN:-} == 1 ]]; then
        mkdir -p "$GOLDEN"
        cp "$WORK/golden.actual" "$GOLDEN/$1"
    elif ! cmp -s "$GOLDEN/$1" "$WORK/golden.actual"; then
        fail "golden $1 differs:"
        diff -u "$GOLDEN/$1" "$WORK/golden.actual" | head -n 40 >&2
    fi
}
S=("$SSOESCROW" status --no-state)

# --- Fresh vault: every check OK, golden in every format ---------------------------------------
OK_AT=2026-02-10T12:00:00Z
for format in text json prometheus nagios; do
    run 0 "${S[@]}" --vault history --as-of "$OK_AT" --format "$format"
    golden "ok.$format"
done
run 0 "${S[@]}" --vault history --as-of "$OK_AT"
expect_out '^OK       backup-age: newest verified backup [0-9a-f]{32} is 10h 0m old'
expect_out '^OK       msid-current: .* holds the newest recorded master secret \{BBBBBBBB-2222-4222-8222-222222222222\}'
expect_out '^N/A      cluster-coverage: as-of report'
expect_out '^status OK: vault history \([0-9a-f]{32}\), secret server SSOBTS, as of 2026-02-10T12:00:00Z: 7 ok, 1 not applicable$'
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema"] == "ssoescrow-status/1" and doc["status"] == "ok" and doc["exit_code"] == 0, doc
assert doc["as_of"] == "2026-02-10T12:00:00Z", doc["as_of"]
v = doc["vaults"][0]
ids = [c["id"] for c in v["checks"]]
assert ids == ["backup-age", "msid-current", "drill-age", "retention", "cluster-coverage",
               "escrow-health", "vault-integrity", "clock-sanity"], ids
for c in v["checks"]:
    assert list(c) == ["id", "state", "summary", "observed", "threshold", "evidence", "fix"], list(c)
drill = next(c for c in v["checks"] if c["id"] == "drill-age")
assert drill["evidence"]["newest"]["time"] == "2026-01-21T03:00:00Z", drill
assert drill["evidence"]["newest"]["kind"] == "drill" and drill["evidence"]["newest"]["node"] == "DR01"
' "$GOLDEN/ok.json"

# --- Backup overdue: WARNING after max-backup-age (26h), CRITICAL after critical-backup-age (3d) --
run 1 "${S[@]}" --vault history --as-of 2026-02-11T06:00:00Z
golden warning-backup-age.text
expect_out '^WARNING  backup-age: .* is 1d 4h old .*over max-backup-age 26h$'
run 1 "${S[@]}" --vault history --as-of 2026-02-11T06:00:00Z --format nagios
golden warning-backup-age.nagios
run 2 "${S[@]}" --vault history --as-of 2026-02-14T00:00:00Z --format json
golden critical-backup-age.json
run 2 "${S[@]}" --vault history --as-of 2026-02-14T00:00:00Z
expect_out '^CRITICAL backup-age: .*over critical-backup-age 3d$'
expect_out '^  backup-age: Find out why the scheduled backup job did not run'
# Overrides on the command line win over the vault's policy.
run 0 "${S[@]}" --vault history --as-of 2026-02-14T00:00:00Z --max-backup-age 5d --critical-backup-age 7d
run 1 "${S[@]}" --vault history --as-of 2026-02-10T12:00:00Z --max-backup-age 1h --critical-backup-age 1d

# --- No backup yet: CRITICAL ------------------------------------------------------------------
run 2 "${S[@]}" --vault history --as-of 2026-01-01T12:00:00Z
golden critical-no-backup.text
expect_out '^CRITICAL backup-age: no backup in the vault'
expect_out '^CRITICAL msid-current: no backup holds any master secret'

# --- Drill overdue (90d): WARNING; a date alone means the end of that day -----------------------
run 1 "${S[@]}" --vault history --as-of 2026-04-25 --max-backup-age 100d --critical-backup-age 200d
golden warning-drill.text
expect_out '^WARNING  drill-age: newest drill of backup [0-9a-f]{32} on DR01 is 94d 20h old \(2026-01-21T03:00:00Z\), over max-drill-age 90d$'
expect_out 'as of 2026-04-25T23:59:59Z'
run 0 "${S[@]}" --vault history --as-of 2026-04-25 --max-backup-age 100d --critical-backup-age 200d --max-drill-age 100d

# --- Several vaults: one report each, worst overall --------------------------------------------
run 0 "${S[@]}" --vault history --vault covered --as-of "$OK_AT"
expect_out '^status OK: vault covered '
expect_out '^overall OK: 2 vaults, 2 ok$'
run 3 "${S[@]}" --vault history --vault "$WORK/no-such-vault" --as-of "$OK_AT"
expect_out '^UNKNOWN  vault-integrity: cannot open the vault: '
expect_out '^overall UNKNOWN: 2 vaults, 1 unknown, 1 ok$'
# Several vaults: the first line sums them up, each vault's details follow on their own line (the
# Monitoring Plugins long output).
run 3 "${S[@]}" --vault history --vault "$WORK/no-such-vault" --as-of "$OK_AT" --format nagios
expect_out "^SSOESCROW UNKNOWN - 2 vaults, 1 unknown, 1 ok \\| "
expect_out "'?history:backup_age'?=36000s;93600;259200;0"
expect_out "^history: 7 checks ok, newest backup 10h 0m old$"
expect_out "^$WORK/no-such-vault: UNKNOWN vault-integrity: cannot open the vault"
expect_equal "$(wc -l <"$WORK/out")" 3 "lines of the nagios output for two vaults"
# Perfdata thresholds are Monitoring Plugins ranges: retained warns below min-retained ("N:").
expect_out "retained'?=40;[0-9]+:;;0"

# --- Monitoring Plugins: the one line on stdout also when the check cannot run at all -----------
run 3 "${S[@]}" --vault history --format nagios --max-backup-age soon
expect_out '^SSOESCROW UNKNOWN - --max-backup-age "soon" is not a duration$'
expect_err '^ssoescrow: error: --max-backup-age "soon" is not a duration'
run 3 "${S[@]}" --format nagios --vault
expect_out '^SSOESCROW UNKNOWN - command line: '
expect_equal "$(wc -l <"$WORK/out")" 1 "lines of the nagios output on a command-line error"
run 3 "${S[@]}" --vault history --format=nagios --no-such-option
expect_out '^SSOESCROW UNKNOWN - command line: .*no-such-option'

# --- --as-of: today means now; a time before the vault existed says so -------------------------
TODAY=$(date -u +%Y-%m-%d)
run 2 "${S[@]}" --vault history --as-of "$TODAY"
expect_out "^status CRITICAL: vault history .* as of ${TODAY}T"
run 2 "${S[@]}" --vault history --as-of now --format json
expect_out '"as_of": "'"$TODAY"'T'
run 3 "${S[@]}" --vault history --as-of 2000-01-01
expect_out '^UNKNOWN  vault-integrity: the vault did not exist yet at 2000-01-01T23:59:59Z \(it was created 20'
run 3 "${S[@]}" --vault history --as-of 2999-01-01
expect_err 'is in the future'

# --- Prometheus: the build that produced the metrics -------------------------------------------
run 0 "${S[@]}" --vault history --as-of "$OK_AT" --format prometheus
expect_out '^ssoescrow_build_info\{version="[0-9]+\.[0-9]+\.[0-9]+[^"]*"\} 1$'

# --- A broken audit chain: CRITICAL ------------------------------------------------------------
cp -r history broken
chmod -R u+w broken
record=$(ls broken/audit/*.rec | sed -n 5p)
sed -i 's/^actor: tester@testhost$/actor: tester@testhosx/' "$record"
for format in text json prometheus nagios; do
    run 2 "${S[@]}" --vault broken --as-of "$OK_AT" --format "$format"
done
run 2 "${S[@]}" --vault broken --as-of "$OK_AT"
expect_out "^CRITICAL vault-integrity: vault damaged: audit-record-altered ${record#broken/}"
run 2 "${S[@]}" --vault history --vault broken --as-of "$OK_AT"
expect_out '^overall CRITICAL: 2 vaults, 1 critical, 1 ok$'

# --- Clock skew: a backup written by a host whose clock ran in 2099 ----------------------------
run 1 "${S[@]}" --vault skewed --as-of 2026-01-04T12:00:00Z
golden warning-clock.text
expect_out '^WARNING  clock-sanity: 2 timestamp\(s\) in the future: '
run 3 "${S[@]}" --vault skewed
expect_out '^UNKNOWN  backup-age: newest backup [0-9a-f]{32} is dated 2099-01-01T00:00:00Z, in the future'
expect_out '^WARNING  clock-sanity: '
CHECKS=$((CHECKS + 1))
grep -q -- '-[0-9]' <(grep '^ssoescrow_.*_seconds' <("${S[@]}" --vault skewed --format prometheus)) &&
    fail "a negative age in the Prometheus output"

# --- Departed custodians: rekey needed (WARNING), fewer than K left (CRITICAL) -------------------
# The departed vault: the history, with fixture custodians marked departed on day 25 and day 38.
run 0 "${S[@]}" --vault departed --as-of 2026-01-25T12:00:00Z --max-backup-age 2d
expect_out '^OK       escrow-health: 2 of 3 custodians needed'
run 1 "${S[@]}" --vault departed --as-of 2026-02-01T12:00:00Z
golden warning-departed.text
expect_out '^WARNING  escrow-health: the current policy still seals every new backup to departed custodian fixture-[0-9] \([0-9a-f-]{39}\) \(rekey needed\)'
expect_out 'escrow-health: .*31 retained backups are sealed to departed custodian fixture-[0-9]'
expect_out "^  escrow-health: Rekey: 'ssoescrow rekey request --vault "
run 2 "${S[@]}" --vault departed --as-of "$OK_AT" --format json
golden critical-departed.json
run 2 "${S[@]}" --vault departed --as-of "$OK_AT"
expect_out '^CRITICAL escrow-health: only 1 of the 3 custodians is still here \(threshold 2\)'
run 2 "${S[@]}" --vault departed --as-of "$OK_AT" --format prometheus
expect_out '^ssoescrow_custodians_departed\{vault="departed",secret_server="SSOBTS"\} 2$'
expect_out '^ssoescrow_backups_sealed_to_departed\{vault="departed",secret_server="SSOBTS"\} 40$'
run 2 "${S[@]}" --vault departed --as-of "$OK_AT" --format nagios
expect_out '^SSOESCROW CRITICAL - CRITICAL escrow-health: only 1 of the 3 custodians is still here'
# vault check accepts the departure records.
run 0 "$SSOESCROW" vault check --vault departed --state-dir "$WORK/state-departed"

# --- Key age: keys in the policy longer than max-key-age (default 730d) ------------------------
run 1 "${S[@]}" --vault history --as-of "$OK_AT" --max-key-age 30d
golden warning-key-age.text
expect_out '^WARNING  escrow-health: keys in the policy longer than 30d \(max-key-age\): fixture-[0-9] \([0-9a-f-]{39}\) for 40d 12h'
expect_out '^  escrow-health: Renew the keys: '
run 0 "${S[@]}" --vault history --as-of "$OK_AT" --max-key-age 41d
run 3 "${S[@]}" --vault history --max-key-age 0s
expect_err 'error: --max-key-age 0s: every age must be above 0s'
run 3 "${S[@]}" --vault history --max-key-age long
expect_err '--max-key-age "long" is not a duration'

# --- Rollback against the latest-seen state ----------------------------------------------------
cp -r history rolled
chmod -R u+w rolled
run 2 "$SSOESCROW" status --vault rolled --state-dir "$WORK/state"
CHECKS=$((CHECKS + 1))
[[ -n $(find "$WORK/state" -name latest-seen) ]] || fail "status did not remember the audit head"
rm "$(ls rolled/audit/*.rec | tail -n 1)"
run 2 "$SSOESCROW" status --vault rolled --state-dir "$WORK/state"
expect_out '^CRITICAL vault-integrity: vault damaged: audit-rolled-back'
# An as-of report neither records nor needs the state.
run 0 "$SSOESCROW" status --vault history --state-dir "$WORK/state2" --as-of "$OK_AT"
CHECKS=$((CHECKS + 1))
[[ -z $(find "$WORK/state2" -name latest-seen 2>/dev/null) ]] || fail "an as-of report wrote the state"

# --- Exit 3 (UNKNOWN) for every command-line error ---------------------------------------------
run 3 "${S[@]}" --vault history --as-of 2999-01-01T00:00:00Z
expect_err 'error: --as-of 2999-01-01T00:00:00Z is in the future'
run 3 "${S[@]}" --vault history --as-of yesterday
expect_err 'error: --as-of "yesterday" is not a time'
run 3 "${S[@]}" --vault history --as-of "$OK_AT" --bridge "true"
expect_err 'cannot be combined'
run 3 "${S[@]}" --vault history --max-backup-age 5d --critical-backup-age 1d
expect_err 'critical-backup-age 1d is below max-backup-age 5d'
run 3 "${S[@]}" --vault history --max-drill-age soon
expect_err 'is not a duration'
run 3 "${S[@]}" --vault history --min-retained 0
run 3 "${S[@]}" --vault history --format xml
run 3 "${S[@]}"
run 0 "$SSOESCROW" status --help
expect_out '3  UNKNOWN'

# --- Exit code = worst state, in every format -------------------------------------------------
for format in text json prometheus nagios; do
    run 0 "${S[@]}" --vault history --as-of "$OK_AT" --format "$format"
    run 1 "${S[@]}" --vault history --as-of 2026-02-11T06:00:00Z --format "$format"
    run 2 "${S[@]}" --vault history --as-of 2026-02-14T00:00:00Z --format "$format"
    run 3 "${S[@]}" --vault "$WORK/no-such-vault" --format "$format"
    CHECKS=$((CHECKS + 1))
    [[ -s $WORK/out ]] || fail "$format: no report for an unreadable vault"
done

# --- Prometheus: promtool accepts the exposition ----------------------------------------------
if command -v promtool >/dev/null; then
    for at in "$OK_AT" 2026-02-14T00:00:00Z; do
        run 0 bash -c "'$SSOESCROW' status --no-state --vault history --vault covered --as-of $at --format prometheus | promtool check metrics"
    done
    run 0 bash -c "'$SSOESCROW' status --no-state --vault departed --vault history --as-of $OK_AT --format prometheus | promtool check metrics"
    run 0 bash -c "'$SSOESCROW' status --no-state --vault broken --vault '$WORK/no-such-vault' --format prometheus | promtool check metrics"
else
    echo "promtool not installed: Prometheus output not validated (Debian package prometheus)"
fi

# --- topology check --vault: the node rule -----------------------------------------------------
TOPO=$TESTS_DIR/fixtures/topology/pattern1-master-and-hosts-in-one-group.json
run 2 "$SSOESCROW" topology check --inventory "$TOPO" --vault history
golden topology-history.text
expect_out "^CRITICAL TOPO-SSO-NODES-HOLD-SECRET: possible owner node\(s\) 'BTS02' of group 'SSO-BizTalk' hold no receipt for the current master secret \{BBBBBBBB-2222-4222-8222-222222222222\}"
expect_out '^    BTS02: last restored \{AAAAAAAA-1111-4111-8111-111111111111\} \(2026-01-11T03:00:00Z'
run 0 "$SSOESCROW" topology check --inventory "$TOPO" --vault covered --format json
golden topology-covered.json
run 0 "$SSOESCROW" topology check --inventory "$TOPO" --vault covered
expect_out '^  TOPO-SSO-NODES-HOLD-SECRET: 2 possible owner node\(s\) hold \{BBBBBBBB'
run 3 "$SSOESCROW" topology check --inventory "$TOPO" --vault broken
expect_err 'audit log is damaged'
run 3 "$SSOESCROW" topology check --inventory "$TOPO" --vault "$WORK/no-such-vault"
# Without a cluster the rule does not apply.
run 0 "$SSOESCROW" topology check --inventory "$TESTS_DIR/fixtures/topology/no-cluster-remote-master.json" --vault history
expect_out '^  TOPO-SSO-NODES-HOLD-SECRET: no cluster in this inventory'

# --- With the SSO emulator: the live secret, the cluster, a failing bridge ---------------------
if [[ -z ${SSO_EMULATOR:-} || ! -x ${SSO_EMULATOR} ]]; then
    echo "no SSO emulator: live-server scenarios skipped"
    finish
    exit 0
fi
cd "$WORK"
umask 077
EMU=("$SSO_EMULATOR" --state "$WORK/es")
BRIDGE="$SSO_EMULATOR --state $WORK/es"
for name in alice bob carol; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$WORK/state"
run 0 "${EMU[@]}" admin init --standalone SSO1
run 2 "$SSOESCROW" status --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state"
expect_out '^CRITICAL backup-age: no backup in the vault'
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state"
first_msid=$(live_msid)
# Fresh: only the drill (never run) warns.
run 1 "$SSOESCROW" status --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state"
expect_out "^OK       msid-current: backup [0-9a-f]{32} \(.*\) holds the live master secret \\$first_msid\$"
expect_out '^WARNING  drill-age: no restore drill recorded'
expect_out '^N/A      cluster-coverage: standalone secret server SSO1'
expect_out '^status WARNING: vault .*, secret server SSO1, at '
# Someone runs ssoconfig -generateSecret by hand: the live secret has no backup.
run 0 "${EMU[@]}" admin rotate-without-backup
second_msid=$(live_msid)
run 2 "$SSOESCROW" status --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state"
expect_out "^CRITICAL msid-current: the live master secret \\$second_msid has no verified backup \(the newest backup holds \\$first_msid\): a secret was generated without a backup\$"
run 2 "$SSOESCROW" status --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state" --format json
cp "$WORK/out" "$WORK/live.json"
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
c = next(c for c in doc["vaults"][0]["checks"] if c["id"] == "msid-current")
assert c["state"] == "critical", c
assert c["evidence"]["live_msid"] == sys.argv[2] and c["evidence"]["live_previous_msid"] == sys.argv[3], c
assert c["evidence"]["newest_backup"]["current_msid"] == sys.argv[3], c
assert c["evidence"]["backup_of_live_msid"] is None, c
' "$WORK/live.json" "$second_msid" "$first_msid"
# --output FILE: the same report written by ssoescrow itself, atomically (the Windows status task
# runs ssoescrow.exe without a shell), nothing on stdout, the same exit code.
report="$WORK/R&D %x report.json"
run 2 "$SSOESCROW" status --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state" \
    --format json --output "$report"
CHECKS=$((CHECKS + 1))
[[ ! -s $WORK/out ]] || fail "status --output printed on stdout: $(cat "$WORK/out")"
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
c = next(c for c in doc["vaults"][0]["checks"] if c["id"] == "msid-current")
assert c["state"] == "critical", c
' "$report"
CHECKS=$((CHECKS + 1))
[[ -z $(find "$WORK" -maxdepth 1 -name '.*' -newer "$WORK/live.json" ! -name '.' ) ]] ||
    fail "status --output left a temporary file: $(find "$WORK" -maxdepth 1 -name '.*' -newer "$WORK/live.json")"
# A report file that cannot be written is an UNKNOWN result naming it.
run 3 "$SSOESCROW" status --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state" \
    --format json --output "$WORK/no such dir/report.json"
expect_err 'no such dir/report.json'
# Without the bridge the vault alone cannot see it (documented), and says so.
run 1 "$SSOESCROW" status --vault "$WORK/v" --state-dir "$WORK/state" --format json
CHECKS=$((CHECKS + 1))
grep -q 'only detected with --bridge' "$WORK/out" || fail "no-bridge note missing"
# A backup repairs it.
run 0 "$SSOESCROW" backup --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state"
run 1 "$SSOESCROW" status --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state"
expect_out "^OK       msid-current: .* holds the live master secret \\$second_msid\$"
# A restore drill (2 of 3 custodians): now every check is OK against the live server.
mkdir -p "$WORK/tmp"
run 0 "$SSOESCROW" restore request --vault "$WORK/v" --out "$WORK/req" --reason "quarterly drill"
run 0 approve alice "$WORK/req" "$WORK/alice.approval"
run 0 approve bob "$WORK/req" "$WORK/bob.approval"
run 0 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req" --vault "$WORK/v" --approval "$WORK/alice.approval" \
    --approval "$WORK/bob.approval" --drill --temp-dir "$WORK/tmp"
run 0 "$SSOESCROW" status --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state"
expect_out '^OK       drill-age: newest drill of backup [0-9a-f]{32} on [^ ]+ is [0-9]+s old'
expect_out '^status OK: vault '
run 0 "$SSOESCROW" status --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state" --format nagios
expect_out '^SSOESCROW OK - 7 checks ok, newest backup .* old \| backup_age='
# A bridge that crashes: UNKNOWN, the vault-only checks still reported.
run 0 "${EMU[@]}" admin fail-next crash --op status
run 3 "$SSOESCROW" status --vault "$WORK/v" --bridge "$BRIDGE" --state-dir "$WORK/state" --bridge-timeout 10
expect_out '^UNKNOWN  msid-current: the SSO bridge status call failed: '
expect_out '^OK       backup-age: '
run 3 "$SSOESCROW" status --vault "$WORK/v" --bridge "$WORK/no-such-bridge" --state-dir "$WORK/state" --format nagios
expect_out '^SSOESCROW UNKNOWN - UNKNOWN msid-current: the SSO bridge status call failed'

# A two-node cluster: backed up on the owner NODE1, never restored on NODE2.
EMU2=("$SSO_EMULATOR" --state "$WORK/es2")
run 0 "${EMU2[@]}" admin init --cluster CLU --group SSO --network-name SSOCLU --nodes NODE1,NODE2
run 0 "$SSOESCROW" vault init --vault "$WORK/v2" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --recipient carol.pub --state-dir "$WORK/state"
run 0 "$SSOESCROW" backup --vault "$WORK/v2" --bridge "$SSO_EMULATOR --state $WORK/es2 --node NODE1" \
    --state-dir "$WORK/state"
run 2 "$SSOESCROW" status --vault "$WORK/v2" --bridge "$SSO_EMULATOR --state $WORK/es2 --node NODE1" \
    --state-dir "$WORK/state"
expect_out '^CRITICAL cluster-coverage: node NODE2 of group SSO holds no receipt for the current master secret \{'
expect_out '^  cluster-coverage: On each node named: move the SSO group to it'
run 2 "$SSOESCROW" status --vault "$WORK/v2" --bridge "$SSO_EMULATOR --state $WORK/es2 --node NODE1" \
    --state-dir "$WORK/state" --format prometheus
expect_out '^ssoescrow_cluster_nodes_missing_secret\{vault=".*",secret_server="SSOCLU"\} 1$'
# Asked on the passive node: not the secret server, so the live MSID is UNKNOWN.
run 2 "$SSOESCROW" status --vault "$WORK/v2" --bridge "$SSO_EMULATOR --state $WORK/es2 --node NODE2" \
    --state-dir "$WORK/state"
expect_out '^UNKNOWN  msid-current: NODE2 is not the master secret server'
# Several vaults against one bridge: the worst state overall.
run 2 "$SSOESCROW" status --vault "$WORK/v2" --vault "$WORK/v" \
    --bridge "$SSO_EMULATOR --state $WORK/es2 --node NODE1" --state-dir "$WORK/state"
expect_out '^overall CRITICAL: 2 vaults'
# The documented fix: move the group to NODE2, restore there (a receipt), and every node is covered.
run 0 "$SSOESCROW" restore request --vault "$WORK/v2" --out "$WORK/req2"
run 0 approve alice "$WORK/req2" "$WORK/alice2.approval"
run 0 approve carol "$WORK/req2" "$WORK/carol2.approval"
run 0 "${EMU2[@]}" admin move-group NODE2
run 0 "${EMU2[@]}" admin resource offline
run 0 "${EMU2[@]}" admin resource online
run 0 "$SSOESCROW" restore apply --state-dir "$WORK/state" "$WORK/req2" --vault "$WORK/v2" --approval "$WORK/alice2.approval" \
    --approval "$WORK/carol2.approval" --bridge "$SSO_EMULATOR --state $WORK/es2 --node NODE2" \
    --temp-dir "$WORK/tmp"
run 0 "$SSOESCROW" status --vault "$WORK/v2" --bridge "$SSO_EMULATOR --state $WORK/es2 --node NODE2" \
    --state-dir "$WORK/state"
expect_out '^OK       cluster-coverage: all 2 possible owners of group SSO hold \{'
run 0 "$SSOESCROW" status --vault "$WORK/v2" --bridge "$SSO_EMULATOR --state $WORK/es2 --node NODE2" \
    --state-dir "$WORK/state" --format json
cp "$WORK/out" "$WORK/cluster.json"
run 0 python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
c = next(c for c in doc["vaults"][0]["checks"] if c["id"] == "cluster-coverage")
nodes = {n["node"]: n for n in c["evidence"]["nodes"]}
assert nodes["NODE1"]["covered"] and nodes["NODE2"]["covered"], nodes
assert c["evidence"]["missing"] == [], c
' "$WORK/cluster.json"

finish
