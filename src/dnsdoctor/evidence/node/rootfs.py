"""Read files under a root directory as if chrooted into it, without trusting anything in it.

A container's root or an unpacked image is hostile input: a symlink may point at `../../etc/shadow`
or at `/proc/self/root/...`, a "resolv.conf" may be a FIFO that blocks a reader forever or a
device node, and a directory may hold a million entries. `SafeRoot` walks every path one component
at a time with directory file descriptors (`openat` with `O_NOFOLLOW`), resolving symlinks itself
the way the kernel would inside a chroot: an absolute target restarts at the root, a relative one
continues where the link is. It refuses, and records why:

- `..` that would climb above the root (a chroot would clamp it; we refuse, because a root that
  tries it is telling us something),
- any symlink that lives on procfs (`/proc/<pid>/root`, `fd/*`, `cwd`, `exe`: "magic" links that
  the kernel resolves outside the name space, so following them by name would leave the root),
- more than `MAX_SYMLINKS` symlinks in one lookup (the kernel's ELOOP limit), or paths deeper than
  `MAX_DEPTH` components,
- anything but a regular file when reading (FIFOs, sockets, devices are never opened),
- files larger than the caller's limit, directories with more than the caller's entry limit.

Nothing under the root is executed or loaded; files are only read. The API is small and stable
(other collectors use it): `resolve`, `read_text`, `read_bytes`, `listdir`, `is_file`, `is_dir`,
and the `refused` list.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass

from dnsdoctor.errors import InputError

MAX_SYMLINKS = 40  # Linux's limit for one path lookup
MAX_DEPTH = 64  # components in one path
MAX_LINK_TARGET = 4096
DEFAULT_TEXT_LIMIT = 1 << 20  # 1 MiB: any resolver config is far smaller
DEFAULT_LIST_LIMIT = 1000
MAX_REFUSALS = 200  # the refused list itself is bounded: a root cannot flood the report
PROC_SUPER_MAGIC = 0x9FA0

_DIR_FLAGS = os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True, slots=True)
class SymlinkHop:
    """One symlink followed: `link` (a path inside the root) pointed at `target` (as written)."""

    link: str
    target: str


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where a path inside the root leads: its final path (inside the root) and the hops taken."""

    path: str  # absolute, inside the root: "/run/systemd/resolve/stub-resolv.conf"
    chain: tuple[SymlinkHop, ...]
    exists: bool  # False: the last component is missing (a dangling symlink, for instance)


@dataclass(frozen=True, slots=True)
class Refusal:
    path: str  # the path asked for, inside the root
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Missing(Exception):
    """A component is missing: `path` is where the lookup was heading (lexically), `chain` the
    symlinks followed before that."""

    def __init__(self, path: str = "", chain: tuple[SymlinkHop, ...] = ()) -> None:
        super().__init__(path)
        self.path = path
        self.chain = chain


def _fs_type(fd: int) -> int | None:
    """statfs f_type of an open fd (first field of struct statfs on Linux), None if unknown."""
    libc = _libc()
    if libc is None:
        return None
    buf = ctypes.create_string_buffer(256)  # larger than struct statfs on every Linux ABI
    if libc.fstatfs(fd, buf) != 0:
        return None
    return int(ctypes.c_long.from_buffer(buf).value)


_LIBC: list[ctypes.CDLL | None] = []


def _libc() -> ctypes.CDLL | None:
    if not _LIBC:
        name = ctypes.util.find_library("c")
        _LIBC.append(ctypes.CDLL(name, use_errno=True) if name else None)
    return _LIBC[0]


