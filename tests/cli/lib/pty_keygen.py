#!/usr/bin/env python3
"""Runs `ssoescrow custodian keygen` on a pseudo-terminal and answers its two passphrase prompts.

usage: pty_keygen.py SSOESCROW OUT.key FIRST SECOND
Prints everything the terminal showed (so the caller can check nothing was echoed) and exits
with keygen's exit status.
"""
import os
import pty
import sys
import time


def read_until(fd, marker, timeout=30.0):
    seen = b""
    deadline = time.time() + timeout
    while marker not in seen:
        if time.time() > deadline:
            raise SystemExit("timed out waiting for %r; saw %r" % (marker, seen))
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    return seen


def main():
    binary, out, first, second = sys.argv[1:5]
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(binary, [binary, "custodian", "keygen", "--out", out, "--kdf-cost", "interactive"])
    shown = read_until(fd, b"Enter new passphrase")
    os.write(fd, first.encode() + b"\n")
    shown += read_until(fd, b"Repeat new passphrase")
    os.write(fd, second.encode() + b"\n")
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(shown.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
