"""Finds every rule by convention: each module in this package that defines a CaptureRule
subclass with a `code`. No hand-kept list to forget to update."""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from dataclasses import dataclass
from functools import cache

import dnsdoctor.rules as rules_pkg
from dnsdoctor.errors import UnknownRuleError
from dnsdoctor.rules.base import DOC_SECTIONS, CaptureRule

_NOT_RULES = {"base", "registry"}


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
def all_rules() -> tuple[type[CaptureRule], ...]:
    found: list[type[CaptureRule]] = []
    for info in pkgutil.iter_modules(rules_pkg.__path__):
        if info.name in _NOT_RULES or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{rules_pkg.__name__}.{info.name}")
        for value in vars(module).values():
            is_rule = isinstance(value, type) and issubclass(value, CaptureRule)
            if is_rule and value is not CaptureRule and "code" in vars(value):
                found.append(value)
    return tuple(sorted(found, key=lambda r: r.code))


def find_rule(code_or_name: str) -> type[CaptureRule]:
    wanted = code_or_name.strip()
    for rule in all_rules():
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    raise UnknownRuleError(f"no rule is called {wanted!r}")


def rule_doc(rule: type[CaptureRule]) -> RuleDoc:
    return RuleDoc(
        code=rule.code,
        name=rule.name,
        severity=rule.severity.label,
        evidence=rule.evidence_kinds,
        sections=parse_sections(module_doc(rule)),
    )


def module_doc(rule: type[CaptureRule]) -> str:
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
