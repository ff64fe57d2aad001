"""Docker's container resolv.conf files and what they are built from.

dockerd writes `<data-root>/containers/<id>/resolv.conf` when a container starts (and on network
connect/disconnect), bind-mounted as the container's /etc/resolv.conf, from:
- the host's /etc/resolv.conf, or `/run/systemd/resolve/resolv.conf` when the host file holds
  only resolved's stub (libnetwork's resolvconf.Path);
- `dns`, `dns-search`, `dns-opts` in /etc/docker/daemon.json, or `--dns`, `--dns-search`,
  `--dns-option` of that container (hostconfig.json `Dns`, `DnsSearch`, `DnsOptions`), which
  replace the host's values;
- on a user-defined network: `nameserver 127.0.0.11`, the embedded DNS server, which forwards
  to the servers above (Docker 25+ reaches host-loopback servers from the host's namespace);
- on the default bridge: the host's servers minus loopback ones, and when none are left, the
  public resolvers 8.8.8.8 and 8.8.4.4 (moby `libnetwork/internal/resolvconf`, "Used default
  nameservers.").
`resolv.conf.hash` holds the sha256 of what dockerd wrote; when the file no longer matches, it
was edited inside the container and dockerd leaves it alone from then on.
"""

from __future__ import annotations

import hashlib
from typing import Any

from dnsdoctor.evidence.node.container_sources import (
    MAX_JSON,
    ContainerFile,
    ContainerScan,
    JsonDoc,
    Tracer,
    copied_claims,
    is_loopback,
    read_json,
)
from dnsdoctor.evidence.node.rootfs import SafeRoot
from dnsdoctor.evidence.node.sources import MAX_FILES_PER_DIR, Claim

DAEMON_JSON = "/etc/docker/daemon.json"
DEFAULT_DATA_ROOT = "/var/lib/docker"
PUBLIC_FALLBACK = ("8.8.8.8", "8.8.4.4", "2001:4860:4860::8888", "2001:4860:4860::8844")
EMBEDDED_DNS = "127.0.0.11"
STUB = ("127.0.0.53", "127.0.0.54")
BUILTIN_NETWORKS = ("", "default", "bridge", "host", "none")
DAEMON_KEYS = (("dns", "nameserver"), ("dns-search", "search"), ("dns-opts", "option"))
HOSTCONFIG_KEYS = (("Dns", "nameserver"), ("DnsSearch", "search"), ("DnsOptions", "option"))


def scan(root: SafeRoot, host: Any, trace: Tracer, result: ContainerScan) -> None:
    daemon = read_json(root, DAEMON_JSON)
    data_root = DEFAULT_DATA_ROOT
    if daemon is not None:
        configured = daemon.data.get("data-root") if isinstance(daemon.data, dict) else None
        data_root = configured if isinstance(configured, str) and configured else data_root
        for key, kind in DAEMON_KEYS:
            result.daemon_dns += daemon.claims(key, kind, f"Docker daemon.json {key}")
    containers = f"{data_root.rstrip('/')}/containers"
    result.docker_found = daemon is not None or root.is_dir(containers)
    if not result.docker_found:
        return
    source = _docker_reads(host)
    result.docker_reads = source.path if source is not None else ""
    servers = [e for e in (source.entries if source else []) if e.kind == "nameserver"]
    result.loopback_only = not any(":" not in e.value and not is_loopback(e.value) for e in servers)
    result.loopback_lines = [
        Claim("nameserver", e.value, source.path, e.line, source.conf.line_text(e.line), "host")
        for e in servers
        if source is not None and is_loopback(e.value)
    ]
    shared = result.daemon_dns + copied_claims(
        source, f"written by dockerd from the host's {result.docker_reads or 'resolv.conf'}"
    )
    for ident in root.listdir(containers, limit=MAX_FILES_PER_DIR) or []:
        found = _container(root, f"{containers}/{ident}", ident, shared, result, trace)
        if found is not None:
            result.files.append(found)


def _docker_reads(host: Any) -> Any:
    """The host file dockerd reads: resolved's uplinks when /etc/resolv.conf is only the stub."""
    if host is None or host.conf is None:
        return None
    servers = [e.value for e in host.entries if e.kind == "nameserver"]
    if servers and all(s in STUB for s in servers) and host.upstream is not None:
        return host.upstream if host.upstream.conf is not None else host
    return host


