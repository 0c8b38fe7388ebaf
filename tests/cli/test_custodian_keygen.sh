#!/usr/bin/env bash
# custodian keygen / verify end to end: files, modes, refusals, passphrase sources.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

make_passphrase_file alice.pass "alice passphrase"

# Creates NAME.key (0600) and NAME.pub (one recipient line), prints the recipient.
run 0 "$SSOESCROW" custodian keygen --out alice.key --name "Alice (ops)" --kdf-cost interactive \
    --passphrase-file alice.pass
expect_out '^ssoescrow-recipient/1 x25519 [A-Za-z0-9+/]{43}= [0-9a-f]{4}(-[0-9a-f]{4}){7} Alice \(ops\)$'
expect_err 'wrote .*alice.key'
expect_mode 600 alice.key
[[ $(wc -l <alice.pub) -eq 1 ]] || fail "alice.pub is not one line"
cmp -s <(head -1 out) alice.pub || fail "printed recipient differs from alice.pub"
grep -q "alice passphrase" alice.key && fail "passphrase found in alice.key"

# verify: opens with the right passphrase, prints the same recipient.
run 0 "$SSOESCROW" custodian verify --identity alice.key --passphrase-file alice.pass
cmp -s out alice.pub || fail "verify printed another recipient"

# Wrong passphrase: exit 4, named.
make_passphrase_file wrong.pass "not alice"
run 4 "$SSOESCROW" custodian verify --identity alice.key --passphrase-file wrong.pass
expect_err 'alice.key: wrong passphrase'

# A trailing newline in the passphrase file is ignored; other whitespace is not.
printf 'alice passphrase' >nonl.pass && chmod 600 nonl.pass
run 0 "$SSOESCROW" custodian verify --identity alice.key --passphrase-file nonl.pass
printf 'alice passphrase \n' >space.pass && chmod 600 space.pass
run 4 "$SSOESCROW" custodian verify --identity alice.key --passphrase-file space.pass

# Passphrase from a descriptor.
run 0 "$SSOESCROW" custodian verify --identity alice.key --passphrase-fd 3 3<alice.pass
run 0 bash -c "printf 'fd passphrase of erin\n' | '$SSOESCROW' custodian keygen --out fd.key --kdf-cost interactive --passphrase-fd 0"
run 0 bash -c "printf 'fd passphrase of erin' | '$SSOESCROW' custodian verify --identity fd.key --passphrase-fd 0"

# Never overwrites: NAME.key or NAME.pub existing -> exit 6, files unchanged.
cp alice.key alice.key.orig
run 6 "$SSOESCROW" custodian keygen --out alice.key --kdf-cost interactive --passphrase-file alice.pass
expect_err 'already exists'
cmp -s alice.key alice.key.orig || fail "alice.key was modified"
touch bob.pub
run 6 "$SSOESCROW" custodian keygen --out bob.key --kdf-cost interactive --passphrase-file alice.pass
expect_absent bob.key
ln -s /nonexistent/target carol.key
run 6 "$SSOESCROW" custodian keygen --out carol.key --kdf-cost interactive --passphrase-file alice.pass
expect_absent carol.pub

# Group-readable passphrase file: refused with a chmod hint.
make_passphrase_file loose.pass "loose"
chmod 640 loose.pass
run 6 "$SSOESCROW" custodian keygen --out dave.key --kdf-cost interactive --passphrase-file loose.pass
expect_err 'hint: chmod 600'
expect_absent dave.key

# Empty passphrase refused at creation (also a file with only a newline).
: >empty.pass && chmod 600 empty.pass
run 2 "$SSOESCROW" custodian keygen --out erin.key --kdf-cost interactive --passphrase-file empty.pass
expect_err 'passphrase is empty'
printf '\n' >nl.pass && chmod 600 nl.pass
run 2 "$SSOESCROW" custodian keygen --out erin.key --kdf-cost interactive --passphrase-file nl.pass
expect_absent erin.key

# Group-readable identity file: refused with a chmod hint.
cp alice.key loose.key && chmod 644 loose.key
run 6 "$SSOESCROW" custodian verify --identity loose.key --passphrase-file alice.pass
expect_err 'hint: chmod 600'

