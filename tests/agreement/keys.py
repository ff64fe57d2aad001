"""Shared wording for the agreement tests' printed figures."""

from __future__ import annotations


def agreement_line(
    tool: str, capture: str, agreed: int, total: int, known: int | None = None
) -> str:
    line = f"AGREEMENT {tool} {capture}: {agreed}/{total} records agree"
    return line if known is None else f"{line}, {known} known differences"
