"""DD302 nameserver-outside-policy.

What it detects:
A nameserver in a resolv.conf under the root (or in the uplink file behind systemd-resolved's
stub) that lies outside every address and network given with `--expect`.

Why it matters:
A policy states which resolvers a node may use (the VPC resolver, a NodeLocal DNSCache address).
Anything else is either stray (a decommissioned server left in an image, as in the incident this
project exists for) or a path around monitoring and DNS filtering. glibc falls back to it when the
first server fails, musl queries it every time, and CoreDNS forwards about 1/N of its queries
there.

Evidence:
resolv.conf under the root, its provenance, and the `--expect` list.

Example:
nameserver 10.225.30.181 (/etc/resolv.conf line 7) is outside --expect 172.16.0.2/32;
it comes from /etc/resolvconf/resolv.conf.d/base:1.

Fix:
Remove the server from the file its provenance names, or widen `--expect` if it is intended.

False positives:
systemd-resolved's stub (127.0.0.53) is not judged itself: its uplinks are. Loopback caches such
as NodeLocal DNSCache need their address in `--expect`.

References:
resolv.conf(5); ../shared/seed/README.md part 1.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._common import STUB_ADDRESSES, claim_evidence, line_evidence, traced_files


class NameserverOutsidePolicy(CheckRule[Any]):
    code = "DD302"
    name = "nameserver-outside-policy"
    severity = Severity.ERROR
    source = "node"
    evidence_kinds = ("resolv.conf", "--expect")

    def check(self, audit: Any) -> Iterable[Finding | Skipped]:
        if not audit.expect:
            yield self.skipped("no --expect given")
            return
        networks = [ipaddress.ip_network(n, strict=False) for n in audit.expect]
        for prov in traced_files(audit):
            for entry in prov.entries:
                if entry.kind != "nameserver" or entry.value in STUB_ADDRESSES:
                    continue
                if _inside(entry.value, networks):
                    continue
                origins = ", ".join(o.where for o in entry.origins) or "no known source file"
                summary = (
                    f"nameserver {entry.value} ({prov.path}:{entry.line}) is outside --expect "
                    f"{','.join(audit.expect)}; it comes from {origins}"
                )
                evidence = [line_evidence(prov, entry.line, "nameserver outside policy")]
                evidence += [claim_evidence(o) for o in entry.origins]
                fix = f"Remove {entry.value} where it comes from, or add it to --expect."
                yield self.finding(summary, evidence=tuple(evidence), impact=1.0, fix=fix)


def _inside(address: str, networks: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in networks)
