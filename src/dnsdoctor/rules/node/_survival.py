"""Why a statically configured nameserver comes back, per mechanism (DD301's last clause).

Each entry matches the start of a `Claim.mechanism` written by a source reader under
`evidence/node/` and says, in words a user acts on, what puts the server back into the file
after it is removed by hand. Keyed on mechanisms, never on paths: any profile, drop-in or
container file that uses the mechanism gets the same explanation with its own names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _networkmanager(how: str, prov: Any) -> str:
    section = how.partition("[")[2].partition("]")[0] or "ipv4"
    if "ignore-auto-dns" in how:
        merge = "in place of the DHCP servers (ignore-auto-dns)"
    elif "method=auto" in how or "method=dhcp" in how:
        merge = "beside the servers of the DHCP lease"
    else:
        merge = "as the connection's static servers"
    return (
        f"NetworkManager applies the profile's {section} dns= {merge} each time the connection "
        f"activates and rewrites {prov.path} at every lease change"
    )


def _dhcpcd(how: str, prov: Any) -> str:
    return (
        "dhcpcd puts its `static domain_name_servers` in place of the DHCP server's list at "
        f"every lease (BOUND, RENEW, REBIND), and its resolv.conf hook writes it back into "
        f"{prov.path}"
    )


def _cloudinit_network(how: str, prov: Any) -> str:
    detail = how.partition("(")[2].rstrip(")")
    return (
        f"cloud-init renders this network config at every boot ({detail}), so the server is "
        "written back after any edit by hand"
    )


def _cloudinit_module(how: str, prov: Any) -> str:
    where = how.partition("at ")[2].rstrip(")")
    return (
        f"cloud-init's resolv_conf module wrote it at the instance's first boot "
        f"(manage_resolv_conf: true at {where}), and every new instance of the image writes it "
        "again"
    )


def _docker_daemon(how: str, prov: Any) -> str:
    return (
        "dockerd writes daemon.json's dns into every container's resolv.conf when the "
        "container starts, in place of the host's servers, so containers keep it whatever the "
        "host file says"
    )


def _docker_run(how: str, prov: Any) -> str:
    return (
        "dockerd writes the container's --dns servers (kept in its hostconfig.json) into its "
        "resolv.conf at every start of that container"
    )


SURVIVAL: tuple[tuple[str, Callable[[str, Any], str]], ...] = (
    ("NetworkManager profile", _networkmanager),
    ("dhcpcd.conf static", _dhcpcd),
    ("cloud-init network config", _cloudinit_network),
    ("cloud-init resolv_conf module", _cloudinit_module),
    ("Docker daemon.json", _docker_daemon),
    ("docker run --dns", _docker_run),
)


def why_survives(origin: Any, prov: Any) -> str | None:
    """The explanation for `origin`'s mechanism, or None when no entry knows it."""
    for prefix, explain in SURVIVAL:
        if origin.mechanism.startswith(prefix):
            return explain(origin.mechanism, prov)
    return None
