#!/usr/bin/env bash
# The Linux installation (README "Installing on Linux"): `cmake --install` into a staging root
# puts the binary, a man page per command (generated from the same --help text), the bash
# completion, the systemd units pointing at the installed binary and the documentation where the
# README says; the .deb that `cpack -G DEB` builds holds the same files and names its dependencies.
# Env: SSOESCROW, BUILD_DIR (the build tree to install from).
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

[[ -n ${BUILD_DIR:-} && -f $BUILD_DIR/cmake_install.cmake ]] ||
    { echo "no build tree to install from (BUILD_DIR): skipped"; exit 77; }
[[ -f $BUILD_DIR/man/ssoescrow.1 ]] ||
    { echo "no man pages in the build (help2man not installed; scripts/bootstrap.sh installs it): skipped"; exit 77; }

ROOT="$WORK/root"
run 0 env DESTDIR="$ROOT" cmake --install "$BUILD_DIR" --prefix /usr
expect_file() {
    CHECKS=$((CHECKS + 1))
    [[ -f $ROOT/$1 ]] || fail "not installed: /$1"
}

# --- the binary --------------------------------------------------------------------------------
expect_file usr/bin/ssoescrow
run 0 "$ROOT/usr/bin/ssoescrow" --version
expect_out '^ssoescrow [0-9]+\.[0-9]+\.[0-9]+'

# --- a man page for every command, from its own --help -------------------------------------------
# The command tree as the program lists it; every command must have its page.
subcommands_of() {
    "$SSOESCROW" "$@" --help | awk '/^Subcommands:/ { listing = 1; next }
        listing && /^  [a-z]/ { print $1; next } listing && !/^  / { listing = 0 }'
}
expect_pages() {  # WORDS...
    local name=ssoescrow word sub
    for word in "$@"; do name+="-$word"; done
    expect_file "usr/share/man/man1/$name.1"
    while read -r sub; do
        [[ -n $sub ]] && expect_pages "$@" "$sub"
    done < <(subcommands_of "$@")
}
expect_pages
pages=$(find "$ROOT/usr/share/man/man1" -name 'ssoescrow*.1' | wc -l)
CHECKS=$((CHECKS + 1))
((pages >= 25)) || fail "only $pages man pages installed"
# A page holds its command's options and usage as the program states them, not a build path.
page="$ROOT/usr/share/man/man1/ssoescrow-vault-init.1"
for option in --vault --threshold --recipient; do
    CHECKS=$((CHECKS + 1))
    grep -q -- "${option//-/\\\\-}" "$page" || fail "ssoescrow-vault-init.1 lacks $option"
done
CHECKS=$((CHECKS + 1))
grep -q "$BUILD_DIR" "$ROOT"/usr/share/man/man1/*.1 && fail "a man page names the build tree"
CHECKS=$((CHECKS + 1))
grep -Eq '^\.TH "?SSOESCROW-RESTORE-APPLY"? "?1' "$ROOT/usr/share/man/man1/ssoescrow-restore-apply.1" ||
    fail "ssoescrow-restore-apply.1 has no .TH line"

# --- bash completion, answered by the installed program ------------------------------------------
expect_file usr/share/bash-completion/completions/ssoescrow
complete_line() {  # WORDS... (the last is the word being completed)
    PATH="$ROOT/usr/bin:$PATH" bash -c '
        source "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        _ssoescrow; printf "%s\n" "${COMPREPLY[@]}"' _ \
        "$ROOT/usr/share/bash-completion/completions/ssoescrow" "$@"
}
expect_equal "$(complete_line ssoescrow vault li)" "list" "completion of 'vault li'"
expect_equal "$(complete_line ssoescrow resto)" "restore" "completion of 'resto'"
expect_equal "$(complete_line ssoescrow vault init --thr)" "--threshold" "completion of '--thr'"
CHECKS=$((CHECKS + 1))
# Through a file: `grep -q` stops reading at the first match, and under pipefail the SIGPIPE of a
# completion still writing would fail the check.
complete_line ssoescrow "" >"$WORK/top-level"
grep -qx status "$WORK/top-level" || fail "completion of '' lacks status"

# --- systemd units: they run the installed binary ---------------------------------------------------
expect_file usr/lib/systemd/system/ssoescrow-status.service
expect_file usr/lib/systemd/system/ssoescrow-status.timer
CHECKS=$((CHECKS + 1))
grep -q '/usr/bin/ssoescrow status' "$ROOT/usr/lib/systemd/system/ssoescrow-status.service" ||
    fail "the service does not run /usr/bin/ssoescrow"
CHECKS=$((CHECKS + 1))
grep -q '/usr/local/bin' "$ROOT/usr/lib/systemd/system/ssoescrow-status.service" &&
    fail "the installed service still names /usr/local/bin"

# --- documentation ------------------------------------------------------------------------------
for doc in README.md SECURITY.md FORMAT.md systemd.md windows/sso-bridge.ps1 \
    windows/collect-topology.ps1 windows/install-backup-task.ps1 windows/ssoescrow-windows.psm1; do
    expect_file "usr/share/doc/ssoescrow/$doc"
done

# --- the .deb -----------------------------------------------------------------------------------
if command -v cpack >/dev/null && command -v dpkg-deb >/dev/null; then
    (cd "$BUILD_DIR" && cpack -G DEB -B "$WORK/pkg") >"$WORK/cpack.log" 2>&1 ||
        { fail "cpack -G DEB failed"; cat "$WORK/cpack.log" >&2; }
    deb=$(find "$WORK/pkg" -maxdepth 1 -name 'ssoescrow_*.deb' | head -1)
    CHECKS=$((CHECKS + 1))
    if [[ -z $deb ]]; then
        fail "no .deb was built"
    else
        dpkg-deb -f "$deb" >"$WORK/control"
        CHECKS=$((CHECKS + 1))
        grep -qx 'Package: ssoescrow' "$WORK/control" || fail "control: Package"
        CHECKS=$((CHECKS + 1))
        grep -q '^Depends:.*libsodium' "$WORK/control" || fail "control: Depends lacks libsodium"
        if [[ ${SSOESCROW_HOOKS:-0} == 1 ]]; then
            # A test-hooks build can never pass for a release package.
            CHECKS=$((CHECKS + 1))
            grep -q '^Version: .*~testhooks' "$WORK/control" || fail "control: Version of a test build"
        fi
        dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$WORK/contents"
        for file in /usr/bin/ssoescrow /usr/share/man/man1/ssoescrow.1 \
            /usr/share/man/man1/ssoescrow-restore-apply.1 \
            /usr/share/bash-completion/completions/ssoescrow \
            /usr/lib/systemd/system/ssoescrow-status.service \
            /usr/lib/systemd/system/ssoescrow-status.timer /usr/share/doc/ssoescrow/README.md \
            /usr/share/doc/ssoescrow/FORMAT.md; do
            CHECKS=$((CHECKS + 1))
            grep -qx "$file" "$WORK/contents" || fail "the .deb lacks $file"
        done
        # The package holds exactly what `cmake --install` installs.
        (cd "$ROOT" && find . -type f | sed 's|^\./|/|' | sort) >"$WORK/installed"
        grep -v '/$' "$WORK/contents" | sort >"$WORK/packaged"
        CHECKS=$((CHECKS + 1))
        diff "$WORK/installed" "$WORK/packaged" >"$WORK/diff" ||
            { fail "the .deb and cmake --install differ"; cat "$WORK/diff" >&2; }
    fi
else
    echo "cpack or dpkg-deb missing: the .deb part is skipped"
fi

finish
