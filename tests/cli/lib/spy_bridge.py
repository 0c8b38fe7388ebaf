#!/usr/bin/env python3
"""A bridge wrapper for the end-to-end tests: runs the real bridge (the emulator) and spies on
the run for secrets in the wrong places (scenarios S2, S3).

    spy_bridge.py RECORD_DIR BRIDGE ARGS... OPERATION

- Reads the request from stdin. If it carries a password, appends it to RECORD_DIR/passwords
  (so the test can search for it afterwards) and scans /proc/*/cmdline and /proc/*/environ of
  every process it can read, its parent (ssoescrow) and itself included, for the password; any
  hit is written to RECORD_DIR/leaks. The number of processes scanned goes to RECORD_DIR/scans.
- Appends the operation name to RECORD_DIR/operations.
- "OPERATION SECONDS" in RECORD_DIR/sleep_after makes it sleep after the real bridge answered
  that operation and before answering itself (to interrupt ssoescrow while the .bak exists);
  RECORD_DIR/sleeping is created when the sleep starts.
- Then forwards the real bridge's stdout and exit status.
"""
import json
import os
import subprocess
import sys
import time


def scan_proc(secret: bytes):
    leaks, scanned = [], 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        for name in ("cmdline", "environ"):
            try:
                with open(f"/proc/{entry}/{name}", "rb") as f:
                    data = f.read()
            except OSError:
                continue
            if name == "cmdline":
                scanned += 1
            if secret in data:
                leaks.append(f"pid {entry} {name}")
    return leaks, scanned


def main():
    record, bridge = sys.argv[1], sys.argv[2:]
    operation = bridge[-1]
    request = sys.stdin.buffer.read()
    with open(os.path.join(record, "operations"), "a") as f:
        f.write(operation + "\n")
    try:
        password = json.loads(request).get("password")
    except ValueError:
        password = None
    if password:
        with open(os.path.join(record, "passwords"), "a") as f:
            f.write(password + "\n")
        leaks, scanned = scan_proc(password.encode())
        with open(os.path.join(record, "scans"), "a") as f:
            f.write(f"{scanned}\n")
        if leaks:
            with open(os.path.join(record, "leaks"), "a") as f:
                f.write("\n".join(leaks) + "\n")
    done = subprocess.run(bridge, input=request, stdout=subprocess.PIPE)
    sleep_file = os.path.join(record, "sleep_after")
    if os.path.exists(sleep_file):
        with open(sleep_file) as f:
            sleep_operation, seconds = f.read().split()
        if sleep_operation == operation:
            with open(os.path.join(record, "sleeping"), "w") as f:
                f.write(operation + "\n")
            time.sleep(float(seconds))
    sys.stdout.buffer.write(done.stdout)
    sys.exit(done.returncode)


if __name__ == "__main__":
    main()
