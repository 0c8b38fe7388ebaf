#!/usr/bin/env python3
"""A bridge wrapper for the backup benchmark: runs the bridge command given after LOG (ssoescrow
appends the operation name), passing stdin and stdout through, and appends to LOG the CPU seconds
(user + sys) of the bridge and of this wrapper itself, so that bench/measure.py can subtract them
from the backup's CPU time and report the backup's own.

usage: timed_bridge.py LOG BRIDGE-COMMAND... OPERATION
"""
import os
import resource
import subprocess
import sys


def main():
    log, command = sys.argv[1], sys.argv[2:]
    status = subprocess.call(command)
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    spent = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    with open(log, "a") as out:
        out.write(f"{spent:.6f}\n")
    sys.exit(status)


if __name__ == "__main__":
    main()
