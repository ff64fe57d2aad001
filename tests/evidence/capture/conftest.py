"""The `corpus` fixture: paths into the public capture corpus (../shared/corpus or $DNSDOCTOR_CORPUS).

Without the corpus the corpus tests skip, except under CI (CI=true) where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def corpus_root() -> Path:
    return Path(os.environ.get("DNSDOCTOR_CORPUS", REPO.parent / "shared" / "corpus"))


def require_corpus() -> Path:
    root = corpus_root()
    if not root.is_dir():
        reason = f"capture corpus not found at {root} (set DNSDOCTOR_CORPUS)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return root


@pytest.fixture
def corpus() -> Callable[[str], Path]:
    """corpus("dnscap/src/test/dns.pcap") -> Path; fails if that file is missing."""
    root = require_corpus()

    def get(relative: str) -> Path:
        path = root / relative
        if not path.is_file():
            pytest.fail(f"corpus file missing: {path}")
        return path

    return get
