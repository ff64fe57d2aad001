"""The Corefile's syntax, read as CoreDNS reads it (github.com/coredns/caddy `caddyfile`).

Tokens are split on whitespace; `#` starts a comment anywhere outside quotes; `"..."` quotes
(only `\\"` is an escape). A server block is its keys (`.:53`, `example.org:5300`, several per
block) and `{ ... }`; one block alone may omit the braces. `(name) { ... }` defines a snippet;
`import NAME|PATTERN` at the start of a line splices a snippet or files in, wherever it appears.
Environment placeholders `{$VAR}` and `{%VAR%}` are recognised in every token.

Where we differ from CoreDNS on purpose: an `import` cycle or blow-up stops with a typed error
naming the chain (CoreDNS counts to 1,000 and gives up); files outside the Corefile's directory
are never read (they belong to the CoreDNS container, not this machine) and are reported; a file
that cannot be imported is a reported defect, not the end of the analysis.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from dnsdoctor.errors import InputError

MAX_TOKENS = 200_000  # after every import: far beyond any real Corefile, bounds snippet blow-ups
MAX_IMPORTS = 1000  # CoreDNS's own cap (maxSnippetExpansions), for snippets and files each
MAX_FILE_BYTES = 4 << 20
_PLACEHOLDER = re.compile(r"\{\$([^{}]*)\}|\{%([^{}%]*)%\}")
_PILLAR = re.compile(r"__PILLAR__(?:[A-Z0-9]+__)+")


class CorefileError(InputError):
    """The Corefile cannot be read as CoreDNS would: unbalanced braces, an import loop."""

    hint = "fix the Corefile at the line named; CoreDNS would refuse to start with it too"


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    location: Location
    quoted: bool = False
    newlines: int = 0  # line breaks inside a quoted token: the next line starts after them
    via: tuple[str, ...] = ()  # imports and snippets this token came through, outermost first
    source: str = ""  # the file's path inside the CoreDNS container: imports resolve from it

    def is_(self, text: str) -> bool:
        return not self.quoted and self.text == text


@dataclass(frozen=True, slots=True)
class Placeholder:
    """`{$VAR}`, `{%VAR%}` or NodeLocal DNSCache's `__PILLAR__NAME__`, where it was, what it became."""

    kind: str  # "env" | "pillar"
    name: str
    location: Location
    value: str | None  # None: not resolved here (kept literally in the token)
    default: str | None = None  # `{$VAR:default}` (Caddy v2 syntax; CoreDNS ignores it)


@dataclass(frozen=True, slots=True)
class Defect:
    """Something CoreDNS would reject or silently do differently, found while reading."""

    location: Location
    message: str
    fatal: bool  # CoreDNS would refuse to start (or reload) with it
    minor: bool = False  # expected in common setups (an optional ConfigMap's glob matching nothing)


