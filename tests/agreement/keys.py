"""Shared wording for the agreement tests' printed figures."""

from __future__ import annotations


def agreement_line(tool: str, capture: str, agreed: int, total: int) -> str:
    return f"AGREEMENT {tool} {capture}: {agreed}/{total} records agree"
