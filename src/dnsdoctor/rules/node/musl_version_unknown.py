"""DD352 musl-version-unknown.

What it detects:
A statically linked binary that carries musl's resolver (musl's resolv.conf parser strings, no
glibc markers, no Go build info). A static binary does not record which musl it was built with.

Why it matters:
If that musl is older than 1.2.4 the binary has musl's same-ID A/AAAA problem (DD350) and no TCP
fallback (DD351), whatever the image's own libc is: a distroless or scratch image with a static
musl binary has no package database and no loader to read a version from.

Evidence:
`NodeAudit.libcs`: static ELF binaries classified from their bytes (no `PT_INTERP`, resolver
strings). Nothing is executed.

Example:
/app/server in root /srv/distroless is a static musl binary; musl's version is not recorded.

Fix:
Find out which musl built it (the build image's `apk info musl`, or the toolchain), and rebuild
with musl >= 1.2.4, or with glibc, or (for Go) with CGO_ENABLED=0.

False positives:
A binary that links musl's resolver but never resolves names. Other small libcs (uClibc,
dietlibc) with similar strings would be classified as musl.

References:
musl src/network/resolvconf.c; ELF(5) PT_INTERP; DD350 and DD351.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.libc import RISK_VERSION_UNKNOWN
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._libc_evidence import instance_evidence


class MuslVersionUnknown(CheckRule[NodeAudit]):
    code = "DD352"
    name = "musl-version-unknown"
    severity = Severity.INFO
    source = "node"
    evidence_kinds = ("libc",)

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        if evidence.libcs is None:
            return [self.skipped("which libc resolves was not collected")]
        return [
            self.finding(
                f"{lib.binary} in {scope.subject} is a static musl binary; musl's version is not "
                "recorded, so the same-ID and TCP-fallback risks of musl < 1.2.4 cannot be ruled out",
                evidence=instance_evidence(scope, lib),
                impact=1,
                fix="Rebuild with musl >= 1.2.4, glibc, or (Go) CGO_ENABLED=0.",
            )
            for scope, lib in evidence.libcs.with_risk(RISK_VERSION_UNKNOWN)
        ]
