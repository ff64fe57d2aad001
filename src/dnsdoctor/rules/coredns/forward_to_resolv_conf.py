"""DD400 forward-to-resolv-conf.

What it detects:
A `forward` (or `proxy`) whose upstreams come from a resolv.conf-format file, usually
`forward . /etc/resolv.conf` (kubeadm's, EKS's, AKS's, k3s's default), and NodeLocal DNSCache's
`forward . __PILLAR__UPSTREAM__SERVERS__`, which node-cache turns into /etc/resolv.conf unless the
kube-dns ConfigMap sets upstreamNameservers.

Why it matters:
Inside the CoreDNS pod, /etc/resolv.conf is not the node's live file: the CoreDNS Deployment runs
with dnsPolicy Default, so kubelet writes the pod a copy of the file its `resolvConf` setting
names (default /etc/resolv.conf; /run/systemd/resolve/resolv.conf where kubeadm detects
systemd-resolved), taken when the pod starts and never refreshed; kubelet keeps at most 3
nameserver lines. CoreDNS reads that copy at start and at each `reload`, and takes every
`nameserver` line as an upstream (up to 15); `search` and `options` lines are ignored. With the
default `policy random`, a stray nameserver on the node therefore becomes an upstream for about
1/N of forwarded queries: the incident this project exists for (a decommissioned resolver left in
/etc/resolvconf/resolv.conf.d/base timed out ~1/3 of CoreDNS's upstream queries). Fixing the
node's file does nothing until the CoreDNS pods are recreated.

Evidence:
The Corefile line. With node evidence (`--node-root` or a node report), the nameserver lines of
the kubelet resolvConf file, each with file:line: those are CoreDNS's upstreams.

Example:
kubeadm-configmap.yaml:20 `forward . /etc/resolv.conf {`: CoreDNS forwards `.` to the nameservers
of its pod's resolv.conf, 10.0.0.2 and 10.225.30.181 (node /etc/resolv.conf lines 1-2).

Fix:
Nothing, if every nameserver in the node's file (kubelet's resolvConf) is a working resolver. If
one is not, remove it at its source (`dnsdoctor node` traces which file puts it there), then
restart CoreDNS (`kubectl -n kube-system rollout restart deployment coredns`) so kubelet writes
the pods a fresh copy. To decouple CoreDNS from node files, name the upstreams explicitly:
`forward . 10.0.0.2 10.0.0.3`.

False positives:
Informational: the setting is the common default and often right. It matters when the node's
file holds a resolver that is wrong, slow, or only reachable from the node's own namespace
(a loopback stub: DD401).

References:
plugin/forward/README.md ("forward . /etc/resolv.conf" uses the resolv.conf of the CoreDNS
process); Kubernetes dns-pod-service.md (dnsPolicy Default); kubelet pkg/kubelet/network/dns/dns.go
(nameserver limit, DNSConfigForming event); kubernetes/dns cmd/node-cache/app/configmap.go;
../shared/seed/README.md part 1.
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile, ForwardSpec
from dnsdoctor.model import Finding, LineEvidence, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import (
    CorefileRule,
    directive_line,
    node_nameservers,
)


class ForwardToResolvConf(CorefileRule):
    code = "DD400"
    name = "forward-to-resolv-conf"
    severity = Severity.INFO
    source = "coredns"
    evidence_kinds = ("corefile", "node")

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        node = node_nameservers(evidence.node)
        for spec in corefile.forward_upstreams():
            files = [u for u in spec.to if u.reads_resolv_conf]
            if files:
                yield self._finding(spec, [u.text for u in files], node)

    def _finding(
        self, spec: ForwardSpec, files: list[str], node: tuple[str, list] | None
    ) -> Finding:
        evidence: list[LineEvidence] = [directive_line(spec.directive, "forward upstream")]
        zone = spec.from_zone
        source = " and ".join(files)
        if node is None:
            whom = (
                "the nameserver lines of the CoreDNS pod's resolv.conf (kubelet's resolvConf "
                "snapshot at pod start; not given here: add the node evidence to list them)"
            )
        else:
            path, servers = node
            names = ", ".join(s.address for s in servers) or "none"
            whom = f"the nameservers of its pod's resolv.conf, {names} (from {path})"
            evidence += [s.evidence("coredns upstream") for s in servers]
        share = ""
        if node is not None and len(node[1]) > 1 and spec.setting("policy") == "random":
            share = f"; with policy random each gets about 1/{len(node[1])} of forwarded queries"
        summary = (
            f"{spec.location}: `{spec.plugin} {zone} {source}` in server block "
            f"{spec.server.label}: CoreDNS forwards {zone} to {whom}{share}"
        )
        fix = (
            "Make sure every nameserver in the node file kubelet hands to CoreDNS works "
            "(`dnsdoctor node`), then restart CoreDNS so its pods get a fresh copy; or list the "
            "upstreams explicitly in the forward line."
        )
        return self.finding(summary, evidence=tuple(evidence), fix=fix, impact=1.0)
