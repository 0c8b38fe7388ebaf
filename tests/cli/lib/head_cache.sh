# The setup of the head-cache tests (test_head_cache.sh, test_restore_head_cache.sh), sourced
# after common.sh: a 2-of-2 vault at $WORK/v with its host state at $WORK/state, $CACHE the
# host's verified-head file, $BACKUPS its verified-backups file, and a .bak ($WORK/a.bak) with its password file ($WORK/bak.pw).

export HOME="$WORK/home"
unset XDG_STATE_HOME
mkdir -p "$HOME"
umask 077

for name in alice bob; do keygen "$name"; done
run 0 "$SSOESCROW" vault init --vault "$WORK/v" --threshold 2 --recipient alice.pub \
    --recipient bob.pub --state-dir "$WORK/state"
VID=$(sed -n 's/^vault-id: //p' "$WORK/v/config")
CACHE="$WORK/state/$VID/verified-head"
BACKUPS="$WORK/state/$VID/verified-backups"  # the cache's backup lines
head -c 3000 /dev/urandom >"$WORK/a.bak"
make_passphrase_file "$WORK/bak.pw" "Bak-Password-123"
