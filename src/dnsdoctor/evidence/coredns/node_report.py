"""A saved node report (`dnsdoctor node --format json`) read back as the node evidence.

`dnsdoctor coredns --node-report FILE` takes it instead of `--node-root DIR`, for when the node's
files cannot be reached from where CoreDNS's logs are read. The report keeps, per traced file,
each nameserver, search domain and option with its line and origins (file:line and mechanism),
and kubelet's resolvConf; from these the NodeAudit the CoreDNS rules read is rebuilt. The files'
comments are not in the report: a rebuilt resolv.conf has its settings on their own line
numbers and blank lines elsewhere.
"""

from __future__ import annotations

import json
from typing import Any

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.node.bundle import NodeAudit
from dnsdoctor.evidence.node.kubelet import KubeletResolv
from dnsdoctor.evidence.node.provenance import Provenance, TracedEntry
from dnsdoctor.evidence.node.resolv_conf import ResolvConf, parse_resolv_conf
from dnsdoctor.evidence.node.sources import Claim

_MAX_BYTES = 32 << 20
_MAX_LINE = 10_000  # a line number past this in a report is damage, not a resolv.conf
_KEYWORD = {"nameserver": "nameserver", "search": "search", "option": "options"}
_HINT = "give the output of `dnsdoctor node --root DIR --format json`"


def load_node_report(path: str) -> NodeAudit:
    """Raises InputError for an unreadable file or one that is not a node report."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read(_MAX_BYTES)
    except OSError as exc:
        raise InputError(
            f"cannot read node report {path}: {exc.strerror or exc}", path=path, hint=_HINT
        ) from exc
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{path}: not JSON ({exc})", path=path, hint=_HINT) from exc
    if not isinstance(document, dict) or not isinstance(document.get("provenance"), list):
        raise InputError(f"{path}: not a node report (no `provenance` list)", path=path, hint=_HINT)
    try:
        return _audit(document, path)
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise InputError(
            f"{path}: damaged node report ({type(exc).__name__}: {exc})", path=path, hint=_HINT
        ) from exc


def _audit(document: dict[str, Any], path: str) -> NodeAudit:
    provenance = [_provenance(item) for item in document["provenance"]]
    audit = NodeAudit(root=str(document.get("root") or f"node report {path}"))
    audit.provenance = provenance
    audit.resolv = provenance[0].conf if provenance else None
    audit.kubelet = _kubelet(document.get("kubelet"))
    audit.pod_resolv = pod_resolv_of(provenance, audit.kubelet)
    return audit


def _provenance(item: dict[str, Any]) -> Provenance:
    asked = str(item["asked"])
    entries = [_entry(e) for e in item.get("entries") or []]
    conf = _rebuild(str(item.get("path") or asked), entries) if item.get("exists") else None
    prov = Provenance(
        asked, None, conf, str(item.get("manager", "")), str(item.get("regenerated", ""))
    )
    prov.entries = entries
    upstream = item.get("upstream")
    prov.upstream = _provenance(upstream) if isinstance(upstream, dict) else None
    return prov


def _entry(item: dict[str, Any]) -> TracedEntry:
    origins = tuple(
        Claim(
            str(o["kind"]),
            str(o["value"]),
            str(o["path"]),
            int(o["line"]),
            str(o.get("text", "")),
            str(o.get("mechanism", "")),
            bool(o.get("dynamic", False)),
        )
        for o in item.get("origins") or []
    )
    return TracedEntry(str(item["kind"]), str(item["value"]), int(item["line"]), origins)


def _rebuild(path: str, entries: list[TracedEntry]) -> ResolvConf:
    """The settings of the file back on their lines (search domains and options of one line
    joined again); comments and unknown lines come back blank."""
    lines: dict[int, list[str]] = {}
    for entry in entries:
        keyword = _KEYWORD.get(entry.kind)
        if keyword is None or not 0 < entry.line <= _MAX_LINE:
            continue
        words = lines.setdefault(entry.line, [keyword])
        if words[0] == keyword:
            words.append(entry.value)
    last = max(lines, default=0)
    text = "\n".join(" ".join(lines.get(n, [])) for n in range(1, last + 1))
    return parse_resolv_conf(text + "\n" if text else "", path)


def _kubelet(item: Any) -> KubeletResolv | None:
    if not isinstance(item, dict):
        return None
    return KubeletResolv(
        str(item.get("resolv_conf", "/etc/resolv.conf")),
        item.get("source"),
        str(item.get("text", "")),
        bool(item.get("kubelet_found", False)),
    )


def pod_resolv_of(provenance: list[Provenance], kubelet: KubeletResolv | None) -> Any:
    """The parsed file a dnsPolicy Default pod (CoreDNS) gets: kubelet's resolvConf when a
    kubelet configuration says which, else /etc/resolv.conf."""
    if kubelet is not None and kubelet.kubelet_found:
        for prov in provenance:
            if kubelet.path in (prov.asked, prov.path):
                return prov.conf
        if kubelet.path != "/etc/resolv.conf":
            return None  # kubelet's file was not traced: do not guess
    return provenance[0].conf if provenance else None
