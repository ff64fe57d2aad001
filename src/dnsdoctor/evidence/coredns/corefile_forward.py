"""The `forward` and `proxy` plugins of a Corefile: which zone goes to which upstream, and why.

`forward FROM TO... { options }`: each TO is an address (`10.0.0.2`, `10.0.0.2:5353`,
`[2001:db8::1]:53`, `tls://9.9.9.9`) or a file in resolv.conf format (`/etc/resolv.conf`), of
which CoreDNS takes every `nameserver` line (search and options ignored). At most 15 TOs.
The deprecated `proxy FROM TO...` has the same shape.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dnsdoctor.evidence.coredns.corefile_syntax import Location
from dnsdoctor.evidence.coredns.corefile_tree import Directive, ServerBlock, ServerKey

FORWARDING_PLUGINS = ("forward", "proxy")
MAX_UPSTREAMS = 15  # forward's own limit ("more than 15 TOs configured")
# Defaults of the forward plugin (plugin/forward/README.md, setup.go).
FORWARD_DEFAULTS = {"max_fails": "2", "health_check": "0.5s", "policy": "random", "expire": "10s"}
_TRANSPORTS = {"dns": 53, "tls": 853, "grpc": 443, "https": 443}
NODELOCAL_UPSTREAMS = "__PILLAR__UPSTREAM__SERVERS__"


@dataclass(frozen=True, slots=True)
class Upstream:
    text: str  # as written (after any placeholder we could resolve)
    kind: str  # "address" | "file" (resolv.conf format) | "placeholder" (unresolved)
    transport: str  # dns | tls | grpc | https
    host: str | None  # the IP address, for kind "address"
    port: int | None
    location: Location

    @property
    def address(self) -> str:
        """`host:port` as CoreDNS's metrics and logs name it (`[v6]:port` for IPv6)."""
        if self.host is None:
            return self.text
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def reads_resolv_conf(self) -> bool:
        """A resolv.conf-format file: CoreDNS's own (the pod's) copy, read at start and reload.
        NodeLocal DNSCache's upstream placeholder becomes /etc/resolv.conf unless the kube-dns
        ConfigMap sets upstreamNameservers."""
        return self.kind == "file" or self.text == NODELOCAL_UPSTREAMS

    @classmethod
    def parse(cls, text: str, location: Location) -> Upstream:
        if "__PILLAR__" in text or "{$" in text or "{%" in text:
            return cls(text, "placeholder", "dns", None, None, location)
        transport, sep, rest = text.partition("://")
        if not sep:
            transport, rest = "dns", text
        transport = transport.lower()
        host, port = _host_port(rest)
        if host is None:
            return cls(text, "file", transport, None, None, location)
        return cls(
            text, "address", transport, host, port or _TRANSPORTS.get(transport, 53), location
        )


def _host_port(text: str) -> tuple[str | None, int | None]:
    """An IP with an optional port, as Go's net.SplitHostPort would take it; None if not an IP."""
    port_text = ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else rest
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host = text
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None, None
    if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
        return None, None
    return str(address), int(port_text) if port_text else None


@dataclass(frozen=True)
class ForwardSpec:
    """One forward (or proxy) plugin in one server block."""

    plugin: str
    server: ServerBlock
    from_zone: str
    to: tuple[Upstream, ...]
    except_zones: tuple[str, ...]
    options: Mapping[str, Directive]  # option name -> its line (the last, if repeated)
    directive: Directive

    @property
    def location(self) -> Location:
        return self.directive.location

    @property
    def served_by(self) -> tuple[ServerKey, ...]:
        return self.server.keys

    def option(self, name: str) -> tuple[str, ...] | None:
        found = self.options.get(name)
        return None if found is None else found.arg_texts

    def setting(self, name: str) -> str:
        """An option's first argument, or forward's default for it ("" when none)."""
        given = self.option(name)
        if given:
            return given[0]
        return FORWARD_DEFAULTS.get(name, "") if self.plugin == "forward" else ""

    def to_dict(self) -> dict[str, object]:
        return {
            "plugin": self.plugin,
            "server": self.server.label,
            "from": self.from_zone,
            "to": [
                {"text": u.text, "kind": u.kind, "address": u.address, "at": str(u.location)}
                for u in self.to
            ],
            "except": list(self.except_zones),
            "options": {k: list(d.arg_texts) for k, d in self.options.items()},
            "at": str(self.location),
        }


def forward_specs(servers: Iterable[ServerBlock]) -> list[ForwardSpec]:
    return [
        _spec(server, plugin)
        for server in servers
        for plugin in server.plugins
        if plugin.name in FORWARDING_PLUGINS and plugin.args
    ]


def _spec(server: ServerBlock, plugin: Directive) -> ForwardSpec:
    from_arg, *targets = plugin.args
    options = {d.name: d for d in plugin.block or ()}
    excepted = tuple(a for d in plugin.children("except") for a in d.arg_texts)
    return ForwardSpec(
        plugin.name,
        server,
        _zone(from_arg.text),
        tuple(Upstream.parse(t.text, t.location) for t in targets),
        excepted,
        options,
        plugin,
    )


def _zone(text: str) -> str:
    zone = text.lower()
    return zone if zone.endswith(".") or "/" in zone else zone + "."
