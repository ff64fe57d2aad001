"""DD374 probe-error-rcode.

What it detects:
`--probe` answers with an error rcode: SERVFAIL, REFUSED, FORMERR or NOTIMP. Warning; error when
every answer from that server over that transport is an error. (NXDOMAIN and NOERROR are
answers, not errors: a probed name that does not exist is the user's choice.)

Why it matters:
glibc and musl treat SERVFAIL and REFUSED as "try the next server" (glibc) or as a failure of
the lookup (musl returns the first answer it gets, error or not): applications see "Temporary
failure in name resolution". REFUSED from a node's nameserver usually means it does not serve
this client (ACL) or does not recurse.

Evidence:
The probe's rcode counts per server and transport.

Example:
127.0.0.1:5300 over udp: 6 of 6 answers are errors (REFUSED 6).

Fix:
For REFUSED: allow the node's addresses to query the server (`allow-query`, `access-control`)
or point resolv.conf at a recursive resolver. For SERVFAIL: the server's upstream or DNSSEC
validation fails: ask the server directly for the name and read its logs.

False positives:
A probed name inside a broken zone fails for that zone only: probe a name you know should work.

References:
RFC 1035 section 4.1.1 (RCODE); RFC 8914 (extended DNS errors explain SERVFAIL).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._probe_common import probe_stats, stats_evidence, why_not_probed

ERROR_RCODES = ("SERVFAIL", "REFUSED", "FORMERR", "NOTIMP")


class ProbeErrorRcode(CheckRule[NodeAudit]):
    code = "DD374"
    name = "probe-error-rcode"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("probe",)

    def check(self, evidence: NodeAudit) -> Iterable[Finding | Skipped]:
        reason = why_not_probed(evidence)
        if reason:
            return [self.skipped(reason)]
        findings = []
        for stats in probe_stats(evidence):
            errors = {r: n for r, n in stats.rcodes.items() if r in ERROR_RCODES}
            if not errors:
                continue
            total = sum(errors.values())
            listed = ", ".join(f"{r} {n}" for r, n in sorted(errors.items()))
            summary = (
                f"{stats.server} over {stats.transport}: {total} of {stats.answered} answers "
                f"are errors ({listed})"
            )
            findings.append(
                self.finding(
                    summary,
                    severity=Severity.ERROR if total == stats.answered else Severity.WARNING,
                    evidence=(stats_evidence(stats),),
                    impact=float(total),
                    fix="REFUSED: allow this node to query the server; SERVFAIL: read the "
                    "server's logs; see `dnsdoctor explain DD374`.",
                )
            )
        return findings
