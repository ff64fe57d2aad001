"""DD405 forward-health-check-unusual.

What it detects:
A `forward` whose health-check settings make a dead upstream slow to be marked down
(`max_fails` × `health_check` interval of 10 s or more) or quick to be marked down on a single
lost packet (`max_fails 1`).

Why it matters:
forward checks an upstream only after a query to it failed: it then sends `. IN NS` every
`health_check` interval (default 0.5 s) and marks the upstream down after `max_fails`
(default 2) failed checks in a row. Any reply counts as healthy, even REFUSED or SERVFAIL. With
a large product, a dead upstream keeps receiving its share of queries (each costing the 2 s read
timeout) for that long after every recovery attempt. With `max_fails 1`, one lost UDP check marks
a working upstream down, shifting its load to the others.

Evidence:
The forward line and the option lines, with the computed time to mark an upstream down.

Example:
Corefile:6 `forward . 10.0.0.2 10.0.0.3 {`: `max_fails 10` × `health_check 5s` = 50 s before a
dead upstream is marked down.

Fix:
Use the defaults (`max_fails 2`, `health_check 0.5s`) unless you have measured a reason.

False positives:
Upstreams across a slow WAN may need a longer interval; the finding then documents the trade.

References:
plugin/forward/README.md; plugin/pkg/proxy/health.go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile, ForwardSpec
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import CorefileRule, directive_line

SLOW_MARK_DOWN_S = 10.0
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def go_duration(text: str) -> float | None:
    """Seconds in a Go duration ("500ms", "1m30s"), or None if it is not one."""
    if text == "0":
        return 0.0
    parts = _PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNITS[u] for n, u in parts)


class ForwardHealthCheckUnusual(CorefileRule):
    code = "DD405"
    name = "forward-health-check-unusual"
    severity = Severity.WARNING

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        for spec in corefile.forward_upstreams():
            if spec.plugin == "forward" and (
                "max_fails" in spec.options or "health_check" in spec.options
            ):
                finding = self._judge(spec)
                if finding is not None:
                    yield finding

    def _judge(self, spec: ForwardSpec) -> Finding | None:
        max_fails_text = spec.setting("max_fails")
        interval_text = spec.setting("health_check")
        interval = go_duration(interval_text)
        if not max_fails_text.isdigit() or interval is None or max_fails_text == "0":
            return None  # DD404 covers 0; CoreDNS itself rejects what does not parse
        max_fails = int(max_fails_text)
        evidence = [directive_line(spec.directive, "forward")]
        evidence += [
            directive_line(d, "health check setting")
            for name, d in spec.options.items()
            if name in ("max_fails", "health_check")
        ]
        mark_down = max_fails * interval
        if mark_down >= SLOW_MARK_DOWN_S:
            summary = (
                f"{spec.location}: forward {spec.from_zone} marks a dead upstream down only after "
                f"max_fails {max_fails} × health_check {interval_text} = {mark_down:g} s of failed "
                "checks; until then it keeps its share of queries"
            )
            fix = "Use the defaults (max_fails 2, health_check 0.5s)."
            return self.finding(summary, evidence=tuple(evidence), fix=fix, impact=mark_down)
        if max_fails == 1 and len(spec.to) > 1:
            summary = (
                f"{spec.location}: forward {spec.from_zone} has max_fails 1: one lost health "
                "check marks a working upstream down and moves its load to the others"
            )
            fix = "Use max_fails 2 (the default) or more."
            return self.finding(
                summary, evidence=tuple(evidence), fix=fix, severity=Severity.INFO, impact=1.0
            )
        return None
