"""DD362 udp-receive-buffer-errors.

What it detects:
UDP datagrams the kernel dropped on receipt: `RcvbufErrors` (the socket's receive buffer was
full) and `InErrors` (all receive errors, including checksum and memory errors) in
`/proc/net/snmp` (IPv4) and `/proc/net/snmp6` (IPv6). Warning when any were counted; error when
they reach 1% of the UDP datagrams received.

Why it matters:
A DNS answer dropped because the resolver's (or CoreDNS's, or NodeLocal DNSCache's) socket
buffer was full looks exactly like a lost packet: the client waits for its timeout and retries.
Bursts of answers — many pods, many A/AAAA pairs, the search list — overflow a small
`net.core.rmem_default` first.

Evidence:
`Udp:` `InDatagrams`, `InErrors`, `RcvbufErrors`, `InCsumErrors` from /proc/net/snmp and
`Udp6*` from /proc/net/snmp6, counted since boot in this network namespace.

Example:
127 UDP datagrams dropped at receive since boot: RcvbufErrors 120 (IPv4), 7 (IPv6); InErrors 132
of 102000 received (0.13%).

Fix:
Raise the receive buffer of the process that drops (`net.core.rmem_default`/`rmem_max`, or the
server's own socket option), and look at what bursts; CPU starvation of the resolver process
also fills its buffer.

False positives:
The counters cover every UDP socket of the namespace (syslog, metrics, VXLAN), not only DNS.
Counters since boot may describe an old burst.

References:
Linux net/ipv4/udp.c (`__udp_queue_rcv_skb`, UDP_MIB_RCVBUFERRORS); udp(7).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.model import CountEvidence, Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule

ERROR_SHARE = 0.01


class UdpReceiveBufferErrors(CheckRule[NodeAudit]):
    code = "DD362"
    name = "udp-receive-buffer-errors"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("kernel",)

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        kernel = evidence.kernel
        if kernel is None:
            return [self.skipped("kernel counters were not read (not the host: give --proc)")]
        if not kernel.udp:
            return [self.skipped(kernel.skipped.get("udp", "no UDP counters"))]
        v4, v6 = kernel.udp, kernel.udp6
        rcvbuf = (v4.get("RcvbufErrors", 0), v6.get("RcvbufErrors", 0))
        in_errors = v4.get("InErrors", 0) + v6.get("InErrors", 0)
        received = v4.get("InDatagrams", 0) + v6.get("InDatagrams", 0)
        if not in_errors and not any(rcvbuf):
            return []
        share = in_errors / (received + in_errors) if received + in_errors else 1.0
        summary = (
            f"{max(in_errors, sum(rcvbuf))} UDP datagram(s) dropped at receive since boot: "
            f"RcvbufErrors {rcvbuf[0]} (IPv4), {rcvbuf[1]} (IPv6); InErrors {in_errors} of "
            f"{received} received ({share:.2%})"
        )
        evidence_items = [CountEvidence(kernel.path("net/snmp"), tuple(sorted(v4.items())))]
        if v6:
            evidence_items.append(
                CountEvidence(kernel.path("net/snmp6"), tuple(sorted(v6.items())))
            )
        return [
            self.finding(
                summary,
                severity=Severity.ERROR if share >= ERROR_SHARE else Severity.WARNING,
                evidence=tuple(evidence_items),
                impact=float(in_errors),
                fix="Raise the dropping socket's receive buffer (net.core.rmem_default); "
                "see `dnsdoctor explain DD362`.",
            )
        ]
