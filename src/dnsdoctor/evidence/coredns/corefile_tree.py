"""Tokens to server blocks and plugin trees, with imports and snippets spliced in as CoreDNS does.

CoreDNS hands each plugin a flat token list and lets the plugin read its own `{ ... }`; here every
nested block becomes child directives, so `forward . 1.1.1.1 { max_fails 0 }` is a `forward`
directive with a `max_fails` child, each with its own file:line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from dnsdoctor.evidence.coredns.corefile_syntax import (
    MAX_IMPORTS,
    MAX_TOKENS,
    CorefileError,
    Defect,
    FileSet,
    ImportRecord,
    LexContext,
    Location,
    Token,
    lex,
)

_DEFAULT_PORTS = {"dns": 53, "tls": 853, "https": 443, "grpc": 443, "quic": 853}


@dataclass(frozen=True, slots=True)
class Directive:
    """A plugin line in a server block, or an option line inside a plugin's `{ ... }`."""

    name: str
    args: tuple[Token, ...]
    location: Location
    block: tuple[Directive, ...] | None = None  # None: the directive had no `{ ... }`
    via: tuple[str, ...] = ()  # imports and snippets it came through

    @property
    def arg_texts(self) -> tuple[str, ...]:
        return tuple(a.text for a in self.args)

    def children(self, name: str) -> list[Directive]:
        return [d for d in self.block or () if d.name == name]

    def child(self, name: str) -> Directive | None:
        found = self.children(name)
        return found[-1] if found else None

    def text(self) -> str:
        """The directive's own line as written (without its block), for evidence."""
        words = [self.name, *(f'"{a.text}"' if a.quoted else a.text for a in self.args)]
        return " ".join(words) + (" {" if self.block is not None else "")


@dataclass(frozen=True, slots=True)
class ServerKey:
    """One key of a server block: `[scheme://]zone[:port]`."""

    text: str
    scheme: str
    zone: str  # lower-case, fully qualified ("." for the root)
    port: int | None  # None: the scheme's default could not be applied (unknown scheme)
    location: Location

    @classmethod
    def parse(cls, text: str, location: Location) -> ServerKey:
        scheme, sep, rest = text.partition("://")
        if not sep:
            scheme, rest = "dns", text
        scheme = scheme.lower()
        host, port = rest, _DEFAULT_PORTS.get(scheme)
        head, colon, tail = rest.rpartition(":")
        if colon and tail.isdigit() and not head.endswith(":"):
            host, port = head, int(tail)
        zone = host.lower() or "."
        if not zone.endswith(".") and "/" not in zone:
            zone += "."
        return cls(text, scheme, zone, port, location)


@dataclass(frozen=True, slots=True)
class ServerBlock:
    keys: tuple[ServerKey, ...]
    plugins: tuple[Directive, ...]
    location: Location
    braces: bool = True

    @property
    def label(self) -> str:
        return " ".join(k.text for k in self.keys)

    def plugin(self, name: str) -> Directive | None:
        found = self.plugins_named(name)
        return found[0] if found else None

    def plugins_named(self, name: str) -> list[Directive]:
        return [p for p in self.plugins if p.name == name]


@dataclass
class ParseResult:
    servers: list[ServerBlock]
    snippets: dict[str, Location]
    imports: list[ImportRecord]