class SafeRoot:
    """A root directory (host `/`, a container root, an unpacked image) read as if chrooted."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        try:
            # The root itself may be a magic link (/proc/<pid>/root): following it here is the
            # point; nothing *inside* the root is followed that way.
            self._root_fd = os.open(self.path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise InputError(
                f"{self.path}: cannot open as a root directory ({exc.strerror})",
                path=self.path,
                hint="give --root a directory (a mounted image or a container's root)",
            ) from exc
        self.refused: list[Refusal] = []

    def close(self) -> None:
        if self._root_fd >= 0:
            os.close(self._root_fd)
            self._root_fd = -1

    def __enter__(self) -> SafeRoot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    # -- public API ----------------------------------------------------------------------------

    def resolve(self, rel: str) -> Resolved | None:
        """Follow `rel` inside the root. None when missing on the way or refused (then recorded)."""
        try:
            with self._walk(rel) as (_parent, name, logical, chain):
                exists = name is None or self._lstat(_parent, name) is not None
                return Resolved(logical, tuple(chain), exists)
        except _Refused as exc:
            self._refuse(rel, exc.reason)
        except _Missing as missing:
            if missing.path:
                return Resolved(missing.path, missing.chain, False)
        return None

    def read_bytes(self, rel: str, limit: int, *, partial: bool = False) -> bytes | None:
        """A regular file's bytes. Larger than `limit`: refused, or the first `limit` bytes when
        `partial`. None when missing or refused (refusals are recorded)."""
        try:
            with self._walk(rel) as (parent, name, _logical, _chain):
                return self._read_regular(parent, name, limit, partial)
        except _Refused as exc:
            self._refuse(rel, exc.reason)
        except _Missing:
            pass
        return None

    def read_text(self, rel: str, limit: int = DEFAULT_TEXT_LIMIT) -> str | None:
        """A regular file decoded as UTF-8 (bad bytes replaced), or None (see `read_bytes`)."""
        data = self.read_bytes(rel, limit)
        return None if data is None else data.decode("utf-8", errors="replace")

    def listdir(self, rel: str, limit: int = DEFAULT_LIST_LIMIT) -> list[str] | None:
        """Sorted entry names of a directory; only the first `limit` names (by sort order) when
        there are more, and that cut is recorded. None when missing, not a directory, or refused."""
        try:
            with self._walk(rel) as (parent, name, _logical, _chain):
                return self._list(rel, parent, name, limit)
        except _Refused as exc:
            self._refuse(rel, exc.reason)
        except _Missing:
            pass
        return None

    def is_file(self, rel: str) -> bool:
        st = self._final_stat(rel)
        return st is not None and stat.S_ISREG(st.st_mode)

    def is_dir(self, rel: str) -> bool:
        st = self._final_stat(rel)
        return st is not None and stat.S_ISDIR(st.st_mode)

    # -- the walk ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _walk(self, rel: str) -> Iterator[tuple[int, str | None, str, list[SymlinkHop]]]:
        """Yield (fd of the final component's directory, final name or None for the root itself,
        the logical path, the symlinks followed). The final component is resolved too when it is
        a symlink; it need not exist."""
        if self._root_fd < 0:
            raise _Refused("root already closed")
        stack: list[tuple[int, str]] = []  # (dir fd, its name) below the root
        pending = _split(rel)
        chain: list[SymlinkHop] = []
        try:
            while pending:
                part = pending.pop(0)
                if part == "..":
                    if not stack:
                        raise _Refused("`..` climbs above the root")
                    os.close(stack.pop()[0])
                    continue
                current = stack[-1][0] if stack else self._root_fd
                st = self._lstat(current, part)
                if st is not None and stat.S_ISLNK(st.st_mode):
                    target = self._follow(current, part, stack, chain)
                    if target.startswith("/"):
                        while stack:
                            os.close(stack.pop()[0])
                    pending[:0] = _split(target)
                    continue
                if not pending:  # the final component: the caller opens or stats it
                    yield current, part, _logical(stack, part), chain
                    return
                if st is None or not stat.S_ISDIR(st.st_mode):  # missing, or ENOTDIR on the way
                    raise _Missing(_heading(stack, part, pending), tuple(chain))
                if len(stack) >= MAX_DEPTH:
                    raise _Refused(f"deeper than {MAX_DEPTH} components")
                stack.append((self._open_dir(current, part), part))
            # The path ended on a directory (`..`, a link to one, or the root itself).
            top = stack[-1][1] if stack else None
            yield _parent_of(self, stack), top, _logical(stack, None), chain
        finally:
            for fd, _ in stack:
                os.close(fd)

    def _follow(
        self, dir_fd: int, name: str, stack: list[tuple[int, str]], chain: list[SymlinkHop]
    ) -> str:
        if len(chain) >= MAX_SYMLINKS:
            raise _Refused(f"more than {MAX_SYMLINKS} symlinks (a loop?)")
        if _fs_type(dir_fd) == PROC_SUPER_MAGIC:
            raise _Refused(f"symlink {_logical(stack, name)} is on procfs (a magic link)")
        try:
            target = os.readlink(name, dir_fd=dir_fd)
        except OSError as exc:
            raise _Refused(f"cannot read symlink {_logical(stack, name)}: {exc.strerror}") from exc
        if not target or len(target) > MAX_LINK_TARGET or "\0" in target:
            raise _Refused(f"symlink {_logical(stack, name)} has an unusable target")
        chain.append(SymlinkHop(_logical(stack, name), target))
        return target

    def _lstat(self, dir_fd: int, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno in (errno.ENOTDIR, errno.ENAMETOOLONG):
                return None
            raise _Refused(f"cannot stat: {exc.strerror}") from exc

    def _open_dir(self, dir_fd: int, name: str) -> int:
        try:
            return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
        except OSError as exc:
            raise _Refused(f"cannot open directory {name!r}: {exc.strerror}") from exc

    def _final_stat(self, rel: str) -> os.stat_result | None:
        try:
            with self._walk(rel) as (parent, name, _logical, _chain):
                return os.fstat(parent) if name is None else self._lstat(parent, name)
        except _Refused as exc:
            self._refuse(rel, exc.reason)
        except _Missing:
            pass
        return None

    def _read_regular(self, parent: int, name: str | None, limit: int, partial: bool) -> bytes:
        if name is None:
            raise _Refused("is a directory")
        st = self._lstat(parent, name)
        if st is None:
            raise _Missing
        if not stat.S_ISREG(st.st_mode):
            raise _Refused(f"not a regular file ({_kind(st.st_mode)}); not opened")
        if st.st_size > limit and not partial:
            raise _Refused(f"{st.st_size} bytes, over the {limit}-byte limit")
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
        try:
            fd = os.open(name, flags, dir_fd=parent)
        except OSError as exc:
            raise _Refused(f"cannot open: {exc.strerror}") from exc
        try:
            again = os.fstat(fd)
            if not stat.S_ISREG(again.st_mode) or again.st_ino != st.st_ino:
                raise _Refused("changed while being read; not read")
            data = _read_upto(fd, limit + 1)
        finally:
            os.close(fd)
        if len(data) > limit:
            if not partial:
                raise _Refused(f"grew past the {limit}-byte limit while being read")
            data = data[:limit]
        return data

    def _list(self, rel: str, parent: int, name: str | None, limit: int) -> list[str] | None:
        if name is not None:
            st = self._lstat(parent, name)
            if st is None or not stat.S_ISDIR(st.st_mode):
                return None
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(name or ".", flags, dir_fd=parent)
        except OSError as exc:
            raise _Refused(f"cannot open directory: {exc.strerror}") from exc
        try:
            names: list[str] = []
            with os.scandir(fd) as entries:
                for entry in entries:
                    if len(names) >= limit * 4:  # enough to sort and cut; never read it all
                        break
                    names.append(entry.name)
        finally:
            os.close(fd)
        names.sort()
        if len(names) > limit:
            self._refuse(rel, f"more than {limit} entries; only the first {limit} read")
            names = names[:limit]
        return names

    def _refuse(self, rel: str, reason: str) -> None:
        if len(self.refused) < MAX_REFUSALS:
            self.refused.append(Refusal(_display(rel), reason))


def _parent_of(root: SafeRoot, stack: list[tuple[int, str]]) -> int:
    """The directory holding the last opened directory (for yielding the root or a directory)."""
    if len(stack) >= 2:
        return stack[-2][0]
    return root._root_fd


def _heading(stack: list[tuple[int, str]], part: str, pending: list[str]) -> str:
    """The path a lookup was heading for when `part` turned out missing (lexical: `..` pops)."""
    parts = [n for _, n in stack]
    for name in (part, *pending):
        if name != "..":
            parts.append(name)
        elif not parts:
            raise _Refused("`..` climbs above the root")
        else:
            parts.pop()
    return "/" + "/".join(parts)


def _split(path: str) -> list[str]:
    return [p for p in path.split("/") if p and p != "."]


def _logical(stack: list[tuple[int, str]], name: str | None) -> str:
    parts = [n for _, n in stack]
    if name is not None:
        parts.append(name)
    return "/" + "/".join(parts)


def _display(rel: str) -> str:
    return rel if rel.startswith("/") else "/" + rel


def _kind(mode: int) -> str:
    for test, label in (
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISDIR, "directory"),
    ):
        if test(mode):
            return label
    return "special file"


def _read_upto(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
