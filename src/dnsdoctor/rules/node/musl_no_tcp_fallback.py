"""DD351 musl-no-tcp-fallback.

What it detects:
musl older than 1.2.4 as the resolver of a root, container or image. Those versions never retry
a truncated (TC) UDP answer over TCP.

Why it matters:
An answer larger than 512 bytes (many A records behind one name, long CNAME chains, big TXT
records, DNSSEC) comes back truncated over UDP. glibc and Go then ask again over TCP and get the
full answer; musl < 1.2.4 uses the truncated part (fewer addresses) or fails the lookup. In
Kubernetes, a headless service with many pods is the usual trigger.

Evidence:
`NodeAudit.libcs`: musl's version per scope, from the apk or dpkg database or the loader's
version string.

Example:
musl 1.2.3-r4 in root /srv/alpine does not retry truncated answers over TCP.

Fix:
Use musl 1.2.4 or later (Alpine 3.18+) or a glibc-based image; or keep answers small (fewer
records per name).

False positives:
Programs that do not use libc's resolver (Go with CGO_ENABLED=0, Java, Node.js with c-ares) are
not affected even in a musl image. Names whose answers stay under 512 bytes never notice.

References:
musl 1.2.4 release notes (TCP fallback in the stub resolver); RFC 7766; RFC 1035 section 4.2.1.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.libc import RISK_NO_TCP
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._libc_evidence import instance_evidence


class MuslNoTcpFallback(CheckRule[NodeAudit]):
    code = "DD351"
    name = "musl-no-tcp-fallback"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("libc",)

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        if evidence.libcs is None:
            return [self.skipped("which libc resolves was not collected")]
        return [
            self.finding(
                f"musl {lib.version} in {scope.subject} does not retry truncated answers over "
                "TCP: answers over 512 bytes fail or come back partial",
                evidence=instance_evidence(scope, lib),
                impact=1,
                fix="Move to musl >= 1.2.4 (Alpine 3.18+) or a glibc-based image.",
            )
            for scope, lib in evidence.libcs.with_risk(RISK_NO_TCP)
        ]
