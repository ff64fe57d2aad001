"""resolv.conf as glibc and as musl read it: the same file, two different configurations.

The rules below are transcribed from the libraries' parsers, not from resolv.conf(5):

glibc (resolv/res_init.c, 2.26 and later): a keyword counts only at the start of the line and
followed by a space or tab; `#` or `;` first is a comment. `domain` and `search` replace each
other, so only the last one counts (`domain` keeps its first word only). The first 3 (`MAXNS`)
`nameserver` lines count. Lines of any length are read (getline); since 2.26 there is no limit on
search domains. Options: ndots (max 15), timeout (max 30), attempts (max 5), rotate, edns0,
single-request, single-request-reopen, use-vc, trust-ad, no-aaaa (2.36), no-tld-query, no-reload;
unknown options are ignored silently.

musl (src/network/resolvconf.c, 1.1.x to 1.2.5): lines are read with `fgets` into a 256-byte
buffer, and a line that does not fit (255 bytes or more before the newline) is skipped entirely,
whatever it holds. The first 3 nameservers that are IP literals count. The last `search` or
`domain` line counts (all its words, for both keywords). `options` is searched for `ndots:`
(max 15), `attempts:` (max 10) and `timeout:` (max 60) only; every other option is ignored.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

MAXNS = 3
MUSL_LINE_MAX = 254  # bytes before the newline that still fit musl's 256-byte fgets buffer
GLIBC_CAPS = {"ndots": 15, "timeout": 30, "attempts": 5}
MUSL_CAPS = {"ndots": 15, "timeout": 60, "attempts": 10}
DEFAULTS = {"ndots": 1, "timeout": 5, "attempts": 2}
GLIBC_FLAGS = frozenset(
    {
        "rotate",
        "edns0",
        "single-request",
        "single-request-reopen",
        "use-vc",
        "trust-ad",
        "no-aaaa",
        "no-tld-query",
        "no-reload",
        "debug",
        "no-check-names",
        "inet6",
    }
)
MAX_LINES = 10_000  # resolv.conf has a handful; a hostile one is cut here and that is reported


@dataclass(frozen=True, slots=True)
class Setting:
    """One value from one line: a nameserver address, a search domain or an option."""

    kind: str  # "nameserver" | "search" | "option"
    value: str  # "10.0.0.2", "svc.cluster.local", "ndots:5", "rotate"
    line: int


@dataclass(frozen=True, slots=True)
class LineNote:
    """Why one library ignored, clamped or read a line differently."""

    line: int
    note: str


@dataclass(slots=True)
class LibcView:
    """The configuration one C library ends up with."""

    libc: str  # "glibc" | "musl"
    nameservers: list[Setting] = field(default_factory=list)
    search: list[Setting] = field(default_factory=list)
    options: dict[str, int | bool] = field(default_factory=dict)
    option_lines: dict[str, int] = field(default_factory=dict)
    notes: list[LineNote] = field(default_factory=list)

    def setting(self, name: str) -> int | bool:
        return self.options.get(name, DEFAULTS.get(name, False))

    def to_dict(self) -> dict[str, object]:
        return {
            "nameservers": [{"address": s.value, "line": s.line} for s in self.nameservers],
            "search": [s.value for s in self.search],
            "search_line": self.search[0].line if self.search else None,
            "options": {k: self.setting(k) for k in (*DEFAULTS, *sorted(self.options))},
            "notes": [{"line": n.line, "note": n.note} for n in self.notes],
        }


@dataclass(slots=True)
class ResolvConf:
    path: str  # inside the root, after symlinks
    lines: list[str]
    glibc: LibcView
    musl: LibcView
    cut: bool = False  # more than MAX_LINES lines: the rest was not read

    def line_text(self, number: int) -> str:
        text = self.lines[number - 1] if 0 < number <= len(self.lines) else ""
        return text if len(text) <= 200 else text[:197] + "..."

    def declared_nameservers(self) -> list[Setting]:
        """Every `nameserver` line, used or not (what each library drops is in its view)."""
        return [s for line in _numbered(self.lines) for s in _nameserver(*line)]

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "glibc": self.glibc.to_dict(), "musl": self.musl.to_dict()}


def parse_resolv_conf(text: str, path: str) -> ResolvConf:
    """Never raises: anything a library would skip is skipped, with a note saying so."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    cut = len(lines) > MAX_LINES
    lines = lines[:MAX_LINES]
    return ResolvConf(path, lines, read_as_glibc(lines), read_as_musl(lines), cut)


def _numbered(lines: list[str]) -> list[tuple[int, str]]:
    return [(i, line) for i, line in enumerate(lines, 1)]


