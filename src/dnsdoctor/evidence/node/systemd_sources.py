"""systemd's share of resolv.conf: systemd-resolved and systemd-networkd.

resolved writes two files: `/run/systemd/resolve/stub-resolv.conf` (only `nameserver 127.0.0.53`,
its own stub) and `/run/systemd/resolve/resolv.conf` (the uplink servers it knows: `DNS=` from
resolved.conf and its drop-ins, plus per-link servers from networkd, DHCP or NetworkManager).
Which of the two /etc/resolv.conf links to decides whether programs see the stub or the uplinks;
kubeadm points kubelet at the second on resolved hosts, so CoreDNS does not forward to itself.
"""

from __future__ import annotations

from dnsdoctor.evidence.node.rootfs import SafeRoot
from dnsdoctor.evidence.node.sources import MAX_FILES_PER_DIR, Claim, resolv_conf_claims

RESOLVED_CONF = "/etc/systemd/resolved.conf"
RESOLVED_DROPIN_DIRS = (
    "/etc/systemd/resolved.conf.d",
    "/run/systemd/resolved.conf.d",
    "/usr/lib/systemd/resolved.conf.d",
    "/lib/systemd/resolved.conf.d",
)
RESOLVED_GENERATED = (
    "/run/systemd/resolve/stub-resolv.conf",
    "/run/systemd/resolve/resolv.conf",
)
NETWORKD_DIRS = ("/etc/systemd/network", "/run/systemd/network", "/usr/lib/systemd/network")
NETWORKD_LEASES = "/run/systemd/netif/leases"
STUB_ADDRESSES = frozenset({"127.0.0.53", "127.0.0.54"})


def _numbered(root: SafeRoot, path: str) -> list[tuple[int, str]]:
    text = root.read_text(path)
    return [] if text is None else list(enumerate(text.splitlines(), 1))


def _conf_files(root: SafeRoot, directory: str, suffix: str) -> list[str]:
    names = root.listdir(directory, limit=MAX_FILES_PER_DIR) or []
    return [f"{directory}/{n}" for n in names if n.endswith(suffix)]


def _ini_values(
    root: SafeRoot, path: str, section: str, keys: dict[str, str], how: str
) -> list[Claim]:
    """`Key=a b c` lines inside `[section]` of a systemd unit-style file."""
    claims: list[Claim] = []
    current = ""
    for number, line in _numbered(root, path):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
            continue
        if current != section or "=" not in stripped or stripped.startswith(("#", ";")):
            continue
        key, _, value = stripped.partition("=")
        kind = keys.get(key.strip())
        if kind is None:
            continue
        for word in value.split():
            address = word.split("#", 1)[0]  # DNS=1.1.1.1#cloudflare-dns.com: server name
            claims.append(Claim(kind, address, path, number, stripped, f"{how} {key.strip()}="))
    return claims


def read_resolved(root: SafeRoot) -> list[Claim]:
    keys = {"DNS": "nameserver", "Domains": "search"}
    paths = [RESOLVED_CONF]
    for directory in RESOLVED_DROPIN_DIRS:
        paths += _conf_files(root, directory, ".conf")
    claims: list[Claim] = []
    for path in paths:
        claims += _ini_values(root, path, "Resolve", keys, "resolved.conf")
    for path in RESOLVED_GENERATED:
        name = path.rsplit("/", 1)[1]
        claims += resolv_conf_claims(
            path, _numbered(root, path), f"written by systemd-resolved ({name})"
        )
    return claims


def read_networkd(root: SafeRoot) -> list[Claim]:
    keys = {"DNS": "nameserver", "Domains": "search"}
    claims: list[Claim] = []
    for directory in NETWORKD_DIRS:
        for path in _conf_files(root, directory, ".network"):
            claims += _ini_values(root, path, "Network", keys, "systemd-networkd")
    for path in _conf_files(root, NETWORKD_LEASES, ""):
        for number, line in _numbered(root, path):
            key, _, value = line.partition("=")
            kind = {"DNS": "nameserver", "DOMAINNAME": "search", "DOMAIN_SEARCH_LIST": "search"}
            if key in kind:
                claims += [
                    Claim(kind[key], a, path, number, line, "networkd DHCP lease", dynamic=True)
                    for a in value.split()
                ]
    return claims
