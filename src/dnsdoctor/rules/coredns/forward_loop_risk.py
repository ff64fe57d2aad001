"""DD401 forward-loop-risk.

What it detects:
A `forward`/`proxy` that can send queries back to CoreDNS itself: a loopback upstream written in
the Corefile (`forward . 127.0.0.1`), or a resolv.conf upstream whose file, as the node evidence
shows, holds a loopback nameserver such as systemd-resolved's stub 127.0.0.53. Without node
evidence, each resolv.conf forward gets a warning-level hint: whether it loops depends on the
node's file, which the Corefile alone cannot show.

Why it matters:
In the CoreDNS pod's network namespace, 127.0.0.0/8 is the pod itself, so a loopback upstream is
CoreDNS (or nothing). Queries bounce between CoreDNS and itself until they time out. With the
`loop` plugin, CoreDNS sees its own HINFO probe come back at start-up, logs
`plugin/loop: Loop (127.0.0.1:... -> :53) detected for zone "."` and exits: CrashLoopBackOff.
Without it, every forwarded query burns CPU and times out (SERVFAIL after ~5 s). The usual cause
is a node using systemd-resolved whose /etc/resolv.conf (`nameserver 127.0.0.53`) kubelet hands
to the dnsPolicy Default CoreDNS pods.

Evidence:
The Corefile line, and with node evidence the loopback nameserver line with its file:line.

Example:
Corefile:11 `forward . /etc/resolv.conf`: the pod's resolv.conf comes from /etc/resolv.conf,
whose line 3 is `nameserver 127.0.0.53`: CoreDNS would forward to itself.

Fix:
Point kubelet's `resolvConf` at the file with the real upstreams
(`/run/systemd/resolve/resolv.conf` on systemd-resolved nodes) and restart the CoreDNS pods, or
name the upstreams in the Corefile (`forward . 10.0.0.2`). Keep the `loop` plugin so a loop is
loud rather than slow.

False positives:
A sidecar in the CoreDNS pod listening on a loopback address makes a loopback upstream legitimate.
NodeLocal DNSCache runs with hostNetwork, where 127.0.0.53 is the node's systemd-resolved, not
node-cache itself: reported as a warning there. Without node evidence the hint fires for every
resolv.conf forward; give `--node-root` (or a node report) to settle it.

References:
plugin/loop/README.md (troubleshooting loops in Kubernetes clusters); Kubernetes
dns-debugging-resolution.md, "Known issues"; kubeadm's systemd-resolved detection.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile, ForwardSpec
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import (
    CorefileRule,
    NodeNameserver,
    directive_line,
    is_loopback_address,
    node_nameservers,
)

FIX = (
    "Point kubelet's resolvConf at the file with the real upstreams "
    "(/run/systemd/resolve/resolv.conf with systemd-resolved) and restart CoreDNS, or list the "
    "upstreams in the forward line."
)


class ForwardLoopRisk(CorefileRule):
    code = "DD401"
    name = "forward-loop-risk"
    severity = Severity.ERROR
    source = "coredns"
    evidence_kinds = ("corefile", "node")

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        node = node_nameservers(evidence.node)
        for spec in corefile.forward_upstreams():
            yield from self._explicit(corefile, spec)
            if not any(u.reads_resolv_conf for u in spec.to):
                continue
            if node is None:
                yield self._hint(spec)
            else:
                loopbacks = [s for s in node[1] if s.is_loopback]
                if loopbacks:
                    yield self._via_node(corefile, spec, node[0], loopbacks)

    def _explicit(self, corefile: Corefile, spec: ForwardSpec) -> Iterable[Finding]:
        for upstream in spec.to:
            if upstream.kind == "address" and is_loopback_address(upstream.host):
                summary = (
                    f"{upstream.location}: {spec.plugin} {spec.from_zone} sends queries to "
                    f"{upstream.address}, a loopback address: inside the CoreDNS pod that is "
                    "CoreDNS itself unless a sidecar listens there"
                )
                yield self.finding(
                    summary,
                    evidence=(directive_line(spec.directive, "loopback upstream"),),
                    fix="Forward to a resolver outside the pod (the node's or the VPC's).",
                    severity=self._severity(corefile),
                    impact=1.0,
                )

    def _via_node(
        self, corefile: Corefile, spec: ForwardSpec, path: str, loopbacks: list[NodeNameserver]
    ) -> Finding:
        names = ", ".join(s.address for s in loopbacks)
        summary = (
            f"{spec.location}: {spec.plugin} {spec.from_zone} reads its upstreams from the pod's "
            f"resolv.conf, and the node file kubelet copies there ({path}) lists {names}: "
            "CoreDNS would forward to itself (a loop; with the `loop` plugin it exits at start)"
        )
        evidence = (
            directive_line(spec.directive, "forward upstream"),
            *(s.evidence("loopback nameserver") for s in loopbacks),
        )
        return self.finding(
            summary, evidence=evidence, fix=FIX, severity=self._severity(corefile), impact=1.0
        )

    def _hint(self, spec: ForwardSpec) -> Finding:
        has_loop = spec.server.plugin("loop") is not None
        symptom = (
            "the `loop` plugin would stop CoreDNS at start (CrashLoopBackOff)"
            if has_loop
            else "without the `loop` plugin queries would bounce until they time out"
        )
        summary = (
            f"{spec.location}: {spec.plugin} {spec.from_zone} takes its upstreams from the pod's "
            "resolv.conf; if the node's file kubelet copies there lists a loopback nameserver "
            f"(127.0.0.53 with systemd-resolved), CoreDNS forwards to itself and {symptom}. "
            "Give the node evidence (--node-root) to check"
        )
        return self.finding(
            summary,
            evidence=(directive_line(spec.directive, "forward upstream"),),
            fix=FIX,
            severity=Severity.WARNING,
            impact=0.5,
        )

    @staticmethod
    def _severity(corefile: Corefile) -> Severity:
        return Severity.WARNING if corefile.is_nodelocal else Severity.ERROR
