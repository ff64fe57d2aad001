"""DD311 resolv-conf-immutable.

What it detects:
The file /etc/resolv.conf leads to (after its symlinks, inside the root) carries the immutable
(`chattr +i`) or append-only (`chattr +a`) inode flag, read with the FS_IOC_GETFLAGS ioctl as
`lsattr` does.

Why it matters:
Freezing resolv.conf is a common workaround against a manager that "keeps overwriting" it. It
also freezes the servers: resolvconf, dhclient-script, dhcpcd and cloud-init fail to write it
(EPERM, often only in a log) and NetworkManager silently switches to `rc-manager=unmanaged`.
When the DHCP server's resolvers change, or a server in the file is decommissioned (the seed's
stray server), the host keeps asking the old ones, and so does every pod that inherits the file.

Evidence:
The inode flags of the effective resolv.conf, and the manager that would rewrite it.

Example:
/etc/resolv.conf is immutable (chattr +i): resolvconf can no longer rewrite it, so its servers
10.225.30.181, 172.16.0.2 stay whatever they were when it was frozen.

Fix:
`chattr -i /etc/resolv.conf`, then fix the cause of the unwanted rewrite at its source (the file
and line dnsdoctor names for each server) and regenerate the file.

False positives:
An appliance or image that freezes the file on purpose and never gets DNS from DHCP.
Not checked (no finding) for roots reached through /proc/<pid>/root or filesystems without inode
flags (overlayfs on old kernels, tmpfs before Linux 6.0).

References:
chattr(1) (`i`, `a`); NetworkManager.conf(5) (`rc-manager`: an immutable resolv.conf means
unmanaged); ioctl_iflags(2) (FS_IOC_GETFLAGS).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dnsdoctor.model import Finding, LineEvidence, Severity, Skipped
from dnsdoctor.rules.check import CheckRule


class ResolvConfImmutable(CheckRule[Any]):
    code = "DD311"
    name = "resolv-conf-immutable"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("resolv.conf", "inode flags")

    def check(self, audit: Any) -> Iterable[Finding | Skipped]:
        host = (audit.provenance or [None])[0]
        flags = getattr(host, "flags", None)
        if flags is None or flags.immutable is None:
            reason = flags.note if flags is not None else "no resolv.conf could be read"
            yield self.skipped(f"inode flags of resolv.conf: {reason}")
            return
        if not (flags.immutable or flags.append_only):
            return
        servers = [e.value for e in host.entries if e.kind == "nameserver"]
        flag = "immutable (chattr +i)" if flags.immutable else "append-only (chattr +a)"
        writer = host.manager if host.manager != "plain file" else "any DHCP client or cloud-init"
        summary = (
            f"{flags.path} is {flag}: {writer} can no longer rewrite it, so its servers "
            f"{', '.join(servers) or '(none)'} stay whatever they were when it was frozen"
        )
        evidence = (LineEvidence(flags.path, 1, host.conf.line_text(1), flag),)
        fix = (
            f"chattr -{'i' if flags.immutable else 'a'} {flags.path}, fix what rewrote it at its "
            "source, then regenerate the file."
        )
        yield self.finding(summary, evidence=evidence, impact=1.0, fix=fix)
