#!/usr/bin/env bash
# The demo: builds ssoescrow and walks through its custodian-key and crypto round trip in a
# throwaway directory. Nothing outside that directory is touched; it is removed at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs" --target ssoescrow >/dev/null
bin=$PWD/build/src/ssoescrow

demo=$(mktemp -d "${TMPDIR:-/tmp}/ssoescrow-demo.XXXXXX")
trap 'rm -rf "$demo"' EXIT
cd "$demo"
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

if "$bin" vault --help >/dev/null 2>&1 && "$bin" vault init --help >/dev/null 2>&1; then
    step "a 2-of-3 vault is created from the three recipient files"
    "$bin" vault init --vault vault --threshold 2 \
        --recipient alice.pub --recipient bob.pub --recipient carol.pub --state-dir state
    "$bin" vault check --vault vault --state-dir state
fi

step "the crypto stack on this machine: split 2-of-3, wrap to custodians, combine every pair"
"$bin" selftest --threshold 2 --shares 3

step "demo finished; the throwaway directory is removed"