@dataclass(frozen=True, slots=True)
class ImportRecord:
    location: Location
    pattern: str
    snippet: bool
    files: tuple[str, ...]
    problem: str = ""


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file CoreDNS would read: its path in the container, and how our evidence names it."""

    name: str  # path inside the CoreDNS container (relative imports resolve from its directory)
    display: str  # what file:line evidence shows: a local path, or the ConfigMap YAML
    text: str
    line_offset: int = 0  # the file's line 1 is display line 1 + offset (a ConfigMap block)


@dataclass
class LexContext:
    """What lexing every file shares: substitutions, and what was found along the way."""

    environ: Mapping[str, str] | None
    pillars: Mapping[str, str] | None
    placeholders: list[Placeholder] = field(default_factory=list)
    defects: list[Defect] = field(default_factory=list)


def lex(source: SourceFile, ctx: LexContext, via: tuple[str, ...] = ()) -> list[Token]:
    return _Lexer(source, ctx, via).run()


class _Lexer:
    """coredns/caddy's lexer, character by character, with line numbers."""

    def __init__(self, source: SourceFile, ctx: LexContext, via: tuple[str, ...]) -> None:
        self.source, self.ctx, self.via = source, ctx, via
        self.tokens: list[Token] = []
        self.line = self.start_line = 1 + source.line_offset
        self.value: list[str] = []
        self.quoted = self.in_quotes = self.escaped = self.comment = False

    def run(self) -> list[Token]:
        for ch in self.source.text:
            if self.in_quotes:
                self._quoted(ch)
            else:
                self._plain(ch)
        if self.in_quotes:
            path = self.source.display
            message = f"{path}:{self.start_line}: a quoted string is never closed"
            raise CorefileError(message, path=path, offset=self.start_line)
        if self.value:
            self._emit()
        return self.tokens

    def _quoted(self, ch: str) -> None:
        if self.escaped:
            if ch != '"':  # only a quote can be escaped; the backslash stays otherwise
                self.value.append("\\")
            self.value.append(ch)
            self.escaped = False
        elif ch == "\\":
            self.escaped = True
        elif ch == '"':
            self.in_quotes = False
            self._emit()
        else:
            self.value.append(ch)
        if ch == "\n":
            self.line += 1

    def _plain(self, ch: str) -> None:
        if ch.isspace():
            if ch == "\n":
                self.line += 1
                self.comment = False
            if self.value:
                self._emit()
            return
        if ch == "#":  # a comment starts anywhere outside quotes, even inside a word
            self.comment = True
        if self.comment:
            return
        if not self.value:
            self.start_line, self.quoted = self.line, ch == '"'
            if self.quoted:
                self.in_quotes = True
                return
        self.value.append(ch)

    def _emit(self) -> None:
        raw = "".join(self.value)
        where = Location(self.source.display, self.start_line)
        text = substitute(raw, where, self.ctx)
        newlines = raw.count("\n") if self.quoted else 0
        self.tokens.append(Token(text, where, self.quoted, newlines, self.via, self.source.name))
        self.value.clear()
        self.quoted = False


def substitute(text: str, where: Location, ctx: LexContext) -> str:
    """Resolve placeholders we were given values for; keep the others literally, and record all."""
    if "{" in text:
        text = _PLACEHOLDER.sub(lambda m: _env(m, where, ctx), text)
    if "__PILLAR__" in text:
        text = _PILLAR.sub(lambda m: _pillar(m.group(0), where, ctx), text)
    return text


def _env(match: re.Match[str], where: Location, ctx: LexContext) -> str:
    name = match.group(1) if match.group(1) is not None else match.group(2)
    default = None
    if match.group(1) is not None and ":" in name:
        # Caddy v2 syntax. coredns/caddy looks the whole "VAR:default" up as one name, so in
        # CoreDNS the default never applies: say so instead of pretending.
        name, default = name.split(":", 1)
        ctx.defects.append(
            Defect(
                where,
                f"{match.group(0)}: CoreDNS does not support defaults in placeholders; it looks "
                f"up a variable literally named {name}:{default} and substitutes an empty string",
                fatal=False,
            )
        )
    value = None if ctx.environ is None else ctx.environ.get(name)
    ctx.placeholders.append(Placeholder("env", name, where, value, default))
    return match.group(0) if value is None else value


def _pillar(name: str, where: Location, ctx: LexContext) -> str:
    value = None if ctx.pillars is None else ctx.pillars.get(name)
    ctx.placeholders.append(Placeholder("pillar", name, where, value))
    return name if value is None else value


class FileSet(Protocol):
    """Where imported files come from: a directory on disk, or the keys of a ConfigMap."""

    def match(self, pattern: str, importer: str) -> tuple[list[SourceFile], str, bool]:
        """The files `import PATTERN` in file `importer` reads; a problem saying why some or none
        were read; and whether CoreDNS itself would refuse to start over it (not just us)."""
        ...