def _keyword(line: str, word: str) -> str | None:
    """The rest of the line when it starts with `word` and a blank, as both libraries test."""
    if line.startswith(word) and len(line) > len(word) and line[len(word)] in " \t":
        return line[len(word) + 1 :]
    return None


def _nameserver(number: int, line: str) -> list[Setting]:
    rest = _keyword(line, "nameserver")
    words = rest.split() if rest is not None else []
    return [Setting("nameserver", words[0], number)] if words else []


def _is_ip_literal(text: str) -> bool:
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


def read_as_glibc(lines: list[str]) -> LibcView:
    view = LibcView("glibc")
    for number, raw in _numbered(lines):
        line = raw.rstrip("\r")
        if line[:1] in ("#", ";"):
            continue
        if (rest := _keyword(line, "domain")) is not None and rest.split():
            view.search = [Setting("search", rest.split()[0], number)]
        elif (rest := _keyword(line, "search")) is not None:
            view.search = [Setting("search", d, number) for d in rest.split()]
        elif (rest := _keyword(line, "nameserver")) is not None:
            _add_nameserver(view, number, rest)
        elif (rest := _keyword(line, "options")) is not None:
            _glibc_options(view, number, rest)
    return view


def _add_nameserver(view: LibcView, number: int, rest: str) -> None:
    words = rest.split()
    if not words:
        return
    if not _is_ip_literal(words[0]):
        view.notes.append(LineNote(number, f"{words[0]!r} is not an IP address: ignored"))
    elif len(view.nameservers) >= MAXNS:
        view.notes.append(
            LineNote(number, f"nameserver {words[0]} ignored: only the first {MAXNS} count")
        )
    else:
        view.nameservers.append(Setting("nameserver", words[0], number))


def _glibc_options(view: LibcView, number: int, rest: str) -> None:
    for word in rest.split():
        name, _, value = word.partition(":")
        if name in GLIBC_CAPS and value:
            digits = leading_digits(value)
            if digits is None:
                continue
            capped = min(digits, GLIBC_CAPS[name])
            if capped != digits:
                view.notes.append(LineNote(number, f"{name}:{digits} capped to {capped} by glibc"))
            view.options[name] = capped
            view.option_lines[name] = number
        elif word in GLIBC_FLAGS:
            view.options[word] = True
            view.option_lines[word] = number
        elif name not in GLIBC_CAPS:
            view.notes.append(LineNote(number, f"option {word!r} unknown to glibc: ignored"))


def leading_digits(text: str) -> int | None:
    """The number at the start of `text` (as the libraries' strtoul/atoi read it), or None."""
    digits = ""
    for char in text:
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits else None


def read_as_musl(lines: list[str]) -> LibcView:
    view = LibcView("musl")
    for number, line in _numbered(lines):
        if len(line.encode("utf-8", errors="surrogateescape")) > MUSL_LINE_MAX:
            view.notes.append(LineNote(number, "line of 255 bytes or more: musl skips it entirely"))
            continue
        if (rest := _keyword(line, "options")) is not None:
            _musl_options(view, number, line)
        elif (rest := _keyword(line, "nameserver")) is not None:
            _add_musl_nameserver(view, number, rest)
        elif (rest := _keyword(line, "search") or _keyword(line, "domain")) is not None:
            view.search = [Setting("search", d, number) for d in rest.split()]
    return view


def _add_musl_nameserver(view: LibcView, number: int, rest: str) -> None:
    words = rest.split()
    if not words:
        return
    if len(view.nameservers) >= MAXNS:
        view.notes.append(
            LineNote(number, f"nameserver {words[0]} ignored: only the first {MAXNS} count")
        )
    elif _is_ip_literal(words[0]):
        view.nameservers.append(Setting("nameserver", words[0], number))
    else:
        view.notes.append(LineNote(number, f"{words[0]!r} is not an IP address: ignored"))


def _musl_options(view: LibcView, number: int, line: str) -> None:
    # musl looks for each key anywhere on the line (strstr), then reads the digits after it.
    for name, cap in MUSL_CAPS.items():
        at = line.find(f"{name}:")
        if at < 0:
            continue
        value = leading_digits(line[at + len(name) + 1 :])
        if value is None:
            continue
        capped = min(value, cap)
        if capped != value:
            view.notes.append(LineNote(number, f"{name}:{value} capped to {capped} by musl"))
        view.options[name] = capped
        view.option_lines[name] = number
    for word in line.split()[1:]:
        if word.partition(":")[0] not in MUSL_CAPS:
            view.notes.append(LineNote(number, f"option {word!r} ignored by musl"))
