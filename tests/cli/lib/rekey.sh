# Helpers of the rekey tests (test_rekey.sh, test_rekey_verify.sh), sourced after common.sh and
# emulator_test_setup; they use $SSOESCROW, $WORK and $STATE (the state root of the vault's host).

rk_approve() {
    local name=$1 request=$2 out=$3
    shift 3
    "$SSOESCROW" rekey approve "$request" --identity "$WORK/$name.key" \
        --passphrase-file "$WORK/$name.pass" --out "$out" --yes "$@"
}
policy_of() { "$SSOESCROW" vault list --vault "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["policy"])'; }
verified_ids() {
    "$SSOESCROW" vault list --vault "$1" --json |
        python3 -c 'import json,sys; [print(b["id"]) for b in json.load(sys.stdin)["backups"] if b["state"]=="verified"]'
}
# extract VAULT BACKUP DIR NAME...: a break-glass extraction of BACKUP approved by NAMEs.
extract() {
    local v=$1 backup=$2 dir=$3
    shift 3
    local req="$WORK/xreq.$RANDOM$RANDOM" args=()
    "$SSOESCROW" restore request --vault "$v" --backup "$backup" --out "$req" --purpose extract \
        >/dev/null 2>&1 || return 1
    for name in "$@"; do
        approve "$name" "$req" "$req.$name" >/dev/null 2>&1 || return 1
        args+=(--approval "$req.$name")
    done
    "$SSOESCROW" restore apply "$req" --vault "$v" --state-dir "$STATE" "${args[@]}" \
        --extract "$dir" >/dev/null 2>&1
}
# check_vault V [ALLOWED WARNING CODES...]: vault check exits 0, or 1 with only those warnings.
check_vault() {
    local v=$1
    shift
    CHECKS=$((CHECKS + 1))
    local status=0 codes
    "$SSOESCROW" vault check --vault "$v" --state-dir "$STATE" --json >"$WORK/check.json" \
        2>"$WORK/check.err" || status=$?
    codes=$(python3 -c 'import json,sys; print(" ".join(sorted({f["code"] for f in json.load(open(sys.argv[1]))["findings"] if f["severity"]!="info"})))' "$WORK/check.json")
    if [[ $status -eq 0 && -z $codes ]]; then return 0; fi
    if [[ $status -ne 1 ]]; then fail "vault check of $v: exit $status ($codes)"; return 0; fi
    for code in $codes; do
        [[ " $* " == *" $code "* ]] || fail "vault check of $v: unexpected finding $code"
    done
}
