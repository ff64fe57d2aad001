"""Kernel evidence for lost DNS packets: conntrack and UDP counters, kube-proxy mode, NOTRACK rules.

The node-side half of the conntrack-race diagnosis. Read from a proc directory (`/proc` by
default; tests give copies of real /proc files) and, for kube-proxy and NodeLocal DNSCache, from
the root (`/var/lib/kube-proxy/config.conf`), a file (`--kube-proxy-config`, `--iptables-save`)
or, on the host only, the output of the host's own `iptables-save` (read-only).

Each item that cannot be read is recorded in `KernelEvidence.skipped` with the reason, never
guessed; a malformed counters file is a defect on that item, never an exception.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from typing import Any

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.node.kernel_netfilter import (
    KubeProxyMode,
    NotrackRule,
    kube_proxy_from_config,
    kube_proxy_from_iptables,
    notrack_dns_rules,
)

PROC_LIMIT = 1 << 20  # /proc files report size 0; read at most this much
IPTABLES_LIMIT = 32 << 20  # a big cluster's iptables-save runs to megabytes
CONNTRACK_STAT = "net/stat/nf_conntrack"
CONNTRACK_COUNT = "sys/net/netfilter/nf_conntrack_count"
CONNTRACK_MAX = "sys/net/netfilter/nf_conntrack_max"
KUBE_PROXY_CONFIG = "/var/lib/kube-proxy/config.conf"
MAX_CPUS = 8192

# Column names across kernel versions: "searched" became "clashres" (5.x, clash_resolve) and
# "delete_list" became "chainlength"; "entries" is the table size, the same on every CPU line.
NOT_SUMMED = frozenset({"entries", "chainlength"})


@dataclass(slots=True)
class ConntrackStat:
    """/proc/net/stat/nf_conntrack: one row of hex counters per possible CPU."""

    path: str
    columns: tuple[str, ...]
    per_cpu: list[dict[str, int]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    def total(self, name: str) -> int:
        if name in NOT_SUMMED:
            return max((row.get(name, 0) for row in self.per_cpu), default=0)
        return sum(row.get(name, 0) for row in self.per_cpu)

    def by_cpu(self, name: str) -> list[tuple[int, int]]:
        """(cpu, value) for every CPU whose counter is not zero."""
        return [(cpu, row[name]) for cpu, row in enumerate(self.per_cpu) if row.get(name)]

    def has(self, name: str) -> bool:
        return name in self.columns

    def to_dict(self) -> dict[str, Any]:
        summed = [c for c in self.columns if c not in NOT_SUMMED]
        return {
            "path": self.path,
            "columns": list(self.columns),
            "total": {c: self.total(c) for c in self.columns},
            "per_cpu": [{c: row.get(c, 0) for c in summed} for row in self.per_cpu],
            "defects": self.defects,
        }


def parse_conntrack_stat(text: str, path: str) -> ConntrackStat:
    """Parse the header and the hex rows; a bad row is a defect and is left out."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return ConntrackStat(path, (), defects=["empty file"])
    columns = tuple(lines[0].split())
    result = ConntrackStat(path, columns)
    if not columns or not all(c.replace("_", "").isalpha() for c in columns):
        result.defects.append("first line is not a header of counter names")
        return result
    for number, line in enumerate(lines[1 : MAX_CPUS + 1], start=2):
        fields = line.split()
        if len(fields) != len(columns):
            result.defects.append(f"line {number}: {len(fields)} fields for {len(columns)} names")
            continue
        try:
            result.per_cpu.append(
                {name: int(value, 16) for name, value in zip(columns, fields, strict=True)}
            )
        except ValueError:
            result.defects.append(f"line {number}: not hexadecimal counters")
    if len(lines) > MAX_CPUS + 1:
        result.defects.append(f"more than {MAX_CPUS} CPU rows: the rest was not read")
    return result


def parse_snmp(text: str, prefix: str = "Udp") -> dict[str, int]:
    """/proc/net/snmp: a "Udp:" line of names followed by a "Udp:" line of values."""
    rows = [line.split()[1:] for line in text.splitlines() if line.startswith(prefix + ":")]
    if len(rows) < 2 or len(rows[0]) != len(rows[1]):
        return {}
    counters = {}
    for name, value in zip(rows[0], rows[1], strict=True):
        if value.lstrip("-").isdigit():
            counters[name] = int(value)
    return counters


