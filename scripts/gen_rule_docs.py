#!/usr/bin/env python3
"""Write docs/rules.md from the rule files (tests/rules/test_rule_docs.py checks it is current)."""

from pathlib import Path

from dnsdoctor.rules.registry import rules_markdown

TARGET = Path(__file__).resolve().parent.parent / "docs" / "rules.md"

if __name__ == "__main__":
    TARGET.write_text(rules_markdown())
    print(f"wrote {TARGET}")
