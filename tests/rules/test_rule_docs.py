"""Every rule documents itself in the fixed sections, and `explain` prints exactly that."""

from __future__ import annotations

import re

import pytest

from dnsdoctor.rules.base import DOC_SECTIONS, CaptureRule
from dnsdoctor.rules.registry import (
    all_rules,
    capture_rules,
    check_rules,
    module_doc,
    rule_doc,
    rules_markdown,
)

from ..conftest import REPO

RULES = all_rules()


def test_registry_finds_the_public_rule_names():
    names = {r.name for r in RULES}
    required = {
        "query-id-collision",
        "answer-question-mismatch",
        "server-not-responding",
        "unanswered-query",
        "retransmission-stall",
        "upstream-error-rcode",
        "search-path-amplification",
        "truncated-without-tcp-retry",
        "slow-server",
        "malformed-message",
    }
    assert required <= names


CODE_RANGE = {"capture": r"DD[12]\d\d", "node": r"DD3\d\d", "coredns": r"DD4\d\d"}


def test_codes_are_unique_stable_and_in_their_source_range():
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    for rule in RULES:
        source = "capture" if issubclass(rule, CaptureRule) else rule.source
        assert re.fullmatch(CODE_RANGE[source], rule.code), rule.code
    assert len({r.name for r in RULES}) == len(RULES)


def test_each_command_gets_every_rule_of_its_source():
    """Rules are placed by source (capture rules top level, check rules in their subpackage),
    so each command imports only its own; a misplaced rule would silently not run."""
    assert set(capture_rules()) == {r for r in RULES if issubclass(r, CaptureRule)}
    for source in ("node", "coredns"):
        expected = {r for r in RULES if not issubclass(r, CaptureRule) and r.source == source}
        assert expected
        assert set(check_rules(source)) == expected
        assert all(r.__module__.startswith(f"dnsdoctor.rules.{source}.") for r in expected)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_every_doc_section_is_present_and_nonempty(rule):
    doc = rule_doc(rule)
    missing = [s for s in DOC_SECTIONS if not doc.sections.get(s)]
    assert not missing, f"{rule.code} lacks {missing}"
    assert module_doc(rule).startswith(f"{rule.code} {rule.name}")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_explain_prints_the_rule_doc(cli, rule):
    by_code = cli("explain", rule.code)
    by_name = cli("explain", rule.name)
    assert by_code.code == 0
    assert by_code.stdout == by_name.stdout == rule_doc(rule).text()
    for section in DOC_SECTIONS:
        assert f"## {section}" in by_code.stdout


def test_docs_rules_md_is_generated_from_the_rule_files():
    committed = REPO / "docs" / "rules.md"
    assert committed.read_text() == rules_markdown(), "run: python scripts/gen_rule_docs.py"
