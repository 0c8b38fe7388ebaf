#!/usr/bin/env bash
# `ssoescrow topology check` end to end: golden text and JSON reports (byte for byte), the exit
# code of every fixture (monitoring convention 0/1/2), and exit 3 with a clear message for
# inventories that cannot be read: bad schema version, missing field, malformed JSON, duplicate
# keys, nonexistent file, ...
set -uo pipefail
: "${SSOESCROW:?SSOESCROW must name the ssoescrow binary}"
: "${TESTS_DIR:?TESTS_DIR must name the tests directory}"

fixtures=$TESTS_DIR/fixtures/topology
golden=$fixtures/golden
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run NAME ARGS...: runs ssoescrow, leaves stdout/stderr in $work/NAME.{out,err}, exit code in $rc.
run() {
    local name=$1
    shift
    "$SSOESCROW" "$@" >"$work/$name.out" 2>"$work/$name.err"
    rc=$?
}

expected_exit() { sed -n 's/^exit \([0-9]*\)$/\1/p' "$1"; }

# 1. Every valid fixture: the exit code of its sidecar, in both formats; JSON status agrees.
count=0
for inventory in "$fixtures"/*.json; do
    name=$(basename "$inventory" .json)
    want=$(expected_exit "$fixtures/$name.expected")
    for format in text json; do
        run "$name.$format" topology check --inventory "$inventory" --format "$format"
        [[ $rc == "$want" ]] || fail "$name ($format): exit $rc, expected $want: $(cat "$work/$name.$format.err")"
        [[ -s $work/$name.$format.out ]] || fail "$name ($format): empty report"
        [[ ! -s $work/$name.$format.err ]] || fail "$name ($format): unexpected stderr: $(cat "$work/$name.$format.err")"
    done
    grep -q "^  \"exit_code\": $want,\$" "$work/$name.json.out" || fail "$name: JSON exit_code is not $want"
    # The text report's first line is the monitoring summary.
    case $want in
        0) status=OK ;;
        1) status=WARNING ;;
        2) status=CRITICAL ;;
    esac
    head -n 1 "$work/$name.text.out" | grep -q "^TOPOLOGY $status - " ||
        fail "$name: first line is not 'TOPOLOGY $status - ...'"
    # Every rule that the sidecar says fires is in the report, and no other.
    fired=$(grep -o '^\(CRITICAL\|WARNING\) TOPO-[A-Z-]*' "$work/$name.text.out" | cut -d' ' -f2 | sort -u)
    wanted=$(grep '^TOPO-' "$fixtures/$name.expected" | sort -u)
    [[ $fired == "$wanted" ]] || fail "$name: rules fired '$fired', expected '$wanted'"
    count=$((count + 1))
done
((count >= 17)) || fail "only $count valid fixtures found in $fixtures"

# 2. Golden reports, byte for byte (the default format is text).
goldens=0
for expected in "$golden"/*.txt "$golden"/*.json; do
    file=$(basename "$expected")
    name=${file%.*}
    format=text
    [[ $file == *.json ]] && format=json
    if [[ $format == text ]]; then
        run "golden-$file" topology check --inventory "$fixtures/$name.json"
    else
        run "golden-$file" topology check --inventory "$fixtures/$name.json" --format json
    fi
    if ! cmp -s "$expected" "$work/golden-$file.out"; then
        fail "golden $file differs:"
        diff -u "$expected" "$work/golden-$file.out" | head -n 40 >&2
    fi
    goldens=$((goldens + 1))
done
((goldens >= 6)) || fail "only $goldens golden files found in $golden"

# 3. Inventories that must be refused: exit 3 (UNKNOWN), nothing on stdout, the message names
#    the file and the field.
count=0
for inventory in "$fixtures"/invalid/*.json; do
    name=$(basename "$inventory" .json)
    sidecar=$fixtures/invalid/$name.expected
    fragment=$(sed -n 's/^error: //p' "$sidecar")
    for format in text json; do
        run "invalid-$name.$format" topology check --inventory "$inventory" --format "$format"
        [[ $rc == 3 ]] || fail "invalid/$name ($format): exit $rc, expected 3"
        [[ ! -s $work/invalid-$name.$format.out ]] || fail "invalid/$name ($format): printed a report"
        grep -qF "ssoescrow: error: $inventory: $fragment" "$work/invalid-$name.$format.err" ||
            fail "invalid/$name ($format): stderr lacks '$fragment': $(cat "$work/invalid-$name.$format.err")"
        grep -q '^ssoescrow: hint: ' "$work/invalid-$name.$format.err" ||
            fail "invalid/$name ($format): no hint"
    done
    count=$((count + 1))
done
((count >= 10)) || fail "only $count invalid fixtures found"

# The cases the tool must name explicitly, whatever else is in invalid/.
for name in unsupported-schema-version host-instance-disabled-missing service-name-not-a-string \
    malformed-trailing-garbage malformed-truncated duplicate-key invalid-utf8 nesting-too-deep; do
    [[ -f $fixtures/invalid/$name.json ]] || fail "invalid/$name.json is missing"
done

# 4. File-level errors.
run missing topology check --inventory "$work/does-not-exist.json"
[[ $rc == 3 ]] || fail "nonexistent inventory: exit $rc, expected 3"
grep -qF "ssoescrow: error: inventory file \"$work/does-not-exist.json\" does not exist" "$work/missing.err" ||
    fail "nonexistent inventory: message: $(cat "$work/missing.err")"
grep -qF "collect-topology.ps1" "$work/missing.err" || fail "nonexistent inventory: no hint"

run directory topology check --inventory "$work"
[[ $rc == 3 ]] || fail "directory as inventory: exit $rc, expected 3"
grep -q "is a directory, not a regular file" "$work/directory.err" || fail "directory: $(cat "$work/directory.err")"

: >"$work/empty.json"
run empty topology check --inventory "$work/empty.json"
[[ $rc == 3 ]] || fail "empty inventory: exit $rc, expected 3"
grep -qF "$work/empty.json: document is empty" "$work/empty.err" || fail "empty: $(cat "$work/empty.err")"

truncate -s $((16 * 1024 * 1024 + 1)) "$work/huge.json"
run huge topology check --inventory "$work/huge.json"
[[ $rc == 3 ]] || fail "oversized inventory: exit $rc, expected 3"
grep -q "above the 16777216-byte limit" "$work/huge.err" || fail "oversized: $(cat "$work/huge.err")"

# An unreadable file (skipped as root, who reads everything).
if [[ $(id -u) != 0 ]]; then
    cp "$fixtures/pattern1-master-and-hosts-in-one-group.json" "$work/unreadable.json"
    chmod 000 "$work/unreadable.json"
    run unreadable topology check --inventory "$work/unreadable.json"
    [[ $rc == 3 ]] || fail "unreadable inventory: exit $rc, expected 3"
    grep -q "cannot open inventory file .*Permission denied" "$work/unreadable.err" ||
        fail "unreadable: $(cat "$work/unreadable.err")"
fi

# 5. The help text documents the exit codes.
run help topology check --help
[[ $rc == 0 ]] || fail "topology check --help: exit $rc"
grep -q "3  UNKNOWN" "$work/help.out" || fail "help lacks the exit-code table"

if ((failures > 0)); then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "topology: all checks passed"
