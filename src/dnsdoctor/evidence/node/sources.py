"""Every file under a root that can put a nameserver, search domain or option into resolv.conf.

Each reader returns `Claim`s: "this file, this line, says nameserver X, through this mechanism".
`provenance.py` then matches the effective resolv.conf against them. A claim is `dynamic` when it
records what a DHCP server handed out (leases, and resolvconf records written by a DHCP client
hook) and static when a person or an image put it in a file.

Readers never fail: a file they cannot parse yields the claims found before the damage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from dnsdoctor.evidence.node.rootfs import SafeRoot

RESOLVCONF_DIR = "/etc/resolvconf/resolv.conf.d"
RESOLVCONF_RECORDS = "/run/resolvconf/interface"
# dhclient names its resolvconf records <iface>.dhclient; dhcpcd uses <iface>.dhcp, .dhcp6, .ra
DHCP_RECORD = re.compile(r"\.(dhclient|dhcpcd|dhcp|dhcp6|ra|pump|udhcpc)$")
MAX_FILES_PER_DIR = 200


@dataclass(frozen=True, slots=True)
class Claim:
    kind: str  # "nameserver" | "search" | "option"
    value: str
    path: str  # inside the root
    line: int
    text: str
    mechanism: str  # "resolvconf base", "dhclient.conf prepend", "DHCP lease", ...
    dynamic: bool = False

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "value": self.value,
            "path": self.path,
            "line": self.line,
            "text": self.text,
            "mechanism": self.mechanism,
            "dynamic": self.dynamic,
        }


def _lines(root: SafeRoot, path: str) -> list[tuple[int, str]]:
    text = root.read_text(path)
    return [] if text is None else list(enumerate(text.splitlines(), 1))


def _files(root: SafeRoot, directory: str, suffix: str = "") -> list[str]:
    names = root.listdir(directory, limit=MAX_FILES_PER_DIR) or []
    return [f"{directory}/{n}" for n in names if n.endswith(suffix) and not n.startswith(".")]


def resolv_conf_claims(
    path: str, numbered: list[tuple[int, str]], mechanism: str, dynamic: bool = False
) -> list[Claim]:
    """Claims from a file in resolv.conf syntax (resolvconf's base/head/tail, its records)."""
    claims = []
    for number, line in numbered:
        words = line.split()
        if len(words) < 2 or words[0].startswith(("#", ";")):
            continue
        kind = {"nameserver": "nameserver", "search": "search", "domain": "search"}.get(words[0])
        if kind == "nameserver":
            claims.append(Claim(kind, words[1], path, number, line, mechanism, dynamic))
        elif kind == "search":
            claims += [Claim(kind, d, path, number, line, mechanism, dynamic) for d in words[1:]]
        elif words[0] == "options":
            claims += [
                Claim("option", o, path, number, line, mechanism, dynamic) for o in words[1:]
            ]
    return claims


def read_resolvconf(root: SafeRoot) -> list[Claim]:
    claims: list[Claim] = []
    for part in ("head", "base", "tail", "original"):
        path = f"{RESOLVCONF_DIR}/{part}"
        claims += resolv_conf_claims(path, _lines(root, path), f"resolvconf {part}")
    for path in _files(root, RESOLVCONF_RECORDS):
        record = path.rsplit("/", 1)[1]
        dynamic = bool(DHCP_RECORD.search(record))
        how = f"resolvconf record {record}" + (" (written by a DHCP client)" if dynamic else "")
        claims += resolv_conf_claims(path, _lines(root, path), how, dynamic)
    return claims


_DHCLIENT_STATEMENT = re.compile(
    r"^\s*(supersede|prepend|append|default)\s+(domain-name-servers|domain-search|domain-name)\s+(.*?);",
)


def read_dhclient(root: SafeRoot) -> list[Claim]:
    """dhclient.conf supersede/prepend/append/default and the leases dhclient recorded."""
    claims: list[Claim] = []
    for path in ("/etc/dhcp/dhclient.conf", "/etc/dhcp3/dhclient.conf"):
        for number, line in _lines(root, path):
            code = line.split("#", 1)[0]
            match = _DHCLIENT_STATEMENT.match(code)
            if match:
                verb, option, values = match.groups()
                claims += _dhcp_values(option, values, path, number, line, f"dhclient.conf {verb}")
    for directory in ("/var/lib/dhcp", "/var/lib/dhclient"):
        for path in _files(root, directory, ".leases"):
            claims += _lease_claims(path, _lines(root, path))
    return claims


def _dhcp_values(
    option: str, values: str, path: str, number: int, line: str, how: str, dynamic: bool = False
) -> list[Claim]:
    kind = "nameserver" if option == "domain-name-servers" else "search"
    items = [v.strip().strip('"') for v in re.split(r"[,\s]+", values) if v.strip().strip('"')]
    return [Claim(kind, v, path, number, line.strip(), how, dynamic) for v in items]


def _lease_claims(path: str, numbered: list[tuple[int, str]]) -> list[Claim]:
    claims: list[Claim] = []
    pattern = re.compile(r"^\s*option\s+(domain-name-servers|domain-search|domain-name)\s+(.*?);")
    for number, line in numbered:
        match = pattern.match(line)
        if match:
            option, values = match.groups()
            claims += _dhcp_values(option, values, path, number, line, "DHCP lease", dynamic=True)
    return claims


def read_ifupdown(root: SafeRoot) -> list[Claim]:
    """`dns-nameservers`/`dns-search` in ifupdown stanzas (ifupdown's resolvconf hook feeds them
    to resolvconf when the interface comes up), with the stanza's method for context."""
    claims: list[Claim] = []
    paths = ["/etc/network/interfaces", *_files(root, "/etc/network/interfaces.d")]
    for path in paths:
        stanza = ""
        for number, line in _lines(root, path):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            if words[0] == "iface" and len(words) >= 4:
                stanza = f"{words[1]} {words[2]} {words[3]}"
            elif words[0] in ("dns-nameservers", "dns-nameserver"):
                how = f"ifupdown dns-nameservers ({stanza or 'no iface'})"
                claims += [
                    Claim("nameserver", a, path, number, line.strip(), how) for a in words[1:]
                ]
            elif words[0] in ("dns-search", "dns-domain"):
                how = f"ifupdown {words[0]} ({stanza or 'no iface'})"
                claims += [Claim("search", d, path, number, line.strip(), how) for d in words[1:]]
    return claims


def read_netplan(root: SafeRoot) -> list[Claim]:
    """`nameservers: {addresses, search}` under any netplan device, with YAML line numbers."""
    claims: list[Claim] = []
    for directory in ("/etc/netplan", "/run/netplan", "/lib/netplan"):
        for path in _files(root, directory, ".yaml"):
            text = root.read_text(path)
            if text is None:
                continue
            try:
                node = yaml.compose(text, Loader=yaml.SafeLoader)
            except yaml.YAMLError:
                continue
            lines = text.splitlines()
            claims += _netplan_claims(node, path, lines, ())
    return claims


def _netplan_claims(
    node: object, path: str, lines: list[str], keys: tuple[str, ...]
) -> list[Claim]:
    """Walk the document; a `nameservers` or `dhcp4`/`dhcp6` key belongs to the device above it."""
    if not isinstance(node, yaml.MappingNode) or len(keys) > 8:
        return []
    claims: list[Claim] = []
    device = keys[-1] if keys else ""
    for key, value in node.value:
        name = str(getattr(key, "value", ""))
        if name == "nameservers" and isinstance(value, yaml.MappingNode):
            claims += _netplan_nameservers(value, path, lines, device)
        elif name in ("dhcp4", "dhcp6") and getattr(value, "value", "") in ("true", "yes", "on"):
            number = key.start_mark.line + 1
            text = lines[number - 1].strip() if number <= len(lines) else ""
            claims.append(Claim("dhcp", device, path, number, text, f"netplan {name}"))
        else:
            claims += _netplan_claims(value, path, lines, (*keys, name))
    return claims


def _netplan_nameservers(
    node: yaml.MappingNode, path: str, lines: list[str], device: str
) -> list[Claim]:
    claims = []
    for key, value in node.value:
        kind = {"addresses": "nameserver", "search": "search"}.get(str(key.value))
        if kind is None or not isinstance(value, yaml.SequenceNode):
            continue
        for item in value.value:
            number = item.start_mark.line + 1
            text = lines[number - 1].strip() if number <= len(lines) else ""
            how = f"netplan nameservers ({device or 'device'})"
            claims.append(Claim(kind, str(item.value), path, number, text, how))
    return claims
