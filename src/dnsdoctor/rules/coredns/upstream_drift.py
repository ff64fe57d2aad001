"""DD440 upstream-drift.

What it detects:
CoreDNS forwards to the nameservers of its pod's resolv.conf (`forward . /etc/resolv.conf`), and
the upstreams its logs and metrics name no longer match the node's resolv.conf as it is now:
- an upstream CoreDNS still sends queries to that the node's file no longer lists (warning);
- a nameserver of the node's file that CoreDNS never sent a query to, judged from metrics only,
  since every upstream that got a query has a series with its `to` label (info).

Why it matters:
The pod's resolv.conf is a copy of kubelet's `resolvConf` taken when the pod started, and
CoreDNS reads it at start and at each reload. Fixing the node (deleting the seed's stray
`nameserver` from resolvconf's `base`, a new DHCP lease) changes nothing for running CoreDNS
pods: they keep failing against the removed upstream, or keep ignoring the new one, until they
are restarted. The node then looks fixed while every pod on the cluster still sees timeouts.

Evidence:
CoreDNS logs (error lines name the upstream) and/or metrics (`to` labels), and the node's
resolv.conf from `--node-root DIR` or a saved `dnsdoctor node --format json` (`--node-report`);
the Corefile, when given, confirms that CoreDNS forwards to /etc/resolv.conf.

Example:
CoreDNS still forwards to 10.225.30.181:53 (13 error lines, the last at 2024-05-01 10:04:00 UTC;
in coredns_forward_requests_total), but the node's /etc/resolv.conf no longer lists it.

Fix:
Restart or reload CoreDNS to pick up the change. New pods get kubelet's current copy
(`kubectl -n kube-system rollout restart deployment coredns`); a reload re-reads the copy the pod
already has, which helps only when that file is mounted from the node.

False positives:
The node given is not the node whose file the CoreDNS pods copied (CoreDNS pods run on other
nodes, with other files), or kubelet's `resolvConf` points elsewhere than the node audit found.
Under `policy sequential` unused upstreams are not reported.

References:
kubelet `resolvConf` (KubeletConfiguration); coredns plugin/forward README ("/etc/resolv.conf");
../shared/seed/README.md part 1 (fix: delete `base` and reboot).
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.drift import Drift, NodeServer, SeenUpstream, upstream_drift
from dnsdoctor.evidence.coredns.log_line import utc_text
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule

RESTART = (
    "Restart or reload CoreDNS to pick up the change: new pods get kubelet's current copy "
    "(`kubectl -n kube-system rollout restart deployment coredns`); a reload re-reads only the "
    "copy the pod already has."
)
WHY = (
    "CoreDNS read the file at pod start or last reload, and its pod's copy is kubelet's "
    "resolvConf snapshot taken at pod start"
)


class UpstreamDrift(CheckRule[CorednsBundle]):
    code = "DD440"
    name = "upstream-drift"
    severity = Severity.WARNING
    source = "coredns"
    evidence_kinds = ("logs", "metrics", "node", "corefile")

    def check(self, bundle: CorednsBundle) -> Iterable[Finding | Skipped]:
        if bundle.logs is None and bundle.metrics is None:
            yield self.skipped("no --logs or --metrics: which upstreams CoreDNS uses is unknown")
            return
        drift = upstream_drift(bundle.logs, bundle.metrics, bundle.node, bundle.corefile)
        if isinstance(drift, str):
            yield self.skipped(drift)
            return
        for upstream in drift.stale:
            yield self._stale(drift, upstream)
        for server in drift.unused:
            yield self._unused(drift, server)
        if drift.unused_not_judged and not drift.stale:
            yield self.skipped(f"unused node nameservers not judged: {drift.unused_not_judged}")

    def _stale(self, drift: Drift, upstream: SeenUpstream) -> Finding:
        used = []
        if upstream.log_lines:
            last = f", the last at {utc_text(upstream.last_ts)}" if upstream.last_ts else ""
            used.append(f"{upstream.log_lines} error line(s){last}")
        if upstream.series:
            used.append("in " + ", ".join(sorted(upstream.series)))
        assumed = (
            " (assuming the Corefile forwards to /etc/resolv.conf, as kubeadm's does)"
            if drift.assumed_resolv_conf
            else ""
        )
        return self.finding(
            f"CoreDNS still forwards to {upstream.address} ({'; '.join(used)}), but the node's "
            f"{drift.node_file} no longer lists it{assumed}: {WHY}. Restart or reload CoreDNS "
            "to pick up the change",
            evidence=tuple(upstream.evidence),
            impact=float(upstream.log_lines),
            fix=RESTART,
        )

    def _unused(self, drift: Drift, server: NodeServer) -> Finding:
        return self.finding(
            f"{server.address} ({drift.node_file} line {server.line}) is listed on the node but "
            "CoreDNS never sent it a query (no metric series names it): CoreDNS's pods started "
            f"before it was added; {WHY}. Restart or reload CoreDNS to pick up the change",
            severity=Severity.INFO,
            evidence=(server.evidence(), *server.origins),
            fix=RESTART,
        )
