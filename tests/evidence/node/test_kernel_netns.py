"""Real conntrack entries in a private network namespace, read by the collector from /proc.

The test makes a namespace (`unshare -n`), adds an iptables rule that needs conntrack there,
sends UDP datagrams on its loopback and reads that namespace's /proc counters: nothing leaves
the namespace and the host's rules are not touched."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, socket, subprocess
from dnsdoctor.evidence.node.kernel import KernelSources, collect_kernel
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
subprocess.run(["iptables", "-w", "-A", "INPUT", "-m", "conntrack", "--ctstate", "NEW",
                "-j", "ACCEPT"], check=True)
for port in range(40000, 40007):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"x", ("127.0.0.1", port))
ev = collect_kernel(KernelSources(proc="/proc"))
print(json.dumps({"entries": ev.conntrack.total("entries"), "count": ev.conntrack_count,
                  "cpus": len(ev.conntrack.per_cpu), "defects": ev.conntrack.defects}))
"""


def _need(binary: str) -> None:
    if shutil.which(binary) is None or os.geteuid() != 0:
        message = f"needs root and {binary}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.root
def test_conntrack_entries_made_in_a_private_namespace_are_counted():
    for binary in ("unshare", "iptables", "ip"):
        _need(binary)
    done = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["defects"] == []
    assert figures["count"] == figures["entries"] == 7  # one UDP flow per destination port
    assert figures["cpus"] >= 1  # one row per possible CPU
