"""DD301 stray-nameserver.

What it detects:
A nameserver in a resolv.conf that DHCP does not hand out, on a host whose other nameservers do
come from DHCP, put there by a static file: resolvconf's `base`/`head`/`tail`, a `prepend`,
`append` or `supersede` in dhclient.conf, an ifupdown `dns-nameservers` line, a netplan
`nameservers` block, systemd's `DNS=`, a NetworkManager profile's `dns=`, dhcpcd.conf's `static
domain_name_servers`, cloud-init's network config or `resolv_conf`, or Docker's daemon.json
`dns` / `--dns` (in a container's resolv.conf, named with its container or pod). The finding is
one sentence naming the address, the file and line it comes from, and why it survives
regeneration on this host.

Why it matters:
This is part 1 of the incident this project exists for: a decommissioned DNS server left in the
node image's `/etc/resolvconf/resolv.conf.d/base`. resolvconf merges `base` with what DHCP gives
at every boot and lease renewal, so the stray server comes back no matter how often the file is
fixed by hand. glibc asks it when the first server fails; musl asks it every time (harmless when
it is dead); CoreDNS inheriting the file sends it about 1/N of its forwarded queries, which time
out.

Evidence:
The root's resolv.conf (and kubelet's resolvConf), the static source files, and DHCP leases
(`/var/lib/dhcp/*.leases`, networkd leases) that say what DHCP really hands out.

Example:
Nameserver 10.225.30.181 in /run/resolvconf/resolv.conf:7 is not handed out by DHCP (which gives
172.16.0.2) but comes from /etc/resolvconf/resolv.conf.d/base:1; resolvconf appends that file to
every resolv.conf it regenerates ...

Fix:
Remove the line from the file named (and from the image or configuration management that ships
it), then regenerate: `resolvconf -u`, renew the lease, or `netplan apply`.

False positives:
A second resolver configured on purpose next to DHCP's (a local cache, a corporate resolver).
Without a lease file under the root the rule cannot tell DHCP servers apart and stays silent; use
`--expect` to state the intended servers instead.

References:
resolvconf(8) (base, head, tail); dhclient.conf(5) (prepend, supersede); interfaces(5) with
resolvconf's if-up hook; netplan(5) nameservers; ../shared/seed/README.md part 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._common import STUB_ADDRESSES, claim_evidence, line_evidence, traced_files
from dnsdoctor.rules.node._survival import why_survives

LEASES = ("DHCP lease", "networkd DHCP lease")


class StrayNameserver(CheckRule[Any]):
    code = "DD301"
    name = "stray-nameserver"
    severity = Severity.ERROR
    source = "node"
    evidence_kinds = ("resolv.conf", "provenance", "DHCP leases")

    def check(self, audit: Any) -> Iterable[Finding | Skipped]:
        files = list(traced_files(audit))
        if not files:
            yield self.skipped("no resolv.conf could be read under the root")
            return
        claims = files[0].claims
        dhcp = list(
            dict.fromkeys(
                c.value for c in claims if c.kind == "nameserver" and c.mechanism in LEASES
            )
        )
        if not dhcp:
            yield self.skipped("no DHCP lease under the root: cannot tell DHCP servers apart")
            return
        reported: set[str] = set()
        for prov in [*files, *_runtime_files(files[0])]:
            for entry in prov.entries:
                if entry.kind != "nameserver" or entry.value in dhcp or entry.value in reported:
                    continue
                if entry.value in STUB_ADDRESSES:
                    continue
                origin = _static_origin(entry.origins)
                if origin is None:
                    continue
                reported.add(entry.value)
                yield self._finding(prov, entry, origin, dhcp)

    def _finding(self, prov: Any, entry: Any, origin: Any, dhcp: list[str]) -> Finding:
        where = f"{prov.path}:{entry.line}"
        if prov.asked != prov.path:
            where = f"{prov.asked} (-> {prov.path}) line {entry.line}"
        if getattr(prov, "owner", ""):
            where += f" ({prov.owner})"
        sentence = (
            f"Nameserver {entry.value} in {where} is not handed out by DHCP (which gives "
            f"{', '.join(dhcp)}) but comes from {origin.where} ({origin.mechanism}); "
            f"{_why(origin, prov, dhcp)}."
        )
        evidence = [line_evidence(prov, entry.line, "stray nameserver")]
        evidence += [claim_evidence(o) for o in entry.origins]
        fix = (
            f"Delete line {origin.line} of {origin.path} (and fix the image or configuration "
            "that ships it), then regenerate resolv.conf."
        )
        return self.finding(sentence, evidence=tuple(evidence), impact=1.0, fix=fix)


def _runtime_files(host: Any) -> list[Any]:
    """Container and pod resolv.conf files built from the host's (Docker, containerd)."""
    scan = getattr(host, "containers", None)
    return [f.prov for f in scan.files if f.prov.conf is not None] if scan else []


def _static_origin(origins: Iterable[Any]) -> Any:
    """The configuration file behind a value: a static claim outside /run first, then any."""
    static = [o for o in origins if not o.dynamic and not o.mechanism.startswith("written by")]
    persistent = [o for o in static if not o.path.startswith("/run/")]
    return (persistent or static or [None])[0]


def _why(origin: Any, prov: Any, dhcp: list[str]) -> str:
    how = origin.mechanism
    known = why_survives(origin, prov)
    if known is not None:
        return known
    if how.startswith("resolvconf "):
        room = 3 - len(dhcp)
        return (
            f"resolvconf adds that file to every resolv.conf it regenerates from the DHCP lease, "
            f"at boot and at every renewal, and keeps the first 3 distinct servers, which leaves "
            f"room for {room} beyond DHCP's, so editing {prov.path} does not remove it"
        )
    if how.startswith("dhclient.conf "):
        verb = how.split()[1]
        return (
            f"dhclient applies `{verb}` to every lease it gets, so each renewal writes it back "
            f"into {prov.path}"
        )
    if how.startswith("ifupdown"):
        return (
            f"ifupdown's resolvconf hook hands it to resolvconf each time that interface comes up "
            f"({how.partition('(')[2].rstrip(')')}), and resolvconf lists it beside the DHCP servers"
        )
    if how.startswith("netplan"):
        return (
            "netplan renders it as a static DNS= server for that device, which systemd-resolved "
            "lists beside the DHCP servers after every lease"
        )
    return (
        "it is configured statically while the other servers come from DHCP, and the file is "
        "regenerated from both"
    )
