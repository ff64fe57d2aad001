"""The client's resolver settings, read from its resolv.conf the way each library reads it.

musl 1.2.3 (`src/network/resolvconf.c`, `__get_resolv_conf`): at most 3 nameservers, `options`
with `ndots:` (max 15), `attempts:` (max 10, 0 means 1), `timeout:` (max 60); defaults ndots 1,
attempts 2, timeout 5; `search`/`domain` give the search list. glibc 2.36 (`resolv/res_init.c`):
also at most 3 nameservers (MAXNS), `timeout:` max 30 (RES_MAXRETRANS), `attempts:` max 5
(RES_MAXRETRY), `ndots:` max 15, defaults timeout 5 (RES_TIMEOUT), attempts 2 (RES_DFLRETRY),
ndots 1, plus the flags `rotate`, `single-request`, `single-request-reopen`, `use-vc`, `no-aaaa`.
Unknown lines and options are ignored, as both libraries do; a file that is not text is an
InputError.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

from dnsdoctor.errors import InputError

MAXNS = 3
_GLIBC_FLAGS = ("rotate", "single-request", "single-request-reopen", "use-vc", "no-aaaa")


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
    """What the file says, before each library applies its own limits."""

    nameservers: tuple[str, ...]
    search: tuple[str, ...]
    options: tuple[tuple[str, str | None], ...]  # ("timeout", "1"), ("rotate", None)
    path: str

    def for_musl(self) -> ResolverSettings:
        ndots, attempts, timeout = 1, 2, 5
        for key, value in self.options:
            number = _number(value)
            if number is None:
                continue
            if key == "ndots":
                ndots = min(number, 15)
            elif key == "attempts":
                attempts = max(min(number, 10), 1)
            elif key == "timeout":
                timeout = min(number, 60)
        return ResolverSettings(
            self.nameservers[:MAXNS] or ("127.0.0.1",),
            self.search,
            ndots,
            attempts,
            timeout,
            frozenset(),
            self.path,
        )

    def for_glibc(self) -> ResolverSettings:
        ndots, attempts, timeout = 1, 2, 5
        flags: set[str] = set()
        for key, value in self.options:
            number = _number(value)
            if key in _GLIBC_FLAGS and value is None:
                flags.add(key)
            elif number is None:
                continue
            elif key == "ndots":
                ndots = min(number, 15)
            elif key == "attempts":
                attempts = max(min(number, 5), 1)
            elif key == "timeout":
                timeout = max(min(number, 30), 1)
        return ResolverSettings(
            self.nameservers[:MAXNS] or ("127.0.0.1",),
            self.search,
            ndots,
            attempts,
            timeout,
            frozenset(flags),
            self.path,
        )


def _number(value: str | None) -> int | None:
    if value is None:
        return None
    digits = ""
    for char in value:
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits else None


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
    return ResolvConf(tuple(nameservers), search, tuple(options), path)


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
