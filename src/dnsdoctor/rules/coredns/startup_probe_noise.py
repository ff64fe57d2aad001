"""DD436 startup-probe-noise.

What it detects:
Error lines for CoreDNS's own queries, not clients': the loop plugin's start-up probe
(`HINFO <random>.<random>.<zone>`, sent for up to 30 s after start) and forward's health check
(`. NS`). They are counted apart from real failures and named here, per upstream.

Why it matters:
These lines are the most common CoreDNS "error" people chase: an upstream that ignores HINFO or
is slow at start-up logs them while client queries work fine. They still say something: an
upstream that times out on every probe may be unreachable from the CoreDNS pod.

Evidence:
CoreDNS logs.

Example:
6 start-up loop-probe errors (HINFO) to 172.23.83.11:53 (read-timeout); not client queries.

Fix:
Nothing if client queries succeed (no DD430/DD431). Otherwise test the upstream from the CoreDNS
node: `dig @ADDR -t HINFO <the probe name>`.

False positives:
A client that really asks HINFO for a two-label random-number name is counted as a probe.

References:
coredns plugin/loop README; coredns/coredns#4211, #5352 (HINFO i/o timeout at start-up), #5028.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.logs import HEALTH_CHECK
from dnsdoctor.model import CountEvidence, Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule


class StartupProbeNoise(CheckRule[CorednsBundle]):
    code = "DD436"
    name = "startup-probe-noise"
    severity = Severity.INFO
    source = "coredns"
    evidence_kinds = ("logs",)

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        if bundle.logs is None:
            yield self.skipped("no --logs")
            return
        probes = bundle.logs.probes()
        if not probes:
            return
        by_target: Counter[tuple[str, str]] = Counter(
            (e.cause.upstream or "(no upstream named)", e.probe or "") for e in probes
        )
        parts = [
            f"{n} {'health-check (. NS)' if kind == HEALTH_CHECK else 'start-up loop-probe (HINFO)'} "
            f"error(s) to {target}"
            for (target, kind), n in by_target.most_common(4)
        ]
        real = len(bundle.logs.real_errors())
        yield self.finding(
            "; ".join(parts) + f". These are CoreDNS's own probes, not client queries "
            f"({real} client-query error line(s) counted separately)",
            evidence=(
                *(e.origin.evidence(f"{e.probe}: {e.cause.cls}") for e in probes[:3]),
                CountEvidence(
                    "probe errors", tuple((f"{t} {k}", n) for (t, k), n in by_target.items())
                ),
            ),
            impact=len(probes),
            fix="Nothing if client queries succeed; otherwise query that upstream from the CoreDNS "
            "node (`dig @ADDR -t HINFO <probe name>`).",
        )
