"""`audit_node(root, options)`: gather a node's DNS evidence under a root and run the DD3xx rules.

Collectors that can fail on odd input (which C library resolves, the clock sampler, kernel
counters, the probe) run through `_collect`: a failure is reported as an internal error for
that part and the rest of the audit still runs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dnsdoctor.errors import UsageError
from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.clock import collect_clock
from dnsdoctor.evidence.node.effects import nameserver_effects
from dnsdoctor.evidence.node.kernel import KernelSources, collect_kernel
from dnsdoctor.evidence.node.kubelet import find_kubelet_resolv
from dnsdoctor.evidence.node.libc import collect_libcs
from dnsdoctor.evidence.node.probe import ProbeOptions, ProbeResult, parse_target, run_probe
from dnsdoctor.evidence.node.provenance import collect_claims, trace
from dnsdoctor.evidence.node.rootfs import SafeRoot
from dnsdoctor.model import Report
from dnsdoctor.rules.check import CheckRule, run_checks
from dnsdoctor.rules.registry import check_rules

RESOLV_CONF = "/etc/resolv.conf"


@dataclass(frozen=True)
class NodeOptions:
    expect: tuple[str, ...] = ()  # addresses or CIDRs nameservers must fall in
    libc: bool = True  # call the libc collector when present
    clock: bool = True  # call the clock collector when present
    measure_clock: bool = True  # let it run its sampler (takes a moment)
    kernel: bool = True  # conntrack/UDP counters (from `proc`), kube-proxy mode, NOTRACK rules
    proc: str | None = None  # None: /proc when the root is "/", else the counters are not read
    iptables_save: str | None = None  # a saved iptables-save; else run it when the root is "/"
    kube_proxy_config: str | None = None  # kube-proxy's config.conf or its ConfigMap as YAML
    probe: ProbeOptions | None = None  # --probe: None means do not send a single query
    on_probe_result: Callable[[ProbeResult], None] | None = None  # live lines (the CLI prints)


def parse_expect(items: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """`--expect 10.0.0.2,172.16.0.0/16` -> normalised networks; a bad entry is a UsageError."""
    networks = []
    for item in (part.strip() for entry in items for part in entry.split(",")):
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise UsageError(
                f"--expect: {item!r} is neither an IP address nor a CIDR",
                hint="give addresses or networks, comma-separated: --expect 10.0.0.2,10.1.0.0/16",
            ) from None
    return tuple(networks)


def audit_node(root: str, options: NodeOptions | None = None) -> tuple[Report, NodeAudit]:
    """Collect under `root` and run every node rule. Raises InputError when `root` is unusable."""
    options = options or NodeOptions()
    report = Report(source=f"root {root}")
    with SafeRoot(root) as safe:
        audit = collect(safe, options, report)
    rules: list[CheckRule[Any]] = [rule() for rule in check_rules("node")]
    run_checks(rules, audit, report)
    report.stats = _stats(audit)
    return report, audit


def collect(safe: SafeRoot, options: NodeOptions, report: Report) -> NodeAudit:
    audit = NodeAudit(root=safe.path, expect=options.expect)
    claims = collect_claims(safe)
    main = trace(safe, RESOLV_CONF, claims)
    audit.resolv = main.conf
    audit.kubelet = find_kubelet_resolv(safe)
    audit.provenance = [main]
    kubelet_path = audit.kubelet.path
    if kubelet_path and kubelet_path not in (RESOLV_CONF, main.path):
        audit.provenance.append(trace(safe, kubelet_path, claims))
    coredns_file = _kubelet_conf(audit) or main.conf
    audit.pod_resolv = coredns_file
    audit.effects = nameserver_effects(coredns_file) if coredns_file else []
    if options.libc:
        audit.libcs = _collect(report, "libc", collect_libcs, safe)
    if options.clock:
        audit.clock = _collect(report, "clock", collect_clock, measure=options.measure_clock)
    if options.kernel:
        audit.kernel = _kernel(safe, options)
    if options.probe is not None:
        audit.probe = _probe(audit, options.probe, options.on_probe_result)
    audit.refused = [str(r) for r in safe.refused]
    return audit


def _kubelet_conf(audit: NodeAudit) -> Any:
    if not audit.kubelet.kubelet_found:
        return None
    for prov in audit.provenance:
        if audit.kubelet.path in (prov.asked, prov.path):
            return prov.conf
    return audit.provenance[0].conf if audit.kubelet.path == RESOLV_CONF else None


def _kernel(safe: SafeRoot, options: NodeOptions) -> Any:
    host = safe.path == "/"
    proc = options.proc or ("/proc" if host else None)
    if proc is None:
        return None  # a container root or an image: this host's counters say nothing about it
    sources = KernelSources(proc, options.iptables_save, options.kube_proxy_config, host)
    return collect_kernel(sources, safe)


def _probe(audit: NodeAudit, options: ProbeOptions, on_result: Any) -> Any:
    """Probe --probe-server, else every nameserver line of the audited resolv.conf."""
    if options.servers:
        targets, origin = [parse_target(s) for s in options.servers], "--probe-server"
    else:
        conf = audit.resolv
        lines = conf.declared_nameservers() if conf is not None else []
        targets = [target for s in lines if (target := _target_or_none(s.value))]
        origin = conf.path if conf is not None else "/etc/resolv.conf (not readable)"
    return run_probe(targets, options, on_result, origin)


def _target_or_none(value: str) -> Any:
    try:
        return parse_target(value)
    except UsageError:
        return None  # not an IP literal: no library queries it either


def _collect(report: Report, what: str, collector: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one collector; its failure is reported as an internal error and the audit goes on."""
    try:
        return collector(*args, **kwargs)
    except Exception as exc:  # a collector's bug must not hide the resolver findings
        report.internal_errors.append(f"{what} collector: {type(exc).__name__}: {exc}")
        return None


def _stats(audit: NodeAudit) -> dict[str, Any]:
    conf = audit.resolv
    return {
        "files_traced": len(audit.provenance),
        "nameservers": len(conf.declared_nameservers()) if conf else 0,
        "refused": len(audit.refused),
    }
