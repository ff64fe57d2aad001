"""Finds every rule by convention: each module in this package or its per-source subpackages
(`node/`, `coredns/`) that defines a CaptureRule or CheckRule subclass with a `code`. No
hand-kept list to forget to update. Capture rules sit in the top level and each source's check
rules in its subpackage, so a command imports only its own rules (and their evidence readers):
`dnsdoctor pcap` started 0.4 s sooner once it stopped importing the node and CoreDNS audits."""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from dataclasses import dataclass
from functools import cache
from typing import Any

import dnsdoctor.rules as rules_pkg
from dnsdoctor.errors import UnknownRuleError
from dnsdoctor.rules.base import DOC_SECTIONS, CaptureRule
from dnsdoctor.rules.check import CheckRule

_NOT_RULES = {"base", "registry", "check"}
AnyRule = type[CaptureRule] | type[CheckRule[Any]]


@dataclass(frozen=True)
class RuleDoc:
    code: str
    name: str
    severity: str
    evidence: tuple[str, ...]
    sections: dict[str, str]

    def text(self) -> str:
        lines = [f"{self.code} {self.name} (default severity: {self.severity})", ""]
        for title in DOC_SECTIONS:
            lines += [f"## {title}", self.sections.get(title, "(missing)").strip(), ""]
        return "\n".join(lines).rstrip() + "\n"


@cache
def _rules_in(subpackage: str) -> tuple[AnyRule, ...]:
    """The rules of the top-level modules ("") or of one per-source subpackage ("node")."""
    package = importlib.import_module(
        f"{rules_pkg.__name__}.{subpackage}" if subpackage else rules_pkg.__name__
    )
    found: list[AnyRule] = []
    for info in pkgutil.iter_modules(package.__path__, prefix=f"{package.__name__}."):
        leaf = info.name.rsplit(".", 1)[1]
        if info.ispkg or leaf in _NOT_RULES or leaf.startswith("_"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if not isinstance(value, type) or value.__module__ != module.__name__:
                continue
            if issubclass(value, CaptureRule | CheckRule) and "code" in vars(value):
                found.append(value)
    return tuple(found)


def _subpackages() -> list[str]:
    return [info.name for info in pkgutil.iter_modules(rules_pkg.__path__) if info.ispkg]


@cache
def all_rules() -> tuple[AnyRule, ...]:
    found = [*_rules_in("")]
    for subpackage in _subpackages():
        found += _rules_in(subpackage)
    return tuple(sorted(found, key=lambda r: r.code))


def capture_rules() -> tuple[type[CaptureRule], ...]:
    """Capture rules live in the package's top level: `dnsdoctor pcap` imports only those."""
    found = (r for r in _rules_in("") if issubclass(r, CaptureRule))
    return tuple(sorted(found, key=lambda r: r.code))


def check_rules(source: str) -> tuple[type[CheckRule[Any]], ...]:
    """The rules one command runs: `source` is "node" or "coredns", each its own subpackage."""
    found = (r for r in _rules_in(source) if issubclass(r, CheckRule) and r.source == source)
    return tuple(sorted(found, key=lambda r: r.code))


def find_rule(code_or_name: str) -> AnyRule:
    wanted = code_or_name.strip()
    for rule in all_rules():
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    raise UnknownRuleError(f"no rule is called {wanted!r}")


def rule_doc(rule: AnyRule) -> RuleDoc:
    return RuleDoc(
        code=rule.code,
        name=rule.name,
        severity=rule.severity.label,
        evidence=rule.evidence_kinds,
        sections=parse_sections(module_doc(rule)),
    )


def module_doc(rule: AnyRule) -> str:
    """A rule's documentation is its module's docstring: the file is the rule."""
    return sys.modules[rule.__module__].__doc__ or ""


def parse_sections(doc: str) -> dict[str, str]:
    """Split a docstring into its `Title:` sections (a title alone on its line)."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    pattern = re.compile(r"^\s*(" + "|".join(re.escape(t) for t in DOC_SECTIONS) + r"):\s*$")
    for line in doc.splitlines():
        match = pattern.match(line)
        if match:
            current = sections.setdefault(match.group(1), [])
        elif current is not None:
            current.append(line.strip())
    return {title: "\n".join(body).strip() for title, body in sections.items()}


def rules_markdown() -> str:
    """docs/rules.md: every rule's documentation, as `dnsdoctor explain` prints it, in one page."""
    out = [
        "# Rules",
        "",
        "Generated from the rule files by `python scripts/gen_rule_docs.py`; do not edit by hand.",
        "`dnsdoctor explain CODE` prints the same text.",
        "",
        "| code | name | default severity |",
        "|---|---|---|",
    ]
    docs = [rule_doc(rule) for rule in all_rules()]
    out += [f"| [{d.code}](#{d.code.lower()}-{d.name}) | {d.name} | {d.severity} |" for d in docs]
    for doc in docs:
        out += ["", f"## {doc.code} {doc.name}", "", f"Default severity: {doc.severity}."]
        for title in DOC_SECTIONS:
            out += ["", f"### {title}", "", doc.sections.get(title, "(missing)").strip()]
    return "\n".join(out) + "\n"
