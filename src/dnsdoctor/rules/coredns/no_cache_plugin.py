"""DD403 no-cache-plugin.

What it detects:
A server block that forwards (`forward` or `proxy`) without the `cache` plugin.

Why it matters:
Without a cache every query for an outside name goes to an upstream, so any upstream hiccup
(a timeout, a dead resolver in the list) reaches clients at full rate, and the upstreams carry
the whole cluster's load (ndots:5 search-list expansion multiplies it). kubeadm, EKS, AKS, k3s
and NodeLocal DNSCache all ship `cache 30`.

Evidence:
The server block's first line and its forward line.

Example:
Corefile:1 `.:53 {` forwards `.` (Corefile:5 `forward . 10.0.0.2`) with no `cache`.

Fix:
Add `cache 30` (or a TTL cap you prefer) to the block.

False positives:
A block meant to pass every query through (testing, or a downstream cache such as NodeLocal
DNSCache in front): the finding is informational.

References:
plugin/cache/README.md; kubeadm's default Corefile.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile
from dnsdoctor.evidence.coredns.corefile_forward import FORWARDING_PLUGINS
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import (
    CorefileRule,
    directive_line,
    server_line,
)


class NoCachePlugin(CorefileRule):
    code = "DD403"
    name = "no-cache-plugin"
    severity = Severity.INFO

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        for server in corefile.servers:
            forwards = [p for p in server.plugins if p.name in FORWARDING_PLUGINS]
            if not forwards or server.plugin("cache") is not None:
                continue
            summary = (
                f"{server.location}: server block {server.label} forwards "
                f"({forwards[0].text()} at {forwards[0].location}) without `cache`: every "
                "outside query reaches an upstream"
            )
            yield self.finding(
                summary,
                evidence=(server_line(server), directive_line(forwards[0], "forward")),
                fix=f"Add `cache 30` to the {server.label} block.",
                impact=1.0,
            )
