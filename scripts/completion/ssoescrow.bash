# bash completion for ssoescrow. Installed as share/bash-completion/completions/ssoescrow.
# Asks the program itself (`ssoescrow WORDS... --help`) for the subcommands and options at the
# cursor, so the completion cannot drift from the commands the installed version has. Option
# values (files, directories) fall back to bash's file name completion.
_ssoescrow() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local -a words=()
    local i
    # The command words typed so far: everything before the first option.
    for ((i = 1; i < COMP_CWORD; i++)); do
        [[ ${COMP_WORDS[i]} == -* ]] && break
        words+=("${COMP_WORDS[i]}")
    done
    local help
    help=$("${COMP_WORDS[0]}" "${words[@]}" --help 2>/dev/null) || return 0
    local candidates
    if [[ $cur == -* ]]; then
        # Option lines: "  -h,--help  ..." or "  --vault TEXT REQUIRED  ...".
        candidates=$(sed -nE 's/^  (-[^ ]+).*/\1/p' <<<"$help" | tr ',' '\n')
    elif ((i == COMP_CWORD)); then
        candidates=$(awk '/^Subcommands:/ { listing = 1; next }
            listing && /^  [a-z]/ { print $1; next }
            listing && !/^  / { listing = 0 }' <<<"$help")
    fi
    COMPREPLY=($(compgen -W "$candidates" -- "$cur"))
}
complete -o default -o bashdefault -F _ssoescrow ssoescrow
