"""DD433 forward-loop-detected.

What it detects:
The loop plugin's fatal message: CoreDNS saw its own start-up HINFO probe come back, so queries
it forwards return to itself (`plugin/loop: Loop (127.0.0.1:55953 -> :1053) detected`, or the
older `Seen "HINFO IN ..." more than twice, loop detected`).

Why it matters:
The loop plugin exits CoreDNS on purpose (log.Fatalf): the pod goes into CrashLoopBackOff and
cluster DNS is down or reduced. Without the plugin CoreDNS would loop until OOM-killed. The usual
cause is a node resolv.conf with a loopback nameserver (systemd-resolved's 127.0.0.53) that the
CoreDNS pod inherits with dnsPolicy: Default, then forwards to itself.

Evidence:
CoreDNS logs.

Example:
pod coredns-5d78c9869d-abcde:3: plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".".

Fix:
Point kubelet's resolvConf at the real upstream list (`/run/systemd/resolve/resolv.conf` on
systemd-resolved hosts) or forward to explicit upstream addresses, then restart the CoreDNS pods.

False positives:
None known: the plugin only fires on its own probe seen more than twice.

References:
coredns plugin/loop README (troubleshooting loops in Kubernetes); coredns/coredns#2087.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.model import CountEvidence, Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule


class ForwardLoopDetected(CheckRule[CorednsBundle]):
    code = "DD433"
    name = "forward-loop-detected"
    severity = Severity.ERROR
    source = "coredns"
    evidence_kinds = ("logs",)

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        if bundle.logs is None:
            yield self.skipped("no --logs")
            return
        loops = bundle.logs.loops
        if not loops:
            return
        pods = sorted({loop.origin.pod for loop in loops if loop.origin.pod})
        where = f" on {len(pods)} pod(s)" if pods else ""
        yield self.finding(
            f"CoreDNS detected a forwarding loop and exited ({loops[0].detail}){where}; "
            f"{len(loops)} loop message(s)",
            evidence=(
                *(loop.origin.evidence("loop detected") for loop in loops[:3]),
                CountEvidence("loop plugin", (("fatal loop messages", len(loops)),)),
            ),
            impact=len(loops),
            fix="Give kubelet a resolvConf without loopback nameservers (e.g. "
            "/run/systemd/resolve/resolv.conf) or forward to explicit upstreams; restart CoreDNS.",
        )