def parse_snmp6(text: str, prefix: str = "Udp6") -> dict[str, int]:
    """/proc/net/snmp6: one "Udp6InErrors   3" pair a line; names lose the prefix."""
    counters = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith(prefix) and parts[1].isdigit():
            name = parts[0][len(prefix) :]
            if name and not name.startswith("Lite"):
                counters[name] = int(parts[1])
    return counters


@dataclass(slots=True)
class KernelEvidence:
    proc: str
    release: str | None = None
    version: str | None = None
    uptime: float | None = None  # seconds since boot: the counters' time base
    conntrack: ConntrackStat | None = None
    conntrack_count: int | None = None
    conntrack_max: int | None = None
    udp: dict[str, int] = field(default_factory=dict)  # /proc/net/snmp Udp:
    udp6: dict[str, int] = field(default_factory=dict)  # /proc/net/snmp6 Udp6*
    kube_proxy: KubeProxyMode | None = None
    notrack: list[NotrackRule] = field(default_factory=list)
    iptables_source: str | None = None  # the file or "iptables-save (run on this host)"
    skipped: dict[str, str] = field(default_factory=dict)  # item -> why it was not read

    def path(self, rel: str) -> str:
        return os.path.join(self.proc, rel)

    def to_dict(self) -> dict[str, Any]:
        return {
            "proc": self.proc,
            "release": self.release,
            "version": self.version,
            "uptime_s": self.uptime,
            "conntrack": self.conntrack.to_dict() if self.conntrack else None,
            "conntrack_count": self.conntrack_count,
            "conntrack_max": self.conntrack_max,
            "udp": self.udp,
            "udp6": self.udp6,
            "kube_proxy": self.kube_proxy.to_dict() if self.kube_proxy else None,
            "notrack": [r.to_dict() for r in self.notrack],
            "iptables_source": self.iptables_source,
            "skipped": self.skipped,
        }


@dataclass(frozen=True, slots=True)
class KernelSources:
    proc: str = "/proc"
    iptables_save: str | None = None  # a saved `iptables-save` output
    kube_proxy_config: str | None = None  # KubeProxyConfiguration or its ConfigMap as YAML
    run_iptables_save: bool = False  # only for the host itself (root "/")


def read_proc(proc: str, rel: str) -> str | None:
    """A /proc file as text, or None when absent or unreadable. Only regular files are opened."""
    path = os.path.join(proc, rel)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path, "rb") as handle:
            return handle.read(PROC_LIMIT).decode("utf-8", "replace")
    except OSError:
        return None


def collect_kernel(sources: KernelSources, root: Any = None) -> KernelEvidence:
    """Read every item; `root` is the SafeRoot the audit reads (for kube-proxy's config)."""
    if not os.path.isdir(sources.proc):
        raise InputError(
            f"--proc {sources.proc}: not a directory",
            path=sources.proc,
            hint="give the proc filesystem (/proc) or a copy of its files",
        )
    evidence = KernelEvidence(proc=sources.proc)
    _read_counters(evidence)
    rules_text = _iptables_text(sources, evidence)
    if rules_text is not None:
        evidence.notrack = notrack_dns_rules(rules_text, evidence.iptables_source or "")
    evidence.kube_proxy = _kube_proxy(sources, root, rules_text, evidence)
    return evidence


