"""Is the effective resolv.conf immutable (`chattr +i`) or append-only (`chattr +a`)?

An immutable resolv.conf is a common "fix" that outlives its reason: resolvconf, dhclient-script,
dhcpcd and cloud-init then fail to write it (EPERM) and the file keeps whatever servers it had
when someone froze it; NetworkManager treats it as `rc-manager=unmanaged` (NetworkManager.conf(5)).

The flag is read with the FS_IOC_GETFLAGS ioctl (what `lsattr` does) on the file opened
read-only. The path is first resolved inside the root by `SafeRoot` (symlinks as if chrooted),
then opened again one component at a time with O_NOFOLLOW from the root, so a link planted
between the two steps makes the check fail instead of leaving the root. Only the host root or a
mounted directory is checked: a root reached through /proc/<pid>/root is not opened this way.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import struct
import sys
from dataclasses import dataclass

from dnsdoctor.evidence.node.rootfs import SafeRoot

# _IOR('f', 1, long): the size field is sizeof(long), so the number differs on 32-bit ABIs
FS_IOC_GETFLAGS = (2 << 30) | (struct.calcsize("l") << 16) | (ord("f") << 8) | 1
FS_IMMUTABLE_FL = 0x00000010
FS_APPEND_FL = 0x00000020
_UNSUPPORTED = (errno.ENOTTY, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS)


@dataclass(frozen=True, slots=True)
class InodeFlags:
    path: str  # inside the root
    immutable: bool | None  # None: not checked (see note)
    append_only: bool | None
    note: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "immutable": self.immutable,
            "append_only": self.append_only,
            "note": self.note,
        }


def inode_flags(root: SafeRoot, rel: str) -> InodeFlags:
    if os.path.abspath(root.path).startswith("/proc/"):
        return InodeFlags(rel, None, None, "not checked: the root is reached through /proc")
    resolved = root.resolve(rel)
    if resolved is None or not resolved.exists:
        return InodeFlags(rel, None, None, "not checked: the file is missing or refused")
    try:
        fd = _open_inside(root.path, resolved.path)
    except OSError as exc:
        return InodeFlags(resolved.path, None, None, f"not checked: {exc.strerror or exc}")
    if fd is None:
        return InodeFlags(resolved.path, None, None, "not checked: not a regular file")
    try:
        raw = fcntl.ioctl(fd, FS_IOC_GETFLAGS, bytes(8))
    except OSError as exc:
        if exc.errno in _UNSUPPORTED:
            return InodeFlags(resolved.path, None, None, "not checked: no inode flags here")
        return InodeFlags(resolved.path, None, None, f"not checked: {exc.strerror}")
    finally:
        os.close(fd)
    flags = int.from_bytes(raw[:4], sys.byteorder)  # the kernel writes an int
    return InodeFlags(resolved.path, bool(flags & FS_IMMUTABLE_FL), bool(flags & FS_APPEND_FL))


def _open_inside(root_path: str, logical: str) -> int | None:
    """Open `logical` (a resolved path inside the root, no symlinks left) read-only, refusing
    any symlink on the way (ELOOP/ENOTDIR raised) and anything but a regular file (None)."""
    parts = [p for p in logical.split("/") if p]
    if not parts or ".." in parts:
        return None
    fds = [os.open(root_path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)]
    try:
        for part in parts[:-1]:
            flags = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
            fds.append(os.open(part, flags, dir_fd=fds[-1]))
        st = os.stat(parts[-1], dir_fd=fds[-1], follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            return None
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        fd = os.open(parts[-1], flags, dir_fd=fds[-1])
        if os.fstat(fd).st_ino != st.st_ino:  # swapped between the stat and the open
            os.close(fd)
            return None
        return fd
    finally:
        for opened in fds:
            with contextlib.suppress(OSError):
                os.close(opened)


def regenerated_note(flags: InodeFlags) -> str:
    """What the flag does to whoever regenerates the file ("" when it is not set)."""
    if flags.immutable:
        return (
            f"; but {flags.path} is immutable (chattr +i): resolvconf, dhclient, dhcpcd and "
            "cloud-init fail to rewrite it and NetworkManager leaves it unmanaged, so it keeps "
            "the servers it had when it was frozen"
        )
    if flags.append_only:
        return f"; but {flags.path} is append-only (chattr +a): rewriting it fails"
    return ""
