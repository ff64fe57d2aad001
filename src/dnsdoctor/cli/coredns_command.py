"""`dnsdoctor coredns`: which upstream fails, how often, since when, and where it comes from."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from rich.console import Console

from dnsdoctor.audit.coredns import CorednsInputs, audit_coredns
from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.exit_codes import ExitCode
from dnsdoctor.errors import InputError
from dnsdoctor.model import Report, Severity
from dnsdoctor.render.coredns_report import render_text, write_json


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "coredns",
        help="find the failing CoreDNS upstream from logs, metrics and the Corefile",
        description="Parse CoreDNS logs (kubectl logs of one or more pods), metrics scrapes and "
        "the Corefile; rank upstreams by failure rate and say where a failing one is configured.",
    )
    parser.add_argument(
        "--corefile", metavar="FILE", help="Corefile, or the coredns ConfigMap YAML"
    )
    parser.add_argument(
        "--logs",
        action="append",
        metavar="FILE|-",
        help="CoreDNS logs (repeatable; - reads stdin), best from "
        "`kubectl logs -n kube-system -l k8s-app=kube-dns --timestamps --prefix`",
    )
    parser.add_argument(
        "--metrics",
        action="append",
        metavar="FILE|URL",
        help="Prometheus/OpenMetrics scrape (repeatable, at most 2: before and after)",
    )
    parser.add_argument("--node-root", metavar="DIR", help="the node's root, for provenance")
    parser.add_argument("--format", choices=("text", "json"), default="text")
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
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, env: Environment) -> ExitCode:
    inputs = CorednsInputs(
        corefile=args.corefile,
        logs=tuple(args.logs or ()),
        metrics=tuple(args.metrics or ()),
        node_root=args.node_root,
        stdin=getattr(env, "stdin", None) or sys.stdin,
    )
    report = audit_coredns(inputs)
    with _output(args.output, env) as out:
        if args.format == "json":
            write_json(report, out)
        else:
            console = Console(file=out, highlight=False, soft_wrap=False, width=_width(out, env))
            render_text(report, console, Severity.parse(args.min_severity))
    return _exit_code(report, args.fail_on)


def _width(out: TextIO, env: Environment) -> int | None:
    if hasattr(out, "isatty") and out.isatty():
        return None
    return int(env.environ.get("COLUMNS", "120"))


@contextlib.contextmanager
def _output(path: str | None, env: Environment) -> Iterator[TextIO]:
    if path is None:
        yield env.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}", path=path) from exc
    with handle:
        yield handle


def _exit_code(report: Report, fail_on: str) -> ExitCode:
    if fail_on == "never":
        return ExitCode.OK
    worst = report.worst()
    if worst is not None and worst >= Severity.parse(fail_on):
        return ExitCode.FINDINGS
    return ExitCode.OK
