"""What the node rules share: walking the traced files of a NodeAudit and citing their lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dnsdoctor.model import LineEvidence

STUB_ADDRESSES = frozenset({"127.0.0.53", "127.0.0.54"})


def traced_files(audit: Any) -> Iterator[Any]:
    """Every Provenance with a readable file: /etc/resolv.conf, kubelet's, and a stub's uplinks."""
    seen: set[str] = set()
    for prov in audit.provenance or ():
        for item in (prov, prov.upstream):
            if item is not None and item.conf is not None and item.path not in seen:
                seen.add(item.path)
                yield item


def line_evidence(prov: Any, line: int, role: str) -> LineEvidence:
    return LineEvidence(prov.path, line, prov.conf.line_text(line), role)


def claim_evidence(claim: Any, role: str = "") -> LineEvidence:
    text = claim.text if len(claim.text) <= 200 else claim.text[:197] + "..."
    return LineEvidence(claim.path, claim.line, text, role or claim.mechanism)


def kubelet_file(audit: Any) -> Any:
    """The traced file kubelet hands to dnsPolicy: Default pods, or None when no kubelet."""
    kubelet = audit.kubelet
    if kubelet is None or not kubelet.kubelet_found:
        return None
    for prov in audit.provenance or ():
        if kubelet.path in (prov.asked, prov.path) and prov.conf is not None:
            return prov
    return None


def kubelet_evidence(audit: Any) -> list[LineEvidence]:
    kubelet = audit.kubelet
    if kubelet is None or kubelet.source is None:
        return []
    path, _, line = kubelet.source.rpartition(":")
    return [LineEvidence(path, int(line), kubelet.text, "kubelet resolvConf")]
