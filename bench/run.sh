#!/usr/bin/env bash
# bench/run.sh: the whole benchmark suite in one command; writes bench/RESULTS.md.
#
#   bench/run.sh [--quick] [--runs N] [--build-dir DIR] [--out FILE] [--keep-work]
#
#   --quick       vaults of 100 and 1,000 backups only, 3 timed runs per command (~2 minutes on
#                 2 cores); the default is 100, 1,000 and 10,000 backups, 5 runs (~15 minutes)
#   --runs N      timed runs per command (after one warm-up run)
#   --build-dir   the Release build to create or reuse (default: build-bench)
#   --out FILE    the report (default: bench/RESULTS.md)
#   --keep-work   keep the scratch directory (vaults, keys, logs) and print its path
#
# What it does, in order:
#   1. configures and builds a Release build (no test hooks: what users run) of ssoescrow, the SSO
#      emulator (the bridge of the backup benchmark) and the bench programs;
#   2. makes five custodian keys, an emulated ENTSSO server, and with bench_vault_gen the vaults
#      (10 backups for the writers' baseline; 100, 1,000, 10,000 backups for the growth table,
#      each with full history: a quarter more backups made and pruned earlier; a ten-year-old
#      vault of 3,650 daily backups with the newest 40 kept) and asserts that `vault check` of
#      each is clean;
#   3. bench/measure.py times every command alternating with its peers in each round (CPU time
#      user+sys and wall time from wait4, peak RSS from /usr/bin/time -v) and writes the report:
#      machine, versions, medians with min-max, ratios and each goal met or missed.
# Needs: cmake, ninja, a C++20 compiler, python3, and the peers: age, libgfshare-bin (gfsplit,
# gfcombine), time (/usr/bin/time); eatmydata (optional) makes the vault generation skip fsync.
# scripts/bootstrap.sh installs all of them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0
runs=""
build_dir="$root/build-bench"
out="$root/bench/RESULTS.md"
keep_work=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --quick) quick=1 ;;
        --runs) runs=$2; shift ;;
        --build-dir) build_dir=$2; shift ;;
        --out) out=$2; shift ;;
        --keep-work) keep_work=1 ;;
        -h | --help) sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [[ -z $runs ]]; then
    runs=$((quick ? 3 : 5))
fi
if ((quick)); then
    sizes=(100 1000)
else
    sizes=(100 1000 10000)
fi