def _container(
    root: SafeRoot,
    directory: str,
    ident: str,
    shared: list[Claim],
    scan_: ContainerScan,
    trace: Tracer,
) -> ContainerFile | None:
    path = f"{directory}/resolv.conf"
    if not root.is_file(path):
        return None
    config = read_json(root, f"{directory}/config.v2.json")
    hostconfig = read_json(root, f"{directory}/hostconfig.json")
    network = _network(hostconfig)
    claims = list(shared)
    if hostconfig is not None:
        for key, kind in HOSTCONFIG_KEYS:
            claims += hostconfig.claims(key, kind, f"docker run --dns ({key} in hostconfig.json)")
    if network.startswith("user-defined"):
        line = hostconfig.line_of("NetworkMode") if hostconfig else 0
        how = f"written by dockerd: its embedded DNS server for the {network}"
        claims.append(
            Claim(
                "nameserver",
                EMBEDDED_DNS,
                f"{directory}/hostconfig.json",
                line,
                f"NetworkMode: {network.split()[-1]}",
                how,
            )
        )
    raw = root.read_bytes(path, MAX_JSON) or b""
    if scan_.loopback_only or b"# Used default nameservers." in raw:
        claims += _fallback_claims(scan_)
    prov = trace(root, path, claims, 1)
    prov.owner = f"container {_name(config, ident)}"
    prov.manager = "Docker"
    edited = _edited(root, directory, raw)
    prov.regenerated = _regenerated(network, scan_.docker_reads, edited)
    return ContainerFile("docker", ident, prov.owner, network, prov, edited)


def _fallback_claims(scan_: ContainerScan) -> list[Claim]:
    where = scan_.loopback_lines[0] if scan_.loopback_lines else None
    how = (
        "written by dockerd: its default public resolvers, because the host's file has no "
        "server a default-bridge container can reach"
    )
    path, line, text = (
        (where.path, where.line, where.text) if where else (scan_.docker_reads, 0, "")
    )
    return [Claim("nameserver", a, path, line, text, how) for a in PUBLIC_FALLBACK]


def _network(hostconfig: JsonDoc | None) -> str:
    mode = ""
    if hostconfig is not None and isinstance(hostconfig.data, dict):
        mode = str(hostconfig.data.get("NetworkMode") or "")
    if mode in ("", "default", "bridge"):
        return "default bridge"
    if mode in ("host", "none") or mode.startswith("container:"):
        return mode
    return f"user-defined network {mode}"


def _name(config: JsonDoc | None, ident: str) -> str:
    data = config.data if config is not None and isinstance(config.data, dict) else {}
    labels = (data.get("Config") or {}).get("Labels") or {}
    pod = labels.get("io.kubernetes.pod.name") if isinstance(labels, dict) else None
    if pod:  # dockershim: the pod's containers
        return f"{data.get('Name', '').lstrip('/')} (pod {labels.get('io.kubernetes.pod.namespace')}/{pod})"
    name = str(data.get("Name") or "").lstrip("/")
    return f"{name} ({ident[:12]})" if name else ident[:12]


def _edited(root: SafeRoot, directory: str, raw: bytes) -> bool | None:
    stored = root.read_text(f"{directory}/resolv.conf.hash", 4096)
    if stored is None or not stored.strip():
        return None
    digest = hashlib.sha256(raw).hexdigest()
    return stored.strip().removeprefix("sha256:") != digest


def _regenerated(network: str, reads: str, edited: bool | None) -> str:
    what = f"written by dockerd when the container starts or joins a network, from {reads or 'the host file'}"
    what += " and daemon.json/--dns"
    if network.startswith("user-defined"):
        what += f"; on the {network} programs ask the embedded DNS 127.0.0.11, which forwards there"
    elif network == "default bridge":
        what += "; on the default bridge loopback servers are dropped (public 8.8.8.8/8.8.4.4 if none is left)"
    if edited:
        what += "; edited inside the container since (resolv.conf.hash differs), so dockerd leaves it alone"
    return what
