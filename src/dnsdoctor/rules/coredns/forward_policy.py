"""DD406 forward-policy.

What it detects:
A `forward` with `policy sequential` or `policy round_robin` (the default is `random`).

Why it matters:
`sequential` sends every query to the first upstream while it is marked healthy: the others see
no traffic, and an upstream that answers health checks (`. IN NS`, any reply counts) but is slow
or wrong for real names slows every lookup without ever being marked down. It suits a
primary/backup pair, not a pool. `round_robin` spreads queries evenly like `random`, so a dead
upstream still takes 1/N of queries until it is marked down; it changes nothing about failures but
makes per-upstream load exactly even.

Evidence:
The forward line and its `policy` line.

Example:
Corefile:6 `forward . 10.0.0.2 10.0.0.3 {` with Corefile:7 `policy sequential`: 10.0.0.3 only
gets queries when 10.0.0.2 is marked down.

Fix:
For a pool of equivalent resolvers, use the default (`random`). Keep `sequential` only for a
deliberate primary/backup setup, and watch the primary's latency.

False positives:
A deliberate primary/backup design; the finding is informational.

References:
plugin/forward/README.md (policy).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import CorefileRule, directive_line

NOTES = {
    "sequential": (
        "every query goes to the first upstream while it is marked healthy; a slow or wrong "
        "first upstream that still answers health checks slows every lookup"
    ),
    "round_robin": (
        "queries rotate evenly over the upstreams; a dead one still takes 1/N until marked down"
    ),
}


class ForwardPolicy(CorefileRule):
    code = "DD406"
    name = "forward-policy"
    severity = Severity.INFO

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        for spec in corefile.forward_upstreams():
            option = spec.options.get("policy")
            if spec.plugin != "forward" or option is None or not option.args:
                continue
            policy = option.args[0].text
            if policy not in NOTES:
                continue
            first = spec.to[0].text if spec.to else "?"
            summary = (
                f"{option.location}: forward {spec.from_zone} uses policy {policy}: {NOTES[policy]}"
            )
            if policy == "sequential":
                summary += f" (here {first})"
            yield self.finding(
                summary,
                evidence=(
                    directive_line(spec.directive, "forward"),
                    directive_line(option, "policy"),
                ),
                fix="Use the default policy (random) for a pool of equivalent resolvers.",
                impact=1.0,
            )
