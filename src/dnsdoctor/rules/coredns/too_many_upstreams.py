"""DD408 too-many-upstreams.

What it detects:
A `forward` with more than 15 upstreams written in the Corefile.

Why it matters:
The forward plugin accepts at most 15 TOs and refuses to start otherwise ("more than 15 TOs
configured"), so CoreDNS fails to start or to reload: the old configuration keeps running after
a reload, or pods crash-loop after a restart.

Evidence:
The forward line, with the count.

Example:
Corefile:6 `forward . 10.0.0.1 ... 10.0.0.16`: 16 upstreams.

Fix:
Keep at most 15 upstreams (a handful is plenty: with random policy each gets 1/N of queries).

False positives:
None known.

References:
plugin/forward/README.md ("forward FROM TO..."), plugin/forward/setup.go.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile
from dnsdoctor.evidence.coredns.corefile_forward import MAX_UPSTREAMS
from dnsdoctor.model import CountEvidence, Finding, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import CorefileRule, directive_line


class TooManyUpstreams(CorefileRule):
    code = "DD408"
    name = "too-many-upstreams"
    severity = Severity.ERROR

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        for spec in corefile.forward_upstreams():
            if spec.plugin != "forward" or len(spec.to) <= MAX_UPSTREAMS:
                continue
            summary = (
                f"{spec.location}: forward {spec.from_zone} lists {len(spec.to)} upstreams; "
                f"CoreDNS accepts at most {MAX_UPSTREAMS} and refuses this configuration"
            )
            counts = CountEvidence(
                f"forward {spec.from_zone} at {spec.location}",
                (("upstreams", len(spec.to)), ("limit", MAX_UPSTREAMS)),
            )
            yield self.finding(
                summary,
                evidence=(directive_line(spec.directive, "forward"), counts),
                fix=f"Keep at most {MAX_UPSTREAMS} upstreams in the forward line.",
                impact=float(len(spec.to)),
            )
