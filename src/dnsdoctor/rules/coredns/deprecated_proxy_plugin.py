"""DD407 deprecated-proxy-plugin.

What it detects:
A server block using the `proxy` plugin.

Why it matters:
`proxy` was deprecated in CoreDNS 1.4.0 and left the default build in 1.5.0 (April 2019);
`forward` replaces it. A Corefile with `proxy` means a CoreDNS older than 1.5 (unsupported, with
known health-check bugs such as an upstream never re-checked, coredns/coredns#2427), or a
current CoreDNS that refuses to start on the unknown directive after an upgrade. Its logs read
differently too: `unreachable backend: read udp ...: i/o timeout` per failed query, and
`no upstream host` when every backend is down.

Evidence:
The proxy line.

Example:
Corefile:10 `proxy . /etc/resolv.conf` (the seed incident's Corefile).

Fix:
Replace `proxy FROM TO...` with `forward FROM TO...` (options differ: `health_check` is in-band
in forward, `policy` values are random|round_robin|sequential) and upgrade CoreDNS.

False positives:
A custom CoreDNS build that compiles the external proxy plugin in on purpose.

References:
CoreDNS 1.4.0 and 1.5.0 release notes; coredns/coredns#1443 (deprecate plugin/proxy);
../shared/seed/README.md.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import CorefileRule, directive_line


class DeprecatedProxyPlugin(CorefileRule):
    code = "DD407"
    name = "deprecated-proxy-plugin"
    severity = Severity.WARNING

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        for server, proxy in corefile.plugins("proxy"):
            replacement = "forward " + " ".join(proxy.arg_texts)
            summary = (
                f"{proxy.location}: server block {server.label} uses the `proxy` plugin, "
                "removed from CoreDNS's default build in 1.5.0; CoreDNS >= 1.5 refuses to start "
                f"with it, older ones are unsupported. Use `{replacement}`"
            )
            yield self.finding(
                summary,
                evidence=(directive_line(proxy, "deprecated plugin"),),
                fix=f"Replace it with `{replacement}` and upgrade CoreDNS.",
                impact=1.0,
            )
