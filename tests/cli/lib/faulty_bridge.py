#!/usr/bin/env python3
"""A bridge that breaks the protocol on purpose, for the tests of `ssoescrow bridge check`.

    faulty_bridge.py MODE BRIDGE ARGS... OPERATION

Reads the request from stdin, then, by MODE:
- garbage:        prints a line that is not JSON and exits 0 (the real bridge is not run);
- leak-stderr:    runs the real bridge, forwards its answer, and writes the request's password
                  to stderr;
- leak-stderr-hex: the same, the password in upper-case hex;
- leak-stdout:    runs the real bridge and adds the password to its answer as a member "echo";
- accept-not-json: answers a request that is not JSON with a success status answer (exit 0);
                  forwards every other request.
"""
import json
import subprocess
import sys


def main():
    mode, bridge = sys.argv[1], sys.argv[2:]
    request = sys.stdin.buffer.read()
    if mode == "garbage":
        print("this is not JSON")
        return 0
    try:
        parsed = json.loads(request)
    except ValueError:
        parsed = None
    if mode == "accept-not-json" and parsed is None:
        print(json.dumps({"protocol": "ssoescrow-bridge/1", "ok": True, "computer": "X",
                          "secret_server": "X", "is_secret_server": True, "current_msid": None,
                          "previous_msid": None, "service_state": "running", "cluster": None}))
        return 0
    done = subprocess.run(bridge, input=request, stdout=subprocess.PIPE)
    password = parsed.get("password") if isinstance(parsed, dict) else None
    answer = done.stdout
    if password and mode == "leak-stderr":
        sys.stderr.write("debug: password is " + password + "\n")
    if password and mode == "leak-stderr-hex":
        sys.stderr.write("debug: " + password.encode().hex().upper() + "\n")
    if password and mode == "leak-stdout":
        body = json.loads(answer)
        body["echo"] = password
        answer = (json.dumps(body) + "\n").encode()
    sys.stdout.buffer.write(answer)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
