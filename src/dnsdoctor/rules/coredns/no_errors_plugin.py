"""DD402 no-errors-plugin.

What it detects:
A server block without the `errors` plugin.

Why it matters:
Without `errors`, CoreDNS logs nothing when a query fails: an upstream timing out, refusing, or
answering garbage leaves no `[ERROR] plugin/errors: 2 NAME TYPE: read udp ...: i/o timeout`
line, so the logs cannot say which upstream fails or since when. Clients see SERVFAIL or
timeouts with no trace on the server side.

Evidence:
The server block's first line.

Example:
Corefile:1 `example.org:5300 {` has no `errors` plugin: failures in this block are not logged.

Fix:
Add `errors` to the block (one line; it costs nothing when queries succeed). To keep noisy
failures in check, `errors { consolidate 5m ".* i/o timeout$" }` summarises them.

False positives:
A block that never fails by design (a static `whoami` or `hosts` block) loses little.

References:
plugin/errors/README.md; Kubernetes dns-debugging-resolution.md ("Are DNS queries being
received/processed?").
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import CorefileRule, server_line


class NoErrorsPlugin(CorefileRule):
    code = "DD402"
    name = "no-errors-plugin"
    severity = Severity.WARNING

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        for server in corefile.servers:
            if server.plugin("errors") is None:
                summary = (
                    f"{server.location}: server block {server.label} has no `errors` plugin: "
                    "queries that fail there leave no log line"
                )
                yield self.finding(
                    summary,
                    evidence=(server_line(server),),
                    fix=f"Add `errors` to the {server.label} block.",
                    impact=1.0,
                )
