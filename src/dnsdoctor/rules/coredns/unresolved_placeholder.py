"""DD409 unresolved-placeholder.

What it detects:
Placeholders left in the Corefile: NodeLocal DNSCache's `__PILLAR__NAME__` and environment
placeholders `{$VAR}` / `{%VAR%}`, each with what fills it.

Why it matters:
In NodeLocal DNSCache's Corefile, node-cache fills `__PILLAR__LOCAL__DNS__`,
`__PILLAR__CLUSTER__DNS__` (the kube-dns-upstream Service IP) and `__PILLAR__UPSTREAM__SERVERS__`
(/etc/resolv.conf unless the kube-dns ConfigMap sets upstreamNameservers) when it starts, and drops
a leftover `__PILLAR__DNS__SERVER__`; but nothing fills `__PILLAR__DNS__DOMAIN__`: the installer
must `sed` it. Left in place, the cluster-domain server block serves a zone literally named
`__pillar__dns__domain__.`, so cluster names fall through to the `.` block and go to the node's
upstream resolvers, which answer NXDOMAIN: every Service lookup through NodeLocal DNSCache fails.
An environment placeholder whose variable CoreDNS lacks becomes an empty string.

Evidence:
Each placeholder's file:line, and who fills it.

Example:
nodelocaldns.yaml:57 `__PILLAR__DNS__DOMAIN__:53 {`: not filled by node-cache; cluster names
would be forwarded upstream.

Fix:
Render the manifest as the NodeLocal DNSCache task page says (`sed -i
"s/__PILLAR__LOCAL__DNS__/$localdns/g; s/__PILLAR__DNS__DOMAIN__/$domain/g; ..."`) before
`kubectl apply`; set the environment variables CoreDNS expects.

False positives:
The unrendered template itself (nodelocaldns.yaml from the repository) has every placeholder by
design; give the ConfigMap from the cluster (`kubectl get cm node-local-dns -n kube-system -o
yaml`) to check what really runs. Environment variables set in the CoreDNS container are unknown
here: pass them to the library's `environ` to resolve them.

References:
kubernetes/kubernetes cluster/addons/dns/nodelocaldns/README.md; kubernetes/dns
cmd/node-cache/app/configmap.go; Kubernetes "Using NodeLocal DNSCache" task page; CoreDNS
manual, "Environment Variables".
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import PILLAR_FILLED_BY, Corefile, Placeholder
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import CorefileRule, line

NOT_FILLED_BY_NODE_CACHE = "__PILLAR__DNS__DOMAIN__"


class UnresolvedPlaceholder(CorefileRule):
    code = "DD409"
    name = "unresolved-placeholder"
    severity = Severity.ERROR

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        groups: dict[tuple[str, str], list[Placeholder]] = {}
        for placeholder in corefile.unresolved():
            groups.setdefault((placeholder.kind, placeholder.name), []).append(placeholder)
        for (kind, name), found in groups.items():
            yield self._finding(kind, name, found)

    def _finding(self, kind: str, name: str, found: list[Placeholder]) -> Finding:
        where = ", ".join(str(p.location) for p in found[:4]) + (" ..." if len(found) > 4 else "")
        evidence = tuple(line(p.location, name, "unresolved placeholder") for p in found[:6])
        if kind == "env":
            summary = (
                f"{where}: environment placeholder for {name} not resolved here; CoreDNS "
                "substitutes the variable's value, or an empty string when it is unset"
            )
            fix = f"Make sure the CoreDNS container sets {name}."
            return self.finding(
                summary, evidence=evidence, fix=fix, severity=Severity.INFO, impact=len(found)
            )
        filled_by = PILLAR_FILLED_BY.get(name, "unknown: not a NodeLocal DNSCache placeholder")
        if name == NOT_FILLED_BY_NODE_CACHE:
            summary = (
                f"{where}: {name} is still in the Corefile and node-cache never fills it: the "
                "cluster-domain block would serve a zone by that literal name and cluster "
                "names would go to the upstream resolvers (NXDOMAIN)"
            )
            fix = "Replace it with the cluster domain (sed, as the NodeLocal DNSCache page says)."
            return self.finding(summary, evidence=evidence, fix=fix, impact=len(found))
        summary = f"{where}: {name} unresolved here; filled by {filled_by}"
        return self.finding(
            summary,
            evidence=evidence,
            fix="Nothing, if node-cache runs this Corefile; check its `Updated Corefile` log line.",
            severity=Severity.INFO,
            impact=len(found),
        )
