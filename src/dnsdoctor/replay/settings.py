"""The client's resolver settings, read from its resolv.conf the way each library reads it.

How musl and glibc read the file (line rules, the first 3 nameservers, caps on ndots, timeout and
attempts, flags) lives in one place, `dnsdoctor.evidence.node.resolv_conf`, which `dnsdoctor
node` uses too; this module turns those readings into what the models need. Two replay-specific
floors are applied on top: musl treats `attempts:0` as 1 (its retry interval divides by it) and
glibc never waits 0 s. Go reads the file itself (`go_1_19.go_settings`), from the raw keywords
kept here. A file that is not text is an InputError.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.node import resolv_conf as libc_reading

MAXNS = libc_reading.MAXNS
_MODEL_FLAGS = frozenset({"rotate", "single-request", "single-request-reopen", "use-vc", "no-aaaa"})
_NO_NAMESERVER = ("127.0.0.1",)  # both libraries' fallback when the file names none


@dataclass(frozen=True, slots=True)
class ResolverSettings:
    """One library's view of resolv.conf. `nameservers` None: take them from the capture."""

    nameservers: tuple[str, ...] | None = None
    search: tuple[str, ...] = ()
    ndots: int = 1
    attempts: int = 2
    timeout: int = 5
    flags: frozenset[str] = frozenset()
    source: str = "documented defaults"


@dataclass(frozen=True, slots=True)
class ResolvConf:
    """The file: its raw keywords (for Go's own reader) and how musl and glibc read it."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    options: tuple[tuple[str, str | None], ...]  # ("timeout", "1"), ("rotate", None)
    path: str
    reading: libc_reading.ResolvConf

    def for_musl(self) -> ResolverSettings:
        return _settings(self.reading.musl, self.path, frozenset(), min_timeout=0)

    def for_glibc(self) -> ResolverSettings:
        view = self.reading.glibc
        flags = frozenset(k for k, v in view.options.items() if v is True and k in _MODEL_FLAGS)
        return _settings(view, self.path, flags, min_timeout=1)


def _settings(
    view: libc_reading.LibcView, path: str, flags: frozenset[str], min_timeout: int
) -> ResolverSettings:
    servers = tuple(s.value.split("%", 1)[0] for s in view.nameservers)
    return ResolverSettings(
        servers or _NO_NAMESERVER,
        tuple(s.value for s in view.search),
        int(view.setting("ndots")),
        max(int(view.setting("attempts")), 1),
        max(int(view.setting("timeout")), min_timeout),
        flags,
        path,
    )


def parse_resolv_conf(text: str, path: str = "resolv.conf") -> ResolvConf:
    nameservers: list[str] = []
    search: tuple[str, ...] = ()
    options: list[tuple[str, str | None]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        words = line.split()
        if not words:
            continue
        keyword, rest = words[0], words[1:]
        if keyword == "nameserver" and rest and _is_address(rest[0]):
            nameservers.append(rest[0].split("%", 1)[0])
        elif keyword in ("search", "domain"):
            search = tuple(rest[:6]) if keyword == "search" else tuple(rest[:1])
        elif keyword == "options":
            for word in rest:
                key, sep, value = word.partition(":")
                options.append((key, value if sep else None))
    reading = libc_reading.parse_resolv_conf(text, path)
    return ResolvConf(tuple(nameservers), search, tuple(options), path, reading)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


def read_resolv_conf(path: str | os.PathLike[str]) -> ResolvConf:
    name = os.fspath(path)
    try:
        data = open(name, "rb").read()  # noqa: SIM115 - a small file, read at once
    except OSError as exc:
        raise InputError(
            f"{name}: cannot read the resolv.conf: {exc.strerror}",
            path=name,
            hint="give the client's resolv.conf (from inside the pod: cat /etc/resolv.conf)",
        ) from exc
    if b"\0" in data:
        raise InputError(
            f"{name}: not a text file", path=name, hint="give the client's /etc/resolv.conf"
        )
    return parse_resolv_conf(data.decode("utf-8", errors="replace"), name)
