"""NetworkManager's share of resolv.conf: connection profiles, its DHCP leases, its own files.

NetworkManager (NM) writes `/run/NetworkManager/resolv.conf` (what it would put in
/etc/resolv.conf) and `/run/NetworkManager/no-stub-resolv.conf` (the real upstreams when a local
cache, dnsmasq or systemd-resolved, sits in front) on every connection activation and DHCP lease
change. Whether /etc/resolv.conf follows depends on `[main] dns=` and `rc-manager=` in
NetworkManager.conf and its conf.d drop-ins (NetworkManager.conf(5)): `dns=none`,
`rc-manager=unmanaged` or an immutable /etc/resolv.conf leave it alone; `symlink` (the default
here) writes a regular file or a link to NM's own file but leaves any other symlink alone.

The servers come from the active profiles (keyfiles: `[ipv4] dns=a;b;`, `dns-search=`, with
`method=auto` they join the DHCP servers unless `ignore-auto-dns=true`) and from DHCP: NM's
dhclient backend keeps `dhclient-<uuid>-<iface>.lease` files in dhclient's own format.
"""

from __future__ import annotations

import re

from dnsdoctor.evidence.node.resolv_conf import ResolvConf
from dnsdoctor.evidence.node.rootfs import SafeRoot
from dnsdoctor.evidence.node.sources import MAX_FILES_PER_DIR, Claim

PROFILE_DIRS = (
    "/etc/NetworkManager/system-connections",
    "/run/NetworkManager/system-connections",
    "/usr/lib/NetworkManager/system-connections",
)
CONF = "/etc/NetworkManager/NetworkManager.conf"
CONF_DIRS = (
    "/usr/lib/NetworkManager/conf.d",
    "/run/NetworkManager/conf.d",
    "/etc/NetworkManager/conf.d",
)  # NM reads them in this order; a later key wins
LEASE_DIRS = ("/var/lib/NetworkManager",)
NM_RESOLV = "/run/NetworkManager/resolv.conf"
NM_NO_STUB = "/run/NetworkManager/no-stub-resolv.conf"
_LEASE_OPTION = re.compile(r"^\s*option\s+(domain-name-servers|domain-search|domain-name)\s+(.*?);")


def _numbered(root: SafeRoot, path: str) -> list[tuple[int, str]]:
    text = root.read_text(path)
    return [] if text is None else list(enumerate(text.splitlines(), 1))


def _names(root: SafeRoot, directory: str) -> list[str]:
    names = root.listdir(directory, limit=MAX_FILES_PER_DIR) or []
    return [f"{directory}/{n}" for n in names if not n.startswith(".")]


def _sections(numbered: list[tuple[int, str]]) -> list[tuple[str, str, str, int, str]]:
    """(section, key, value, line number, line) of every `key=value` in a GLib key file."""
    found = []
    section = ""
    for number, line in numbered:
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1].strip()
        elif "=" in stripped and not stripped.startswith(("#", ";")):
            key, _, value = stripped.partition("=")
            found.append((section, key.strip(), value.strip(), number, stripped))
    return found


def read_networkmanager(root: SafeRoot) -> list[Claim]:
    claims: list[Claim] = []
    for directory in PROFILE_DIRS:
        for path in _names(root, directory):
            claims += _profile_claims(path, _numbered(root, path))
    for directory in LEASE_DIRS:
        for path in _names(root, directory):
            if path.endswith(".lease"):
                claims += _lease_claims(path, _numbered(root, path))
    return claims


def _profile_claims(path: str, numbered: list[tuple[int, str]]) -> list[Claim]:
    entries = _sections(numbered)
    values = {(s, k): v for s, k, v, _, _ in entries}
    name = values.get(("connection", "id")) or path.rsplit("/", 1)[1]
    claims = []
    for section, key, value, number, line in entries:
        kind = {"dns": "nameserver", "dns-search": "search", "dns-options": "option"}.get(key)
        if section not in ("ipv4", "ipv6") or kind is None:
            continue
        method = values.get((section, "method"), "auto")
        ignore = values.get((section, "ignore-auto-dns"), "false").lower() in ("true", "yes", "1")
        how = f"NetworkManager profile {name!r} [{section}] {key}= (method={method}"
        how += ", ignore-auto-dns)" if ignore else ")"
        claims += [Claim(kind, v, path, number, line, how) for v in _list(value)]
    return claims


def _list(value: str) -> list[str]:
    # GLib lists end with ';'; old profiles used ',' too
    return [v.strip() for v in re.split(r"[;,]", value) if v.strip()]


def _lease_claims(path: str, numbered: list[tuple[int, str]]) -> list[Claim]:
    """dhclient-format leases (NM's dhclient backend) and the KEY=value leases of old internal
    clients (`DNS=`, `DOMAINNAME=`); the nettools client keeps only the address."""
    claims = []
    for number, line in numbered:
        match = _LEASE_OPTION.match(line)
        if match:
            option, raw = match.groups()
            kind = "nameserver" if option == "domain-name-servers" else "search"
            items = [v.strip().strip('"') for v in re.split(r"[,\s]+", raw)]
            claims += [
                Claim(kind, v, path, number, line.strip(), "DHCP lease", True) for v in items if v
            ]
            continue
        key, _, value = line.partition("=")
        kind_for = {"DNS": "nameserver", "DOMAINNAME": "search", "DOMAIN_SEARCH_LIST": "search"}
        if key in kind_for:
            claims += [
                Claim(kind_for[key], v, path, number, line, "DHCP lease", True)
                for v in value.split()
            ]
    return claims


def nm_settings(root: SafeRoot) -> dict[str, tuple[str, str]]:
    """`dns` and `rc-manager` from `[main]`, each with the file:line that set it last."""
    paths = [CONF]
    for directory in CONF_DIRS:
        paths += [p for p in _names(root, directory) if p.endswith(".conf")]
    settings: dict[str, tuple[str, str]] = {}
    for path in paths:
        for section, key, value, number, _line in _sections(_numbered(root, path)):
            if section == "main" and key in ("dns", "rc-manager"):
                settings[key] = (value, f"{path}:{number}")
    return settings


def describe(root: SafeRoot, path: str, conf: ResolvConf | None) -> tuple[str, str] | None:
    """NM as the manager of `path`: its own files, or a file whose header says NM wrote it."""
    header = "\n".join(conf.lines[:3]) if conf else ""
    if path not in (NM_RESOLV, NM_NO_STUB) and "Generated by NetworkManager" not in header:
        return None
    settings = nm_settings(root)
    dns, dns_at = settings.get("dns", ("default", "unset"))
    rc, rc_at = settings.get("rc-manager", ("symlink", "unset"))
    said = f"dns={dns} ({dns_at}), rc-manager={rc} ({rc_at})"
    if dns == "none" or rc == "unmanaged":
        return "NetworkManager (stopped)", (
            f"written by NetworkManager earlier; with {said} it no longer rewrites "
            "/etc/resolv.conf, so the file keeps what it had"
        )
    if path == NM_NO_STUB:
        when = "the upstream servers NM pushes to its local cache"
    else:
        when = "the servers of the active connection profiles and their DHCP leases"
    return "NetworkManager", (
        f"rewritten by NetworkManager ({said}) on every connection activation and DHCP lease "
        f"change, from {when}; an immutable /etc/resolv.conf makes NM treat it as unmanaged"
    )
