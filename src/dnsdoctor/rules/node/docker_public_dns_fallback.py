"""DD310 docker-public-dns-fallback.

What it detects:
Docker runs on this root, the resolv.conf dockerd builds containers' files from lists only
loopback nameservers (a local dnsmasq or unbound at 127.0.0.1, a stub with no uplink file), and
daemon.json sets no `dns`. Containers on the default bridge then get Docker's built-in public
resolvers 8.8.8.8 and 8.8.4.4 instead of the host's. Container files that already hold them are
cited (Docker 25+ marks them "# Used default nameservers.").

Why it matters:
A container cannot reach the host's loopback, so dockerd drops those servers and falls back to
Google's public DNS. Where outbound DNS is blocked (most corporate and many cloud networks),
every lookup in those containers times out; where it is allowed, internal names do not resolve
and queries leave the network. Containers on user-defined networks are not affected: their
embedded DNS (127.0.0.11) reaches host-loopback servers from the host's namespace (Docker 25+).

Evidence:
The host's resolv.conf (or systemd-resolved's uplink file, which dockerd prefers when the host
file is only the 127.0.0.53 stub), /etc/docker/daemon.json, and
`<data-root>/containers/<id>/resolv.conf` with its hostconfig.json.

Example:
Containers on Docker's default bridge get the public resolvers 8.8.8.8 and 8.8.4.4: dockerd
builds their resolv.conf from /etc/resolv.conf, whose only nameserver 127.0.0.1 (line 2) is
loopback, and /etc/docker/daemon.json sets no dns; seen in container legacy-app.

Fix:
Set `"dns": ["<the host's real upstream>"]` in /etc/docker/daemon.json (for a local cache, an
address of the host on the docker0 bridge that the cache listens on) and restart dockerd, or run
the containers on a user-defined network.

False positives:
A network where 8.8.8.8 is reachable and no internal names are needed: the fallback works, but
it still bypasses the host's resolver. Hosts with only user-defined networks are not affected.

References:
Docker documentation "Networking overview: DNS services"; moby
`libnetwork/internal/resolvconf` (TransformForLegacyNw, defaultNSAddrs); moby issue #23910
("Docker should use the host network DNS server").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dnsdoctor.model import Finding, LineEvidence, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._common import claim_evidence, line_evidence

FALLBACK = ("8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844")


class DockerPublicDnsFallback(CheckRule[Any]):
    code = "DD310"
    name = "docker-public-dns-fallback"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("resolv.conf", "daemon.json", "container resolv.conf")

    def check(self, audit: Any) -> Iterable[Finding | Skipped]:
        host = (audit.provenance or [None])[0]
        scan = getattr(host, "containers", None)
        if scan is None or not scan.docker_found:
            yield self.skipped("no Docker configuration or data root under the root")
            return
        if scan.daemon_dns and any(c.kind == "nameserver" for c in scan.daemon_dns):
            return  # daemon.json's dns replaces the host's servers: no fallback
        seen = [f for f in scan.files if f.network == "default bridge" and _fallback(f.prov)]
        if not scan.loopback_only and not seen:
            return
        yield self._finding(scan, seen)

    def _finding(self, scan: Any, seen: list[Any]) -> Finding:
        loopback = scan.loopback_lines
        if loopback:
            lines = ", ".join(f"{c.value} (line {c.line})" for c in loopback)
            why = f"whose nameservers {lines} are all loopback"
        else:
            why = "which lists no nameserver a container can reach"
        summary = (
            "Containers on Docker's default bridge get the public resolvers 8.8.8.8 and 8.8.4.4: "
            f"dockerd builds their resolv.conf from {scan.docker_reads or '/etc/resolv.conf'}, "
            f"{why}, and /etc/docker/daemon.json sets no dns"
        )
        if seen:
            summary += "; seen in " + ", ".join(f.owner for f in seen)
        evidence: list[LineEvidence] = [claim_evidence(c, "loopback nameserver") for c in loopback]
        for found in seen:
            entry = next(e for e in found.prov.entries if e.value in FALLBACK)
            evidence.append(
                line_evidence(found.prov, entry.line, f"public fallback ({found.owner})")
            )
        fix = (
            'Set "dns" in /etc/docker/daemon.json to a resolver containers can reach (for a local '
            "cache, an address on docker0 it listens on), restart dockerd and the containers; or "
            "use a user-defined network, whose embedded DNS reaches host-loopback servers."
        )
        return self.finding(
            summary, evidence=tuple(evidence), impact=float(len(seen) or 1), fix=fix
        )


def _fallback(prov: Any) -> bool:
    servers = [e.value for e in prov.entries if e.kind == "nameserver"]
    return bool(servers) and all(s in FALLBACK for s in servers)
