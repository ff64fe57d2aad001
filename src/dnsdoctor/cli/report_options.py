"""What every reporting command shares: the report options, the output file, the console, and the
mapping from a report's worst finding to the exit code."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Sequence
from typing import TextIO

from rich.console import Console

from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.exit_codes import ExitCode
from dnsdoctor.errors import InputError
from dnsdoctor.model import Report, Severity


def add_report_options(parser: argparse.ArgumentParser, formats: Sequence[str]) -> None:
    parser.add_argument("--format", choices=tuple(formats), default=formats[0])
    parser.add_argument("-o", "--output", help="write the report to this file instead of stdout")
    parser.add_argument(
        "--fail-on",
        default="warning",
        choices=("info", "warning", "error", "never"),
        help="exit 1 when a finding is at or above this severity (default: warning)",
    )
    parser.add_argument(
        "--min-severity",
        default="info",
        choices=("info", "warning", "error"),
        help="hide findings below this severity in the text report",
    )


@contextlib.contextmanager
def open_output(path: str | None, env: Environment) -> Iterator[TextIO]:
    if path is None:
        yield env.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}", path=path) from exc
    with handle:
        yield handle


def report_console(out: TextIO, env: Environment) -> Console:
    """A terminal's own width; otherwise $COLUMNS (default 120), so files and pipes are stable."""
    width = (
        None if hasattr(out, "isatty") and out.isatty() else int(env.environ.get("COLUMNS", "120"))
    )
    return Console(file=out, highlight=False, soft_wrap=False, width=width)


def exit_code(report: Report, fail_on: str) -> ExitCode:
    if fail_on == "never":
        return ExitCode.OK
    worst = report.worst()
    if worst is not None and worst >= Severity.parse(fail_on):
        return ExitCode.FINDINGS
    return ExitCode.OK
