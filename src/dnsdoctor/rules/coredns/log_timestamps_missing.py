"""DD437 log-timestamps-missing.

What it detects:
CoreDNS logs given without a time on each line (current CoreDNS writes none; `kubectl logs`
adds one only with `--timestamps`) while they contain client-query errors (start-up probes
alone do not count). Rates over time and time spans
are then not reported, and this finding says how to collect logs that have them.

Why it matters:
"14 timeouts" means nothing without "in 3 minutes" or "over a week". With timestamps and
`--prefix`, dnsdoctor gives each upstream's failures a span and per-pod counts, and can count
failures between two metric scrapes for a rate.

Evidence:
CoreDNS logs.

Example:
14 error lines but no timestamps; rerun
`kubectl logs -n kube-system -l k8s-app=kube-dns --timestamps --prefix`.

Fix:
Collect the logs again with
`kubectl logs -n kube-system -l k8s-app=kube-dns --timestamps --prefix > coredns.log`
(add `--since=1h` or `--tail=-1` as needed) and pass that file.

False positives:
None: it only says what the input lacks.

References:
kubectl logs --help (--timestamps, --prefix).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.logs import KUBECTL_RERUN
from dnsdoctor.model import CountEvidence, Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule


class LogTimestampsMissing(CheckRule[CorednsBundle]):
    code = "DD437"
    name = "log-timestamps-missing"
    severity = Severity.INFO
    source = "coredns"
    evidence_kinds = ("logs",)

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        logs = bundle.logs
        if logs is None:
            yield self.skipped("no --logs")
            return
        real = logs.real_errors()
        if logs.has_timestamps or not (real or logs.consolidated):
            return  # start-up probe noise alone needs no time span
        undated = [e for e in real if e.origin.ts is None]
        yield self.finding(
            f"{len(undated)} of {len(real)} client-query error line(s) carry no timestamp, so no time "
            f"span or rate over time is reported; rerun `{KUBECTL_RERUN}`",
            evidence=(
                *(e.origin.evidence("no timestamp") for e in undated[:2]),
                CountEvidence(
                    "log lines", (("lines", logs.lines), ("with a time", logs.timestamped))
                ),
            ),
            impact=len(undated),
            fix=f"Collect the logs with `{KUBECTL_RERUN} > coredns.log` and pass that file.",
        )