# A damaged identity file is reported as damaged, not as a wrong passphrase.
cp alice.key damaged.key && chmod 600 damaged.key
printf 'X' | dd of=damaged.key bs=1 seek=100 conv=notrunc status=none
run 4 "$SSOESCROW" custodian verify --identity damaged.key --passphrase-file alice.pass
expect_err 'damaged'

# Usage errors.
run 2 "$SSOESCROW" custodian keygen --out frank.txt --passphrase-file alice.pass
expect_err 'must name a file ending in .key'
run 2 "$SSOESCROW" custodian keygen --out frank.key --kdf-cost cheap --passphrase-file alice.pass
run 2 "$SSOESCROW" custodian keygen --out frank.key --passphrase-file alice.pass --passphrase-fd 0
run 2 "$SSOESCROW" custodian keygen --out frank.key --name $'bad\tlabel' --passphrase-file alice.pass
expect_absent frank.key

# No terminal and no passphrase option: a clear error, not a hang.
if command -v setsid >/dev/null; then
    run 2 setsid "$SSOESCROW" custodian keygen --out gina.key --kdf-cost interactive
    expect_err 'no terminal'
    expect_absent gina.key
fi

# umask 000 still gives a 0600 identity file.
run 0 bash -c "umask 000 && '$SSOESCROW' custodian keygen --out open.key --kdf-cost interactive --passphrase-file alice.pass"
expect_mode 600 open.key

# Prompting on a terminal: no echo, asked twice, must match (driven through a pseudo-terminal).
if command -v python3 >/dev/null; then
    run 0 python3 "$TESTS_DIR/cli/lib/pty_keygen.py" "$SSOESCROW" "$WORK/tty.key" "tty secret of gina" "tty secret of gina"
    [[ -f tty.key ]] || fail "tty.key not written"
    grep -q "tty secret of gina" out && fail "passphrase echoed on the terminal"
    printf 'tty secret of gina\n' >tty.pass && chmod 600 tty.pass
    run 0 "$SSOESCROW" custodian verify --identity tty.key --passphrase-file tty.pass
    run 2 python3 "$TESTS_DIR/cli/lib/pty_keygen.py" "$SSOESCROW" "$WORK/tty2.key" "one" "two"
    expect_out 'differ'
    expect_absent tty2.key
fi

# The passphrase floor: too short, too predictable, a common password; the passphrase itself is
# never printed, and nothing is written.
for weak in 'short pass' 'aaaaaaaaaaaaaaaaaaaa' '12345678901234567890' 'Password2026!'; do
    make_passphrase_file weak.pass "$weak"
    run 2 "$SSOESCROW" custodian keygen --out weak.key --kdf-cost interactive --passphrase-file weak.pass
    expect_err 'weak.key: the passphrase is too (short|predictable)|weak.key: the passphrase is a common password'
    expect_err 'hint: choose a passphrase of several unrelated words'
    CHECKS=$((CHECKS + 1))
    grep -qF -- "$weak" err out && fail "the passphrase '$weak' was printed"
    expect_absent weak.key
    expect_absent weak.pub
done
run 2 bash -c "printf 'abcdefghijklmnop\n' | '$SSOESCROW' custodian keygen --out weak.key --passphrase-fd 0"
expect_err 'too predictable: about [0-9]+ bits'
# The KDF floor: keygen offers nothing below "interactive"; a file sealed below it (the test
# vectors, libsodium's minimum) still opens, with a warning every time it is read.
cp "$TESTS_DIR/vectors/envelope/identities/alice.key" vector.key && chmod 600 vector.key
make_passphrase_file vector.pass "ssoescrow test vector"
run 0 "$SSOESCROW" custodian verify --identity vector.key --passphrase-file vector.pass
expect_err 'warning: vector.key is sealed with argon2id cost 1 pass, 8 KiB, below the floor of 2 passes, 64 MiB'
run 0 "$SSOESCROW" custodian verify --identity alice.key --passphrase-file alice.pass
CHECKS=$((CHECKS + 1))
grep -q 'below the floor' err && fail "an identity at the floor was warned about"

finish