missing=()
for tool in cmake python3 age age-keygen gfsplit gfcombine /usr/bin/time b2sum sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [[ ${#missing[@]} -ne 0 ]]; then
    echo "run.sh: missing: ${missing[*]} (scripts/bootstrap.sh installs them:" \
        "apt-get install age libgfshare-bin time)" >&2
    exit 1
fi
started=$(date +%s)
say() { printf '[%4ds] %s\n' $(($(date +%s) - started)) "$*"; }

# --- 1. Build ------------------------------------------------------------------------------------
say "building Release in $build_dir"
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
mkdir -p "$build_dir"
cmake -S "$root" -B "$build_dir" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DSSOESCROW_TEST_HOOKS=OFF -DSSOESCROW_SANITIZE=OFF >"$build_dir/bench-configure.log" 2>&1 ||
    { cat "$build_dir/bench-configure.log" >&2; exit 1; }
cmake --build "$build_dir" -j2 --target ssoescrow sso-emulator bench_vault_gen bench_shamir \
    >"$build_dir/bench-build.log" 2>&1 || { tail -50 "$build_dir/bench-build.log" >&2; exit 1; }
ssoescrow="$build_dir/src/ssoescrow"
emulator="$build_dir/tests/emulator/sso-emulator"
vault_gen="$build_dir/bench/bench_vault_gen"
bench_shamir="$build_dir/bench/bench_shamir"

# --- 2. Keys, the emulated server, the vaults ----------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/ssoescrow-bench.XXXXXX")
if ((keep_work)); then
    echo "scratch directory (kept): $work"
else
    trap 'chmod -R u+rwX "$work" 2>/dev/null; rm -rf "$work"' EXIT
fi
umask 077
export HOME="$work/home"
unset XDG_STATE_HOME
mkdir -p "$HOME" "$work/keys" "$work/tmp"

say "custodian keys (5, threshold 3) and age keys (5)"
recipients=()
for name in alice bob carol dave erin; do
    printf 'pass-%s-for-the-benchmarks\n' "$name" >"$work/keys/$name.pass"
    "$ssoescrow" custodian keygen --out "$work/keys/$name.key" --name "$name" \
        --kdf-cost interactive --passphrase-file "$work/keys/$name.pass" >/dev/null 2>&1
    recipients+=(--recipient "$work/keys/$name.pub")
    age-keygen -o "$work/keys/$name.age" 2>/dev/null
done

say "emulated ENTSSO server"
"$emulator" --state "$work/es" admin init --standalone SSO1 >/dev/null

# The growth vaults, plus the 10-backup vault the writers are compared with.
eatmydata=()
command -v eatmydata >/dev/null 2>&1 && eatmydata=(eatmydata)
for size in 10 "${sizes[@]}"; do
    pruned=$((size / 4))
    lag=$((size < 35 ? size : 35))
    say "vault of $size backups (+$pruned pruned)"
    "${eatmydata[@]}" "$vault_gen" --vault "$work/v$size/vault" --state-dir "$work/v$size/state" \
        --threshold 3 "${recipients[@]}" --backups "$size" --pruned "$pruned" \
        --prune-lag "$lag" --years 10 >"$work/v$size.gen.log"
    sed 's/^/    /' "$work/v$size.gen.log"
    sync
    if ! "$ssoescrow" vault check --vault "$work/v$size/vault" --state-dir "$work/v$size/state" \
        >"$work/v$size.check.log" 2>&1; then
        echo "run.sh: vault check of the generated $size-backup vault is not clean:" >&2
        cat "$work/v$size.check.log" >&2
        exit 1
    fi
    if grep -Eq '^(info|warning|damaged|error):' "$work/v$size.check.log" ||
        ! grep -q ': clean (' "$work/v$size.check.log"; then
        echo "run.sh: vault check of the generated $size-backup vault has findings:" >&2
        cat "$work/v$size.check.log" >&2
        exit 1
    fi
    sed 's/^/    /' "$work/v$size.check.log"
done

# A ten-year-old vault as a daily job with the default retention leaves it: 3,650 backups made,
# the newest 40 kept, the rest pruned (7,261 audit records); the writers on it are compared with
# the 10-backup vault.
say "ten-year-old vault (3,650 daily backups, 40 kept)"
"${eatmydata[@]}" "$vault_gen" --vault "$work/v10y/vault" --state-dir "$work/v10y/state" \
    --threshold 3 "${recipients[@]}" --backups 40 --pruned 3610 --prune-lag 35 --years 10 \
    >"$work/v10y.gen.log"
sed 's/^/    /' "$work/v10y.gen.log"
sync
"$ssoescrow" vault check --vault "$work/v10y/vault" --state-dir "$work/v10y/state" \
    >"$work/v10y.check.log" 2>&1 || { cat "$work/v10y.check.log" >&2; exit 1; }
sed 's/^/    /' "$work/v10y.check.log"

# A restore request for the newest backup of each writer vault, approved by 3 custodians, for
# `restore apply --drill`.
largest=${sizes[-1]}
for size in 10 10y "$largest"; do
    dir="$work/v$size"
    "$ssoescrow" restore request --vault "$dir/vault" --out "$dir/req" --reason "benchmark drill" \
        >/dev/null
    for name in alice bob carol; do
        "$ssoescrow" restore approve "$dir/req" --identity "$work/keys/$name.key" \
            --passphrase-file "$work/keys/$name.pass" --out "$dir/$name.approval" --yes \
            >/dev/null 2>&1
    done
done

# The .bak of the import and age benchmarks: 4 KiB, and its password.
head -c 4096 /dev/urandom >"$work/input.bak"
printf 'bench-password-1\n' >"$work/input.pass"

# --- 3. Measure and report -----------------------------------------------------------------------
say "measuring ($runs runs per command, alternating)"
python3 "$root/bench/measure.py" --work "$work" --ssoescrow "$ssoescrow" --emulator "$emulator" \
    --bench-shamir "$bench_shamir" --sizes "${sizes[@]}" --runs "$runs" --out "$out" \
    --mode "$( ((quick)) && echo quick || echo full)" --started "$started"
say "done: $out"