class TreeParser:
    def __init__(self, tokens: list[Token], files: FileSet, ctx: LexContext) -> None:
        self.tokens = tokens
        self.i = 0
        self.files = files
        self.ctx = ctx
        self.snippets: dict[str, list[Token]] = {}
        self.result = ParseResult([], {}, [])
        self.expansions = {"snippet": 0, "file": 0}

    def parse(self) -> ParseResult:
        while self.i < len(self.tokens):
            tok = self.tokens[self.i]
            if tok.is_("import") and self._line_start(self.i):
                self._splice_import()
                continue
            self._server_or_snippet()
        return self.result

    def _line_start(self, i: int) -> bool:
        if i == 0:
            return True
        prev, cur = self.tokens[i - 1], self.tokens[i]
        return (
            prev.location.path != cur.location.path
            or prev.location.line + prev.newlines < cur.location.line
        )

    def _at(self, text: str) -> bool:
        return self.i < len(self.tokens) and self.tokens[self.i].is_(text)

    def _server_or_snippet(self) -> None:
        keys = self._addresses()
        if not keys:
            if self._at("{"):
                raise self._error(self.tokens[self.i], "a '{' block without server addresses")
            return
        first = keys[0]
        if len(keys) == 1 and first.text.startswith("(") and first.text.endswith(")"):
            self._snippet(first)
            return
        braces = self._at("{")
        opener = self.tokens[self.i] if braces else None
        if braces:
            self.i += 1
        plugins = self._directives(opener, depth=0)
        parsed = tuple(ServerKey.parse(k.text, k.location) for k in keys)
        self.result.servers.append(ServerBlock(parsed, plugins, first.location, braces))

    def _addresses(self) -> list[Token]:
        keys: list[Token] = []
        expecting = False
        while self.i < len(self.tokens):
            tok = self.tokens[self.i]
            if tok.is_("import") and self._line_start(self.i):
                self._splice_import()
                continue
            if tok.is_("{"):
                if expecting:
                    raise self._error(tok, "expected another server address after the comma")
                break
            if tok.is_("}"):
                raise self._error(tok, "'}' without a matching '{'")
            expecting = tok.text.endswith(",")
            text = tok.text[:-1] if expecting else tok.text
            if text:
                keys.append(dataclasses.replace(tok, text=text))
            self.i += 1
            if self.i < len(self.tokens) and not expecting and self._line_start(self.i):
                break
        if expecting:
            raise self._error(self.tokens[-1], "the file ends after a comma in server addresses")
        return keys

    def _snippet(self, key: Token) -> None:
        name = key.text[1:-1]
        if not self._at("{"):
            raise self._error(key, f"snippet ({name}) needs a '{{ ... }}' block")
        if name in self.snippets:
            raise self._error(key, f"snippet ({name}) is declared twice")
        opener = self.tokens[self.i]
        self.i += 1
        depth, body = 1, []
        while self.i < len(self.tokens):
            tok = self.tokens[self.i]
            self.i += 1
            depth += tok.is_("{") - tok.is_("}")
            if depth == 0:
                break
            body.append(tok)
        if depth:
            raise self._error(opener, f"snippet ({name}): '{{' is never closed")
        self.snippets[name] = body
        self.result.snippets[name] = key.location

    def _directives(self, opener: Token | None, depth: int) -> tuple[Directive, ...]:
        found: list[Directive] = []
        while self.i < len(self.tokens):
            tok = self.tokens[self.i]
            if tok.is_("}"):
                if opener is None:
                    raise self._error(tok, "'}' without a matching '{'")
                self.i += 1
                return tuple(found)
            if tok.is_("import"):
                self._splice_import()
                continue
            if tok.is_("{") and found and found[-1].block is None:
                self._defect(tok, "a '{' must end the line of the plugin it opens", fatal=True)
                self.i += 1
                block = self._directives(tok, depth + 1)
                found[-1] = dataclasses.replace(found[-1], block=block)
                continue
            found.append(self._directive(depth))
        if opener is not None:
            raise self._error(opener, "this '{' is never closed")
        return tuple(found)

    def _directive(self, depth: int) -> Directive:
        name = self.tokens[self.i]
        self.i += 1
        args: list[Token] = []
        block = None
        while self.i < len(self.tokens) and not self._line_start(self.i):
            tok = self.tokens[self.i]
            if tok.is_("{"):
                self.i += 1
                block = self._directives(tok, depth + 1)
                break
            if tok.is_("}"):
                if depth == 0:
                    message = "'}' on the same line as a plugin: CoreDNS stops with 'Unexpected }'"
                    self._defect(tok, message, fatal=True)
                break
            args.append(tok)
            self.i += 1
        return Directive(name.text, tuple(args), name.location, block, name.via)

    def _splice_import(self) -> None:
        tok = self.tokens[self.i]
        end = self.i + 1
        while end < len(self.tokens) and not self._line_start(end):
            end += 1
        args = self.tokens[self.i + 1 : end]
        if len(args) != 1 or not args[0].text:
            raise self._error(tok, "import takes exactly one snippet name or file pattern")
        pattern = args[0].text
        if pattern in self.snippets:
            spliced = self._snippet_tokens(tok, pattern)
        else:
            spliced = self._file_tokens(tok, pattern)
        self.tokens[self.i : self.i + 2] = spliced
        if len(self.tokens) > MAX_TOKENS:
            raise self._error(tok, f"imports expand to more than {MAX_TOKENS} tokens")

    def _snippet_tokens(self, tok: Token, name: str) -> list[Token]:
        step = f"snippet ({name})"
        if step in tok.via:
            chain = " -> ".join((*tok.via, step))
            raise self._error(tok, f"snippet import loop: {chain}")
        self._count("snippet", tok)
        self.result.imports.append(ImportRecord(tok.location, name, True, ()))
        via = (*tok.via, step)
        return [dataclasses.replace(t, via=via) for t in self.snippets[name]]

    def _file_tokens(self, tok: Token, pattern: str) -> list[Token]:
        self._count("file", tok)
        files, problem, fatal = self.files.match(pattern, tok.source)
        spliced: list[Token] = []
        for source in files:
            step = f"file {source.name}"
            if source.name == tok.source or step in tok.via:
                chain = " -> ".join((*tok.via, step))
                raise self._error(tok, f"import loop: {chain}")
            spliced += lex(source, self.ctx, (*tok.via, step))
        names = tuple(f.display for f in files)
        self.result.imports.append(ImportRecord(tok.location, pattern, False, names, problem))
        if problem:
            minor = not files and not fatal and any(c in pattern for c in "*?")
            message = f"import {pattern}: {problem}"
            self.ctx.defects.append(Defect(tok.location, message, fatal, minor))
        return spliced

    def _count(self, kind: str, tok: Token) -> None:
        self.expansions[kind] += 1
        if self.expansions[kind] > MAX_IMPORTS:
            raise self._error(tok, f"more than {MAX_IMPORTS} {kind} imports (CoreDNS's own limit)")

    def _defect(self, tok: Token, message: str, fatal: bool) -> None:
        self.ctx.defects.append(Defect(tok.location, message, fatal))

    @staticmethod
    def _error(tok: Token, message: str) -> CorefileError:
        where = tok.location
        return CorefileError(f"{where}: {message}", path=where.path, offset=where.line)
