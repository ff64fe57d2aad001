"""DD404 forward-health-check-disabled.

What it detects:
A `forward` with `max_fails 0`.

Why it matters:
`max_fails 0` switches off marking upstreams down. The forward plugin then never stops sending
to a dead upstream: with the default `policy random` it still picks it for about 1/N of queries,
and each such query waits `read_timeout` (2 s) before forward tries the next upstream, so
clients see ~2 s delays (or SERVFAIL at the 5 s deadline) for as long as the upstream is dead.
CoreDNS logs no state change either way.

Evidence:
The forward line and its `max_fails 0` line.

Example:
Corefile:6 `forward . 10.0.0.2 10.0.0.3 {` with Corefile:7 `max_fails 0`.

Fix:
Remove `max_fails 0` (the default, 2 failed health checks, marks a dead upstream down within
about a second), or remove the dead upstream.

False positives:
With a single upstream there is nothing to fail over to, and `max_fails 0` only avoids the
"all upstreams down" spray; the finding is still worth a look.

References:
plugin/forward/README.md (max_fails, health_check); coredns/coredns#5028.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import CorefileRule, directive_line


class ForwardHealthCheckDisabled(CorefileRule):
    code = "DD404"
    name = "forward-health-check-disabled"
    severity = Severity.WARNING

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        for spec in corefile.forward_upstreams():
            option = spec.options.get("max_fails")
            if spec.plugin != "forward" or option is None or option.arg_texts != ("0",):
                continue
            targets = ", ".join(u.text for u in spec.to)
            summary = (
                f"{option.location}: `max_fails 0` disables marking upstreams down for forward "
                f"{spec.from_zone} ({targets}): a dead upstream keeps its share of queries, each "
                "waiting the 2 s read timeout before the next upstream is tried"
            )
            yield self.finding(
                summary,
                evidence=(
                    directive_line(spec.directive, "forward"),
                    directive_line(option, "health checks disabled"),
                ),
                fix="Remove `max_fails 0` so dead upstreams are marked down.",
                impact=float(len(spec.to)),
            )