def _read_counters(evidence: KernelEvidence) -> None:
    proc = evidence.proc
    release = read_proc(proc, "sys/kernel/osrelease")
    evidence.release = release.strip() if release else None
    version = read_proc(proc, "version")
    evidence.version = version.strip() if version else None
    uptime = read_proc(proc, "uptime")
    evidence.uptime = _first_float(uptime)
    stat_text = read_proc(proc, CONNTRACK_STAT)
    if stat_text is None:
        evidence.skipped["conntrack"] = (
            f"{evidence.path(CONNTRACK_STAT)} is not readable: nf_conntrack is not loaded in this "
            "network namespace (no connection tracking, so no conntrack race)"
        )
    else:
        evidence.conntrack = parse_conntrack_stat(stat_text, evidence.path(CONNTRACK_STAT))
    evidence.conntrack_count = _int(read_proc(proc, CONNTRACK_COUNT))
    evidence.conntrack_max = _int(read_proc(proc, CONNTRACK_MAX))
    if evidence.conntrack_count is None or evidence.conntrack_max is None:
        evidence.skipped["conntrack_table"] = (
            f"{evidence.path(CONNTRACK_COUNT)} or nf_conntrack_max is not readable"
        )
    snmp = read_proc(proc, "net/snmp")
    evidence.udp = parse_snmp(snmp) if snmp else {}
    if not evidence.udp:
        evidence.skipped["udp"] = f"no Udp: counters in {evidence.path('net/snmp')}"
    snmp6 = read_proc(proc, "net/snmp6")
    evidence.udp6 = parse_snmp6(snmp6) if snmp6 else {}


def _iptables_text(sources: KernelSources, evidence: KernelEvidence) -> str | None:
    if sources.iptables_save is not None:
        try:
            with open(sources.iptables_save, "rb") as handle:
                data = handle.read(IPTABLES_LIMIT)
        except OSError as exc:
            raise InputError(
                f"cannot read --iptables-save {sources.iptables_save}: {exc.strerror}",
                path=sources.iptables_save,
                hint="give the output of `iptables-save` saved to a file",
            ) from exc
        evidence.iptables_source = sources.iptables_save
        return data.decode("utf-8", "replace")
    binary = shutil.which("iptables-save") if sources.run_iptables_save else None
    if binary is None:
        why = "no iptables-save on this host" if sources.run_iptables_save else "not the host root"
        evidence.skipped["iptables"] = f"{why}: give --iptables-save FILE to read the rules"
        return None
    try:
        done = subprocess.run(
            [binary], capture_output=True, timeout=20, check=False, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        evidence.skipped["iptables"] = f"iptables-save failed: {exc}"
        return None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()[:200]
        evidence.skipped["iptables"] = f"iptables-save exited {done.returncode}: {message}"
        return None
    evidence.iptables_source = "iptables-save (run on this host)"
    return done.stdout[:IPTABLES_LIMIT].decode("utf-8", "replace")


def _kube_proxy(
    sources: KernelSources, root: Any, rules_text: str | None, evidence: KernelEvidence
) -> KubeProxyMode | None:
    if sources.kube_proxy_config is not None:
        try:
            with open(sources.kube_proxy_config, encoding="utf-8", errors="replace") as handle:
                text = handle.read(PROC_LIMIT)
        except OSError as exc:
            raise InputError(
                f"cannot read --kube-proxy-config {sources.kube_proxy_config}: {exc.strerror}",
                path=sources.kube_proxy_config,
                hint="give kube-proxy's config.conf or `kubectl -n kube-system get cm "
                "kube-proxy -o yaml` saved to a file",
            ) from exc
        found = kube_proxy_from_config(text, sources.kube_proxy_config)
        if found is not None:
            return found
    if root is not None:
        text = root.read_text(KUBE_PROXY_CONFIG)
        found = kube_proxy_from_config(text, KUBE_PROXY_CONFIG) if text else None
        if found is not None:
            return found
    ipvs = read_proc(evidence.proc, "net/ip_vs")
    from_rules = kube_proxy_from_iptables(rules_text, evidence.iptables_source or "")
    if from_rules is not None:
        return from_rules
    if ipvs is not None and len(ipvs.splitlines()) > 3:  # a header of 3 lines, then services
        return KubeProxyMode("ipvs", evidence.path("net/ip_vs"), 0, "IPVS virtual services exist")
    evidence.skipped["kube_proxy"] = "no kube-proxy configuration or rules found"
    return None


def _int(text: str | None) -> int | None:
    value = (text or "").strip()
    return int(value) if value.isdigit() else None


def _first_float(text: str | None) -> float | None:
    parts = (text or "").split()
    try:
        return float(parts[0]) if parts else None
    except ValueError:
        return None
