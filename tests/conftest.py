"""Shared fixtures: bundled test data, the public corpus, and running the CLI in-process."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.main import run

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SAMPLES = REPO / "samples"

# CI runs many more generated examples than a developer's quick run.
settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


def corpus_root() -> Path:
    return Path(os.environ.get("DNSDOCTOR_CORPUS", REPO.parent / "shared" / "corpus"))


def require_corpus() -> Path:
    root = corpus_root()
    if not root.is_dir():
        message = f"public capture corpus not found at {root} (set DNSDOCTOR_CORPUS)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return root


@pytest.fixture
def corpus():
    """corpus("zeek/testing/btest/Traces/wikipedia.pcap") -> Path; fails if that file is missing."""
    root = require_corpus()

    def get(relative: str) -> Path:
        path = root / relative
        if not path.is_file():
            pytest.fail(f"corpus file missing: {path}")
        return path

    return get


@pytest.fixture
def data():
    def get(name: str) -> Path:
        for base in (DATA, SAMPLES):
            path = base / name
            if path.exists():
                return path
        pytest.fail(f"test data missing: {name}")

    return get


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli():
    def invoke(*argv: str) -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        code = run(list(argv), Environment(stdout=out, stderr=err, environ={"COLUMNS": "160"}))
        return CliResult(code, out.getvalue(), err.getvalue())

    return invoke


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/cli/golden/*.txt from the current terminal output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
