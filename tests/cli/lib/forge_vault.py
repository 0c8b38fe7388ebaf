#!/usr/bin/env python3
"""What an attacker who can write a vault directory (but holds no key) can do to it, for the
end-to-end tests of the writers' checks (tests/cli/test_policy_pin.sh):

  forge_vault.py swap-policy VAULT FROM_VAULT
      replaces the escrow policy block of VAULT/config with FROM_VAULT's and recomputes the
      config checksum (it is unkeyed: SHA-256 of every byte before the checksum line);
  forge_vault.py record-policy-change VAULT
      appends a policy-change audit record that announces VAULT's current config, with the hash
      chain recomputed (it is unkeyed too), so the config looks audit-logged.
"""
import datetime
import hashlib
import os
import re
import stat
import sys


def writable(path):
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)


def split_config(text):
    start = text.index("ssoescrow-policy/")
    end = text.rindex("checksum: ")
    return text[:start], text[start:end]


def swap_policy(vault, donor):
    with open(os.path.join(vault, "config")) as f:
        head, _ = split_config(f.read())
    with open(os.path.join(donor, "config")) as f:
        _, block = split_config(f.read())
    body = head + block
    text = body + "checksum: " + hashlib.sha256(body.encode()).hexdigest() + "\n"
    path = os.path.join(vault, "config")
    writable(path)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, stat.S_IRUSR)


def records(vault):
    audit = os.path.join(vault, "audit")
    names = sorted(n for n in os.listdir(audit) if n.endswith(".rec"))
    return [(n, open(os.path.join(audit, n)).read()) for n in names]


def record_policy_change(vault):
    config = open(os.path.join(vault, "config")).read()
    _, block = split_config(config)
    recs = records(vault)
    old_config = None
    for _, text in recs:
        if "\ntype: vault-init\n" in text:
            old_config = re.search(r"^config: ([0-9a-f]{64})$", text, re.M).group(1)
        elif "\ntype: policy-change\n" in text:
            old_config = re.search(r"^new-config: ([0-9a-f]{64})$", text, re.M).group(1)
    last_name, last_text = recs[-1]
    seq = int(last_name[:10]) + 1
    vault_id = re.search(r"^vault: ([0-9a-f]{32})$", last_text, re.M).group(1)
    threshold = re.search(r"^threshold: (\d+)$", block, re.M).group(1)
    custodians = [line.split()[4] for line in block.splitlines() if line.startswith("recipient: ")]
    signers = [line.split()[4] for line in block.splitlines() if line.startswith("signer: ")]
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        "ssoescrow-audit/1",
        "vault: " + vault_id,
        "seq: %d" % seq,
        "prev: " + hashlib.sha256(last_text.encode()).hexdigest(),
        "time: " + now,
        "actor: mallory@evil",
        "type: policy-change",
        "old-config: " + old_config,
        "new-config: " + hashlib.sha256(config.encode()).hexdigest(),
        "policy: sha256:" + hashlib.sha256(block.encode()).hexdigest(),
        "threshold: " + threshold,
    ] + ["custodian: " + c for c in sorted(custodians)]
    lines += ["policy-signer: " + s for s in sorted(signers)] + ["end: %d" % seq]
    text = "\n".join(lines) + "\n"
    name = "%010d-%s.rec" % (seq, hashlib.sha256(text.encode()).hexdigest())
    path = os.path.join(vault, "audit", name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, stat.S_IRUSR)
    # The audit head follows, as a writer keeps it: the forgery stays self-consistent.
    head = os.path.join(vault, "audit-head")
    if os.path.exists(head):
        with open(head, "w") as f:
            f.write("ssoescrow-audit-head/1\nvault: %s\nseq: %d\nrecord: %s\n"
                    % (vault_id, seq, hashlib.sha256(text.encode()).hexdigest()))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "swap-policy":
        swap_policy(sys.argv[2], sys.argv[3])
    elif command == "record-policy-change":
        record_policy_change(sys.argv[2])
    else:
        sys.exit("unknown command " + command)
