"""cloud-init's share of resolv.conf: its network config and the resolv_conf module.

Two paths lead from cloud-init to resolv.conf (see ../shared/seed/README.md, part 1):
- the network config (v1 `config:` list with `subnets[].dns_nameservers` and `type: nameserver`
  entries; v2, netplan's schema, `nameservers: {addresses, search}`), from `network:` in
  /etc/cloud/cloud.cfg(.d), the NoCloud seed's `network-config`, or the datasource (recorded in
  /var/lib/cloud/instance/network-config.json). cloud-init renders it at every boot (netplan
  50-cloud-init.yaml, ifupdown 50-cloud-init, or sysconfig, which writes /etc/resolv.conf itself
  with `; Created by cloud-init ...`). Static subnets carry servers; on DHCP subnets the DHCP
  client provides them and cloud-init leaves resolv.conf alone.
- `manage_resolv_conf: true` with `resolv_conf: {nameservers, searchdomains, domain, options}`
  (cloud config or user data): the resolv_conf module writes /etc/resolv.conf from its template,
  once per instance.

Every file is parsed with YAML's composer (JSON is YAML), so each value keeps its line number.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from dnsdoctor.evidence.node.resolv_conf import ResolvConf
from dnsdoctor.evidence.node.rootfs import SafeRoot
from dnsdoctor.evidence.node.sources import MAX_FILES_PER_DIR, Claim

CFG = "/etc/cloud/cloud.cfg"
CFG_DIR = "/etc/cloud/cloud.cfg.d"
USER_DATA = (
    "/var/lib/cloud/seed/nocloud/user-data",
    "/var/lib/cloud/seed/nocloud-net/user-data",
    "/var/lib/cloud/instance/user-data.txt",
)
NETWORK_CONFIGS = (
    "/var/lib/cloud/seed/nocloud/network-config",
    "/var/lib/cloud/seed/nocloud-net/network-config",
    "/var/lib/cloud/instance/network-config.json",
)
MODULE_HEADER = "configured with 'manage-resolv-conf' set to true"
SYSCONFIG_HEADER = "Created by cloud-init on instance boot automatically"
V2_GROUPS = ("ethernets", "bonds", "bridges", "vlans", "wifis", "tunnels")
DHCP_SUBNETS = ("dhcp", "dhcp4", "dhcp6", "ipv6_dhcpv6-stateful", "ipv6_dhcpv6-stateless")
RESOLV_CONF_KINDS = {"nameservers": "nameserver", "searchdomains": "search", "domain": "search"}


@dataclass(frozen=True, slots=True)
class _Doc:
    path: str
    node: yaml.MappingNode
    lines: list[str]

    def claim(self, kind: str, node: yaml.Node, how: str) -> Claim:
        number = node.start_mark.line + 1
        text = self.lines[number - 1].strip() if number <= len(self.lines) else ""
        return Claim(kind, str(getattr(node, "value", "")), self.path, number, text, how)


def _docs(root: SafeRoot) -> list[_Doc]:
    """cloud.cfg, its drop-ins (sorted, as cloud-init merges them), user data, network configs."""
    names = root.listdir(CFG_DIR, limit=MAX_FILES_PER_DIR) or []
    paths = [CFG, *(f"{CFG_DIR}/{n}" for n in names if n.endswith(".cfg"))]
    docs = []
    for path in [*paths, *USER_DATA, *NETWORK_CONFIGS]:
        text = root.read_text(path)
        if text is None:
            continue
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            continue  # user data may be a shell script or MIME: not cloud config
        if isinstance(node, yaml.MappingNode):
            docs.append(_Doc(path, node, text.splitlines()))
    return docs


def _get(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if getattr(k, "value", None) == key:
                return k, v
    return None


def _items(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return [n for n in node.value if isinstance(n, yaml.ScalarNode)]
    if isinstance(node, yaml.ScalarNode) and node.value:
        # `address: 10.0.0.2` or `dns_search: a.example b.example`: one node, split later
        return [node]
    return []


def read_cloudinit(root: SafeRoot) -> list[Claim]:
    docs = _docs(root)
    claims: list[Claim] = []
    for doc in docs:
        network = _get(doc.node, "network")
        config = network[1] if network else (doc.node if _get(doc.node, "version") else None)
        if config is not None:
            claims += _network_claims(doc, config)
    claims += _resolv_conf_module(docs)
    return claims


def _split(doc: _Doc, kind: str, node: yaml.Node, how: str) -> list[Claim]:
    claim = doc.claim(kind, node, how)
    return [Claim(kind, v, claim.path, claim.line, claim.text, how) for v in claim.value.split()]


def _network_claims(doc: _Doc, config: yaml.Node) -> list[Claim]:
    version = _get(config, "version")
    if version and str(getattr(version[1], "value", "")) == "2":
        return _v2_claims(doc, config)
    entries = _get(config, "config")
    if entries is None or not isinstance(entries[1], yaml.SequenceNode):
        return []
    claims: list[Claim] = []
    for entry in entries[1].value:
        kind_node = _get(entry, "type")
        kind = str(getattr(kind_node[1], "value", "")) if kind_node else ""
        if kind == "nameserver":
            how = "cloud-init network config v1 (global nameserver entry)"
            for key, claim_kind in (("address", "nameserver"), ("search", "search")):
                found = _get(entry, key)
                for item in _items(found[1]) if found else []:
                    claims += _split(doc, claim_kind, item, how)
            continue
        name = _get(entry, "name")
        device = str(getattr(name[1], "value", "")) if name else "device"
        subnets = _get(entry, "subnets")
        for subnet in (
            subnets[1].value if subnets and isinstance(subnets[1], yaml.SequenceNode) else []
        ):
            claims += _v1_subnet(doc, subnet, device)
    return claims


def _v1_subnet(doc: _Doc, subnet: yaml.Node, device: str) -> list[Claim]:
    type_node = _get(subnet, "type")
    subnet_type = str(getattr(type_node[1], "value", "")) if type_node else "static"
    dhcp = "DHCP" if subnet_type in DHCP_SUBNETS else "static"
    how = f"cloud-init network config v1 ({device}, {dhcp} subnet)"
    claims: list[Claim] = []
    for key, kind in (("dns_nameservers", "nameserver"), ("dns_search", "search")):
        found = _get(subnet, key)
        for item in _items(found[1]) if found else []:
            claims += _split(doc, kind, item, how)
    return claims


def _v2_claims(doc: _Doc, config: yaml.Node) -> list[Claim]:
    claims: list[Claim] = []
    for group in V2_GROUPS:
        devices = _get(config, group)
        if devices is None or not isinstance(devices[1], yaml.MappingNode):
            continue
        for key, device in devices[1].value:
            dhcp4 = _get(device, "dhcp4")
            on = dhcp4 is not None and str(dhcp4[1].value).lower() in ("true", "yes", "on")
            how = f"cloud-init network config v2 ({key.value}, {'dhcp4' if on else 'static'})"
            servers = _get(device, "nameservers")
            for field, kind in (("addresses", "nameserver"), ("search", "search")):
                found = _get(servers[1], field) if servers else None
                for item in _items(found[1]) if found else []:
                    claims += _split(doc, kind, item, how)
    return claims


def manage_flag(docs: list[_Doc]) -> tuple[bool, str]:
    """`manage_resolv_conf` as cloud-init merges it (the last file setting it wins)."""
    value, where = False, ""
    for doc in docs:
        found = _get(doc.node, "manage_resolv_conf")
        if found:
            value = str(found[1].value).lower() in ("true", "yes", "on")
            where = f"{doc.path}:{found[0].start_mark.line + 1}"
    return value, where


def _resolv_conf_module(docs: list[_Doc]) -> list[Claim]:
    managed, where = manage_flag(docs)
    if not managed:
        return []  # cc_resolv_conf does nothing without manage_resolv_conf: true
    claims: list[Claim] = []
    how = f"cloud-init resolv_conf module (manage_resolv_conf: true at {where})"
    for doc in docs:
        settings = _get(doc.node, "resolv_conf")
        if settings is None:
            continue
        for key, kind in RESOLV_CONF_KINDS.items():
            found = _get(settings[1], key)
            for item in _items(found[1]) if found else []:
                claims += _split(doc, kind, item, how)
    return claims


def describe(root: SafeRoot, path: str, conf: ResolvConf | None) -> tuple[str, str] | None:
    head = "\n".join(conf.lines[:3]) if conf else ""
    if MODULE_HEADER in head:
        _, where = manage_flag(_docs(root))
        return "cloud-init resolv_conf module", (
            "written by cloud-init's resolv_conf module once per instance, at its first boot, "
            f"from `resolv_conf:` (manage_resolv_conf: true at {where or 'an unknown file'}); "
            "not rewritten at later boots unless a DHCP client or resolvconf takes over"
        )
    if SYSCONFIG_HEADER in head:
        return "cloud-init (sysconfig renderer)", (
            "rewritten by cloud-init's network renderer at every boot from the instance's "
            "network config when it has static nameservers; on DHCP subnets cloud-init leaves "
            "the file to the DHCP client"
        )
    return None
