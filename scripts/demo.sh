#!/usr/bin/env bash
# The demo: builds ssoescrow and the SSO emulator, then runs the scheduled backup job end to end
# in a throwaway directory: three custodians, a 2-of-3 vault, the emulator standing in for an
# ENTSSO master secret server, two backups, a secret rotation, the vault listing and check, a
# restore drill approved by two custodians, and the freshness status.
# Nothing outside that directory is touched; it is removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs" --target ssoescrow sso-emulator >/dev/null
bin=$PWD/build/src/ssoescrow
emulator=$PWD/build/tests/emulator/sso-emulator

demo=$(mktemp -d "${TMPDIR:-/tmp}/ssoescrow-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT
cd "$demo"
mkdir scratch
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "three custodians each create a key pair (passphrases from owner-only files for the demo)"
for name in alice bob carol; do
    (umask 077 && printf 'demo passphrase of %s\n' "$name" >"$name.pass")
    "$bin" custodian keygen --out "$name.key" --name "$name" --kdf-cost interactive \
        --passphrase-file "$name.pass"
done
ls -l ./*.key ./*.pub

step "each custodian checks that their key opens"
for name in alice bob carol; do
    "$bin" custodian verify --identity "$name.key" --passphrase-file "$name.pass" >/dev/null
done

step "a 2-of-3 vault is created from the three recipient files"
"$bin" vault init --vault vault --threshold 2 \
    --recipient alice.pub --recipient bob.pub --recipient carol.pub --state-dir state | tee init.out
policy=$(grep -Eo 'sha256:[0-9a-f]{64}' init.out | head -1)

step "the SSO emulator plays the master secret server SSO1"
"$emulator" --state sso admin init --standalone SSO1
bridge="$emulator --state $demo/sso"

step "the scheduled job runs twice, with the policy pinned as the scheduled task does"
for run in 1 2; do
    "$bin" backup --vault vault --bridge "$bridge" --expect-policy "$policy" \
        --temp-dir scratch --state-dir state --log-json job.log
done

step "a new master secret is generated and escrowed in the same run"
"$bin" rotate --vault vault --bridge "$bridge" --expect-policy "$policy" --temp-dir scratch \
    --state-dir state --log-json job.log

step "the vault: every backup, its MSIDs and state"
"$bin" vault list --vault vault
"$bin" vault check --vault vault --state-dir state

step "a restore drill: the operator requests, two of the three custodians approve offline"
"$bin" restore request --vault vault --backup latest --out drill.req --purpose drill \
    --reason "quarterly drill"
for name in alice carol; do
    "$bin" restore approve drill.req --identity "$name.key" --passphrase-file "$name.pass" \
        --out "$name.approval" --yes
done
"$bin" restore apply drill.req --vault vault --approval alice.approval \
    --approval carol.approval --drill --bridge "$bridge" --state-dir state

step "the secret-freshness compliance check, as monitoring and auditors see it"
"$bin" status --vault vault --bridge "$bridge" --state-dir state ||
    echo "(status exit code $?: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)"

step "the job log (JSON Lines, for the scheduler and monitoring): the last event"
tail -n 1 job.log

step "nothing is left in the scratch directory"
ls -A scratch | wc -l

step "demo finished; the throwaway directory is removed"
