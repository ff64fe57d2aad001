"""kube-proxy's mode and NodeLocal DNSCache's NOTRACK rules, from config files and iptables-save.

NodeLocal DNSCache (k8s.io/dns node-cache) inserts raw-table `NOTRACK` rules for its listen
addresses on port 53, so pods' UDP queries to it skip conntrack and cannot lose the insert race.
kube-proxy's mode says where the DNAT to CoreDNS happens: iptables (a conntrack entry per query),
ipvs (IPVS plus conntrack), nftables (not visible in iptables-save).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

DNS_PORT = re.compile(r"--[ds]port 53(?!\d)")
ADDRESS = re.compile(r"-([ds]) (\S+)")
MODE_LINE = re.compile(r"^\s*mode:")


@dataclass(frozen=True, slots=True)
class KubeProxyMode:
    mode: str  # "iptables" | "ipvs" | "nftables" | "kernelspace" | "unknown"
    source: str  # file it was read from, or the iptables-save source
    line: int  # 1-based line of the evidence in `source`; 0 when not one line
    detail: str  # why: `mode: ""` (the default), KUBE-SVC chains, ...

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "source": self.source, "line": self.line, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class NotrackRule:
    source: str
    line: int
    table: str
    chain: str
    text: str
    address: str  # the -d or -s address the rule matches ("" for any)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "line": self.line,
            "table": self.table,
            "chain": self.chain,
            "text": self.text,
            "address": self.address,
        }


def kube_proxy_from_config(text: str, path: str) -> KubeProxyMode | None:
    """A KubeProxyConfiguration, or a ConfigMap holding one under `config.conf`; None if neither."""
    config = _yaml(text)
    if isinstance(config, dict) and config.get("kind") == "ConfigMap":
        data = config.get("data")
        inner = data.get("config.conf") if isinstance(data, dict) else None
        config = _yaml(inner) if isinstance(inner, str) else None
    if not isinstance(config, dict) or config.get("kind") != "KubeProxyConfiguration":
        return None
    line = next((n for n, row in enumerate(text.splitlines(), start=1) if MODE_LINE.match(row)), 0)
    mode = config.get("mode")
    if not mode:
        return KubeProxyMode("iptables", path, line, "mode is empty: the Linux default, iptables")
    return KubeProxyMode(str(mode), path, line, f"mode: {mode}")


def _yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError, RecursionError):
        return None


def kube_proxy_from_iptables(text: str | None, source: str) -> KubeProxyMode | None:
    """Hints in an iptables-save dump: KUBE-SVC-* chains (iptables), ipvs's own chains or sets."""
    if not text:
        return None
    first_kube = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if "KUBE-SVC-" in line and line.startswith("-A"):
            return KubeProxyMode("iptables", source, number, "KUBE-SVC-* service chains")
        if "KUBE-CLUSTER-IP" in line or line.startswith(":KUBE-NODE-PORT"):
            return KubeProxyMode("ipvs", source, number, "ipvs mode's KUBE-NODE-PORT / ipset")
        if not first_kube and line.startswith(":KUBE-SERVICES"):
            first_kube = number
    if first_kube:
        return KubeProxyMode("unknown", source, first_kube, "KUBE-SERVICES without services")
    return None


def notrack_dns_rules(text: str, source: str) -> list[NotrackRule]:
    """Every rule that exempts DNS (port 53) traffic from conntrack, with its line."""
    rules: list[NotrackRule] = []
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("*"):
            table = line[1:].strip()
            continue
        if not line.startswith("-A ") or not _is_notrack(line) or not DNS_PORT.search(line):
            continue
        parts = line.split()
        chain = parts[1] if len(parts) > 1 else ""
        match = ADDRESS.search(line)
        rules.append(
            NotrackRule(source, number, table, chain, line[:300], match.group(2) if match else "")
        )
    return rules


def _is_notrack(line: str) -> bool:
    return line.endswith("-j NOTRACK") or "-j NOTRACK " in line or "-j CT --notrack" in line


def notrack_addresses(rules: list[NotrackRule]) -> list[str]:
    """The addresses whose DNS traffic skips conntrack (NodeLocal DNSCache's listen addresses)."""
    seen: list[str] = []
    for rule in rules:
        address = rule.address.removesuffix("/32").removesuffix("/128")
        if address and address not in seen:
            seen.append(address)
    return seen
