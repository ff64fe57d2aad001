"""Drift between the upstreams CoreDNS uses and the node's resolv.conf as it is now.

With `forward . /etc/resolv.conf` (kubeadm's default; the old `proxy` alike), CoreDNS's upstreams
are the nameservers of its pod's resolv.conf: a copy of kubelet's `resolvConf` taken when the pod
started, which CoreDNS reads at start and at each reload. When the node's file changes later
(the seed's stray nameserver deleted, a DHCP lease renewed with other servers), running CoreDNS
pods keep the old list. The addresses CoreDNS's own logs and metrics name are the ground truth of
what it uses; this module compares them with the node file:

- stale: CoreDNS sends queries to an address the node's file no longer lists;
- unused: the node's file lists a nameserver CoreDNS never sent a query to. Only judged from
  metrics (every upstream that got a query has a series with its `to` label; logs name only
  upstreams that failed), and not under `policy sequential`, where later upstreams stay idle
  while the first answers.

Addresses on another port than 53 and those written in the Corefile's forward lines do not come
from resolv.conf and are left out.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from dnsdoctor.evidence.coredns.classify import host_of
from dnsdoctor.evidence.coredns.logs import CorednsLogs
from dnsdoctor.evidence.coredns.metrics import CorednsMetrics
from dnsdoctor.evidence.coredns.node_report import pod_resolv_of
from dnsdoctor.model import Evidence, LineEvidence, MetricEvidence

POD_RESOLV_CONF = "/etc/resolv.conf"


@dataclass
class SeenUpstream:
    address: str  # as CoreDNS names it: "10.0.0.2:53"
    log_lines: int = 0  # error lines naming it, probes included (they are queries too)
    last_ts: float | None = None
    series: set[str] = field(default_factory=set)  # metric names with its `to` label
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class NodeServer:
    address: str
    path: str
    line: int
    origins: tuple[LineEvidence, ...]  # the files that put it there (resolvconf base, DHCP ...)

    def evidence(self) -> LineEvidence:
        return LineEvidence(self.path, self.line, f"nameserver {self.address}", "node resolv.conf")


@dataclass
class Drift:
    node_file: str  # the node file CoreDNS's pods get (kubelet's resolvConf)
    node_root: str
    stale: list[SeenUpstream] = field(default_factory=list)
    unused: list[NodeServer] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    unused_not_judged: str = ""  # why `unused` was not looked for, if it was not
    assumed_resolv_conf: bool = False  # no Corefile: assumed to forward to /etc/resolv.conf


def upstream_drift(
    logs: CorednsLogs | None, metrics: CorednsMetrics | None, node: Any, corefile: Any
) -> Drift | str:
    """The drift, or a string saying why it cannot be judged."""
    if node is None:
        return "no --node-root or --node-report: the node's current resolv.conf is unknown"
    servers = node_servers(node)
    if servers is None:
        return "the node evidence has no resolv.conf for CoreDNS's pods (kubelet's resolvConf)"
    path, listed = servers
    explicit, reads_file, sequential = _corefile_view(corefile)
    if corefile is not None and not reads_file:
        return "the Corefile forwards to explicit addresses only, not to /etc/resolv.conf"
    seen = seen_upstreams(logs, metrics)
    drift = Drift(path, str(getattr(node, "root", "")), assumed_resolv_conf=corefile is None)
    listed_hosts = {_norm(s.address): s for s in listed}
    for address, upstream in sorted(seen.items()):
        host, port = _split(address)
        if port not in (53, None) or address in explicit:
            continue
        if host in listed_hosts:
            drift.matched.append(address)
        else:
            drift.stale.append(upstream)
    metric_hosts = {_split(a)[0] for a, u in seen.items() if u.series}
    if not metric_hosts:
        drift.unused_not_judged = (
            "no metrics name CoreDNS's upstreams (logs name failing ones only)"
        )
    elif sequential:
        drift.unused_not_judged = "policy sequential: later upstreams stay idle while one answers"
    else:
        drift.unused = [s for h, s in listed_hosts.items() if h not in metric_hosts]
    return drift


def seen_upstreams(
    logs: CorednsLogs | None, metrics: CorednsMetrics | None
) -> dict[str, SeenUpstream]:
    seen: dict[str, SeenUpstream] = {}
    for error in logs.errors if logs is not None else []:
        address = error.cause.upstream
        if address is None:
            continue
        upstream = seen.setdefault(address, SeenUpstream(address))
        upstream.log_lines += 1
        ts = error.origin.ts
        if ts is not None and (upstream.last_ts is None or ts > upstream.last_ts):
            upstream.last_ts = ts
        if len(upstream.evidence) < 2:
            upstream.evidence.append(error.origin.evidence("CoreDNS used it"))
    for scrape in metrics.scrapes if metrics is not None else []:
        for (name, labels), value in scrape.series.items():
            to = dict(labels).get("to")
            if not to:
                continue
            upstream = seen.setdefault(to, SeenUpstream(to))
            if name not in upstream.series:
                upstream.series.add(name)
                upstream.evidence.append(
                    MetricEvidence(name, labels, value, scrape.source, "CoreDNS used it")
                )
    return seen


def node_servers(node: Any) -> tuple[str, list[NodeServer]] | None:
    """(file, its nameservers with their origins) of what kubelet hands CoreDNS's pods."""
    conf = getattr(node, "pod_resolv", None)
    provenance = list(getattr(node, "provenance", None) or [])
    if conf is None and provenance:
        conf = pod_resolv_of(provenance, getattr(node, "kubelet", None))
    if conf is None:
        return None
    traced = next((p for p in provenance if p.conf is conf), None)
    entries = list(traced.entries) if traced is not None else []
    servers = []
    for setting in conf.declared_nameservers():
        entry = next((e for e in entries if e.line == setting.line), None)
        origins = tuple(
            LineEvidence(str(c.path), int(c.line), str(c.text), str(c.mechanism))
            for c in (entry.origins if entry is not None else ())
        )
        servers.append(NodeServer(setting.value, conf.path, setting.line, origins))
    return conf.path, servers


def _corefile_view(corefile: Any) -> tuple[set[str], bool, bool]:
    """(addresses written in forward lines, forwards to /etc/resolv.conf, policy sequential)."""
    if corefile is None:
        return set(), True, False
    explicit: set[str] = set()
    reads_file = sequential = False
    for spec in corefile.forward_upstreams():
        for upstream in spec.to:
            if upstream.kind == "address":
                explicit.add(upstream.address)
            elif upstream.reads_resolv_conf and (
                upstream.kind != "file" or upstream.text == POD_RESOLV_CONF
            ):
                reads_file = True  # another file (a mounted one) is not the node's
        sequential = sequential or spec.setting("policy") == "sequential"
    return explicit, reads_file, sequential


def _split(address: str) -> tuple[str, int | None]:
    host = host_of(address)
    port_text = address.rsplit(":", 1)[-1] if address != host else ""
    return _norm(host), int(port_text) if port_text.isdigit() else None


def _norm(host: str) -> str:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).compressed
    except ValueError:
        return host.lower()
